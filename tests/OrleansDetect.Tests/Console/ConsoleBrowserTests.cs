using System.Net.Http.Json;
using System.Text.Json;
using OpenQA.Selenium;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Console;

/// <summary>The console in a real headless Chromium against a real silo with keys: signed in as an admin.</summary>
[Collection(ConsoleSiloCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleSiloFixture silo)
{
    private const string Analyst = "erin";

    /// <summary>Signs the browser in through the form (once: the session cookie stays).</summary>
    private ConsoleBrowser SignedIn()
    {
        var browser = silo.Browser;
        browser.Open("");
        if (browser.Driver.FindElements(By.Id("signin")).Count > 0)
        {
            browser.Screenshot("signin");
            browser.Find("#name").SendKeys(Analyst);
            browser.Find("#key").SendKeys(ConsoleSiloFixture.AdminKey);
            browser.Find("#signin").Click();
            browser.Find("#alerts");
        }

        return browser;
    }

    [Fact]
    public async Task A_sweep_appears_on_the_alert_list_without_a_reload_and_its_page_shows_the_plot_and_evidence()
    {
        var browser = SignedIn();
        var host = Flows.UniqueWorkload("live");
        browser.Open("");
        browser.Find("#alerts");
        browser.Driver.ExecuteScript("window.notReloaded = true;");

        // Four batches a minute apart: four detections, four points on the timeline.
        JsonElement alert = default;
        for (var batch = 0; batch < 4; batch++)
        {
            alert = await silo.Sweep(host, 30, Flows.T0.AddMinutes(batch), offset: batch * 30, until: a => a.GetProperty("distinctTargets").GetInt32() >= (batch + 1) * 30);
        }

        var id = alert.GetProperty("id").GetString()!;
        var title = $"Port sweep: {host} probed tcp/22 on 120 public addresses";
        // The list redraws its rows every 2 s: each read finds the row afresh (a stale one is retried).
        var seen = browser.Until<string[]?>(d =>
        {
            var row = d.FindElement(By.CssSelector($"#alerts tr[data-id='{id}']"));
            return row.Text.Contains(title, StringComparison.Ordinal) ? new[] { row.Text, row.FindElement(By.CssSelector("td.sev")).Text } : null;
        }, $"the alert list to show '{title}'")!;
        var (text, severity) = (seen[0], seen[1]);
        Assert.Equal(true, browser.Driver.ExecuteScript("return window.notReloaded === true;"));
        Assert.Equal("high", severity);
        Assert.Contains("open", text, StringComparison.Ordinal);
        browser.Screenshot("alerts");

        browser.Open($"alerts/{id}");
        Assert.Equal($"Port sweep: {host} probed tcp/22 on 120 public addresses", browser.Find("#title").Text);
        var line = browser.Find("#timeline polyline.targets");
        Assert.NotEmpty(line.GetAttribute("points")!.Trim());
        Assert.Equal(4, line.GetAttribute("points")!.Trim().Split(' ').Length);
        Assert.Equal(4, browser.Driver.FindElements(By.CssSelector("#timeline circle.failed")).Count);
        var evidence = browser.Find("#evidence").Text;
        Assert.Contains("Distinct targets 120", evidence, StringComparison.Ordinal);
        Assert.Contains("198.18.0.1", browser.Find("#samples").Text, StringComparison.Ordinal);
        Assert.Equal("https://attack.mitre.org/techniques/T1046/", browser.Find("#mitre a").GetAttribute("href"));
        Assert.Contains("Threshold 25 (static public threshold 25)", browser.Find("#baseline").Text, StringComparison.Ordinal);
        browser.Screenshot("alert");
    }

    [Fact]
    public async Task Acknowledge_and_resolve_from_the_alert_page_change_what_the_api_returns()
    {
        var browser = SignedIn();
        var host = Flows.UniqueWorkload("click");
        var id = (await silo.Sweep(host, 30, Flows.T0)).GetProperty("id").GetString()!;
        browser.Open($"alerts/{id}");
        browser.Find("#note").SendKeys("checking with the owner");
        browser.Find("#acknowledge").Click();
        browser.Until(d => d.FindElement(By.Id("state")).Text == "acknowledged", "the page to show the alert acknowledged");
        Assert.Contains($"by {Analyst}", browser.Find("#acknowledged").Text, StringComparison.Ordinal);
        browser.Screenshot("alert-acknowledged");

        var stored = await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/alerts/{id}");
        Assert.Equal("acknowledged", stored.GetProperty("state").GetString());
        Assert.Equal(Analyst, stored.GetProperty("acknowledged").GetProperty("by").GetString());
        Assert.Equal("checking with the owner", stored.GetProperty("acknowledged").GetProperty("note").GetString());

        browser.Find("#resolve").Click();
        browser.Until(d => d.FindElement(By.Id("state")).Text == "resolved", "the page to show the alert resolved");
        Assert.Empty(browser.Driver.FindElements(By.Id("resolve")));
        Assert.Equal("resolved", (await silo.Reader.GetFromJsonAsync<JsonElement>($"api/v1/alerts/{id}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_workload_silenced_from_its_alert_page_sends_its_next_sweep_to_neither_slack_nor_rss()
    {
        var browser = SignedIn();
        var host = Flows.UniqueWorkload("mute");
        var first = (await silo.Sweep(host, 30, Flows.T0)).GetProperty("id").GetString()!;
        browser.Open($"alerts/{first}");
        browser.Find("#silence").Click();

        // Prefilled from the alert; widened to every detection of the workload.
        Assert.Equal(host, browser.Find("#workload").GetAttribute("value"));
        Assert.Equal("22", browser.Find("#port").GetAttribute("value"));
        browser.Find("#port").Clear();
        browser.Find("#type").Clear();
        browser.Find("#comment").SendKeys("owner is running a scan");
        browser.Screenshot("silence-new");
        browser.Find("#create-silence").Click();
        // Other tests' silences are listed too: wait for this one's row (the page reloads after the create).
        browser.Until(d => d.FindElements(By.CssSelector("#silences tr[data-state='active']")).Any(r => r.Text.Contains($"workload={host}", StringComparison.Ordinal)),
            $"an active silence of {host} in the list");
        browser.Screenshot("silences");

        var silences = await silo.Reader.GetFromJsonAsync<JsonElement[]>("api/v1/silences?state=active");
        var silence = Assert.Single(silences!, s => s.GetProperty("workload").GetString() == host);
        Assert.Equal(Analyst, silence.GetProperty("createdBy").GetString());
        Assert.Equal(JsonValueKind.Null, silence.GetProperty("port").ValueKind);

        // The next sweep, on another port (a new alert): listed as silenced, sent nowhere; an unsilenced one after it arrives.
        var silenced = await silo.Sweep(host, 30, Flows.T0.AddMinutes(1), port: 3389, until: a => a.GetProperty("port").GetInt32() == 3389);
        Assert.Equal(silence.GetProperty("id").GetString(), silenced.GetProperty("silenceId").GetString());
        var control = Flows.UniqueWorkload("heard");
        var heard = await silo.Sweep(control, 30, Flows.T0.AddMinutes(1), port: 3389);
        await Eventually.Until(() => Task.FromResult(silo.SlackMessagesAbout(control)), m => m.Length > 0);
        Assert.Single(silo.SlackMessagesAbout(control));
        Assert.DoesNotContain(silo.SlackMessagesAbout(host), m => m.Contains("3389", StringComparison.Ordinal));
        var rss = await silo.Rss();
        Assert.Contains(heard.GetProperty("id").GetString()!, rss, StringComparison.Ordinal);
        Assert.DoesNotContain(silenced.GetProperty("id").GetString()!, rss, StringComparison.Ordinal);

        browser.Open($"alerts/{silenced.GetProperty("id").GetString()}");
        Assert.Equal("silenced", browser.Find("#state").Text);
        Assert.Contains(silence.GetProperty("id").GetString()!, browser.Find("#silenced").Text, StringComparison.Ordinal);

        // Expire it from the page.
        browser.Open("silences");
        browser.Find($"button.expire[data-id='{silence.GetProperty("id").GetString()}']").Click();
        browser.Until(d => d.FindElement(By.Id(silence.GetProperty("id").GetString()!)).GetAttribute("data-state") == "expired", "the silence to show expired");
    }

    [Fact]
    public async Task Workloads_are_searchable_and_one_workload_shows_its_baseline_and_alerts()
    {
        var browser = SignedIn();
        var host = Flows.UniqueWorkload("seek");
        var id = (await silo.Sweep(host, 30, Flows.T0)).GetProperty("id").GetString()!;
        browser.Open("workloads");
        browser.Find("#prefix").SendKeys(host[..8]);
        browser.Find("#search button").Click();
        // The unfiltered page may list the workload too: its link would go stale as the results load.
        browser.Until(d => d.Url.Contains("prefix=", StringComparison.Ordinal), "the search results");
        var link = browser.Find($"#workloads a[href='workloads/{host}']");
        browser.Screenshot("workloads");
        link.Click();
        Assert.Contains("learning", browser.Find("#learning").Text, StringComparison.Ordinal);
        Assert.Contains("tcp/22", browser.Find("#windows").Text, StringComparison.Ordinal);
        Assert.NotEmpty(browser.Driver.FindElements(By.CssSelector("#windows svg.bars rect")));
        Assert.NotEmpty(browser.Driver.FindElements(By.CssSelector($"#its-alerts a[href='../alerts/{id}']")));
        browser.Screenshot("workload");
    }
}
