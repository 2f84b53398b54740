using System.Globalization;
using OpenQA.Selenium.Chrome;

namespace OrleansDetect.Benchmarks;

/// <summary>
/// <c>console-render BASE_URL [PATH…]</c>: opens console pages of a running silo in Debian's headless Chromium and
/// prints the browser's own Navigation and Paint Timing (median of 10 loads after 2 warm-ups): time to first byte,
/// DOMContentLoaded, first contentful paint, load. A measurement, not a test: it asserts nothing.
/// </summary>
public static class ConsoleRender
{
    private const int Warmups = 2;
    private const int Loads = 10;

    public static void Run(string[] args)
    {
        var baseUrl = new Uri(args[1].EndsWith('/') ? args[1] : args[1] + "/");
        string[] paths = args.Length > 2 ? args[2..] : ["", "workloads", "silences"];
        var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000");
        using var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        Console.WriteLine("page | bytes | TTFB ms | DOMContentLoaded ms | first contentful paint ms | load ms");
        foreach (var path in paths)
        {
            var samples = new List<double[]>();
            long bytes = 0;
            for (var i = 0; i < Warmups + Loads; i++)
            {
                driver.Navigate().GoToUrl(new Uri(baseUrl, path));
                var timing = (IReadOnlyDictionary<string, object>)driver.ExecuteScript("""
                    const n = performance.getEntriesByType('navigation')[0];
                    const p = performance.getEntriesByName('first-contentful-paint')[0];
                    return { ttfb: n.responseStart, dcl: n.domContentLoadedEventEnd, fcp: p ? p.startTime : -1, load: n.loadEventEnd, bytes: n.transferSize };
                    """)!;
                if (i < Warmups) continue;
                samples.Add([.. new[] { "ttfb", "dcl", "fcp", "load" }.Select(k => Convert.ToDouble(timing[k], CultureInfo.InvariantCulture))]);
                bytes = Convert.ToInt64(timing["bytes"], CultureInfo.InvariantCulture);
            }

            var medians = Enumerable.Range(0, 4).Select(c => samples.Select(s => s[c]).Order().ElementAt(samples.Count / 2)).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"/{path} | {bytes} | {medians[0]:F1} | {medians[1]:F1} | {medians[2]:F1} | {medians[3]:F1}"));
        }

        driver.Quit();
    }
}
