using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace OrleansDetect.Tests.Console;

/// <summary>
/// Debian's headless Chromium driven through its own chromedriver (nothing is downloaded: both paths are given, so
/// Selenium Manager never runs). Screenshots go to <c>artifacts/screenshots/</c> under the test output directory.
/// </summary>
public sealed class ConsoleBrowser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public ConsoleBrowser(Uri baseAddress)
    {
        BaseAddress = baseAddress;
        if (!File.Exists(ChromiumPath) || !File.Exists(DriverPath))
        {
            throw new InvalidOperationException("The browser tests need Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver");
        }

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
            "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-component-update");
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        ScreenshotDirectory = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    public Uri BaseAddress { get; }

    public ChromeDriver Driver { get; }

    public string ScreenshotDirectory { get; }

    public void Open(string path) => Driver.Navigate().GoToUrl(new Uri(BaseAddress, path));

    /// <summary>Waits (bounded) for <paramref name="condition"/>; the last value, or a timeout naming <paramref name="what"/>.</summary>
    public T Until<T>(Func<IWebDriver, T> condition, string what)
    {
        var wait = new WebDriverWait(Driver, Patience) { PollingInterval = TimeSpan.FromMilliseconds(100), Message = what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    public IWebElement Find(string css) => Until(d => d.FindElement(By.CssSelector(css)), $"'{css}' on {Driver.Url}");

    /// <summary>Saves a PNG of the page as <paramref name="name"/>.png and returns its path.</summary>
    public string Screenshot(string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }
}
