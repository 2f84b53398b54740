using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Silo.Hosting;
using static OrleansDetect.Silo.Api.ConsoleHtml;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// The operator console, served by every silo: <c>/</c> (alerts, filtered, refreshed in place every two seconds),
/// <c>/alerts/{id}</c> (one alert: evidence, timeline, baseline, workflow buttons), <c>/workloads[/{id}]</c> and
/// <c>/silences</c>, plus sign-in. Pages are rendered here; the small inline scripts only refresh the list and call
/// the JSON API for changes.
/// </summary>
public static class AlertPages
{
    /// <summary>Rows the alert list shows unless <c>?limit=</c> asks for more (up to the feed's size).</summary>
    public const int ListLimit = 100;

    public static IEndpointRouteBuilder MapAlertPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Index).WithName("AlertsPage").RequireKey(KeyRole.Read, browser: true, page: true).WithSummary("The console: recent alerts.");
        app.MapGet("/alerts/{id}", AlertPage).WithName("AlertPage").RequireKey(KeyRole.Read, browser: true, page: true).WithSummary("The console: one alert.");
        app.MapGet("/workloads", WorkloadPages.List).WithName("WorkloadsPage").RequireKey(KeyRole.Read, browser: true, page: true).WithSummary("The console: workloads.");
        app.MapGet("/workloads/{id}", WorkloadPages.One).WithName("WorkloadPage").RequireKey(KeyRole.Read, browser: true, page: true).WithSummary("The console: one workload.");
        app.MapGet("/silences", SilencePages.List).WithName("SilencesPage").RequireKey(KeyRole.Read, browser: true, page: true).WithSummary("The console: silences.");
        app.MapGet("/signin", (HttpContext http) => SignInPage(http, KeyRole.Read)).WithName("SignInPage").WithSummary("The console's sign-in form.");
        app.MapPost("/signin", SignIn).WithName("SignIn").DisableAntiforgery().WithSummary("Signs in with a read or admin key (form: key, name, return); sets the session cookie.");
        app.MapPost("/signout", SignOut).WithName("SignOut").DisableAntiforgery().WithSummary("Ends the console session.");
        return app;
    }

    internal static async Task<IResult> Index(HttpContext http, RecentAlerts recentAlerts, IOptions<AlertOptions> options,
        string? severity, string? state, string? type, string? workload, int? limit)
    {
        var body = new StringBuilder("<h1>Alerts</h1>\n");
        var invalid = AlertFilters.Invalid(severity, state, type);
        body.Append("<form class=\"filters\" method=\"get\" id=\"filters\">")
            .Append(Select("severity", "Severity", severity, ["", .. AlertFilters.Severities]))
            .Append(Select("state", "State", state, ["", .. AlertStates.All]))
            .Append("<label>Type <input name=\"type\" value=\"").Append(H(type)).Append("\" placeholder=\"port-sweep\"></label>")
            .Append("<label>Workload <input name=\"workload\" value=\"").Append(H(workload)).Append("\"></label>")
            .Append("<button type=\"submit\">Filter</button> <a href=\"./\">clear</a></form>\n");
        if (invalid is not null)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            var detail = invalid is IValueHttpResult { Value: Microsoft.AspNetCore.Mvc.ProblemDetails p } ? p.Detail : "Bad filter.";
            return Page(http, "Alerts", "./", body.Append("<p class=\"error\">").Append(H(detail)).Append("</p>").ToString());
        }

        var (recent, stale) = await recentAlerts.ReadAsync(http.RequestAborted);
        if (recent is null)
        {
            RecentAlerts.AskToRetry(http.Response);
            body.Append("<p>The alert list cannot be read while the cluster recovers from a silo loss; this page retries by itself.</p>");
            return Page(http, "Alerts", "./", body.ToString(), "setTimeout(() => location.reload(), 5000);");
        }

        var max = Math.Clamp(limit ?? ListLimit, 1, options.Value.FeedSize);
        var shown = recent
            .Where(a => workload is null || string.Equals(a.Workload, workload, StringComparison.Ordinal))
            .Where(a => type is null || string.Equals(a.Type, type, StringComparison.OrdinalIgnoreCase))
            .Where(a => severity is null || string.Equals(a.Severity.Name(), severity, StringComparison.OrdinalIgnoreCase))
            .Where(a => state is null || string.Equals(a.State, state, StringComparison.OrdinalIgnoreCase))
            .Take(max)
            .ToArray();
        body.Append("<p class=\"muted\"><span id=\"refreshed\">").Append(stale ? "Showing the last list this silo read: the cluster is recovering from a silo loss." : "")
            .Append("</span> Refreshes every 2 s. <a href=\"alerts.rss\">RSS</a> · <a href=\"api/v1/alerts\">JSON</a></p>\n")
            .Append("<table id=\"alerts\"><thead><tr><th>Severity</th><th>Alert</th><th>Type</th><th>Workload</th><th>Port</th><th>Scope / target</th>")
            .Append("<th>Distinct targets</th><th>First seen</th><th>Last seen</th><th>State</th></tr></thead><tbody>\n");
        foreach (var alert in shown) Row(body, alert);
        body.Append("</tbody></table>\n<p id=\"empty\" class=\"muted\"").Append(shown.Length == 0 ? "" : " hidden").Append(">No alerts yet.</p>");
        var query = string.Create(CultureInfo.InvariantCulture, $"limit={max}")
                    + string.Concat(new[] { ("severity", severity), ("state", state), ("type", type), ("workload", workload) }
                        .Where(p => p.Item2 is not null).Select(p => $"&{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));
        return Page(http, "Alerts", "./", body.ToString(), ListScript.Replace("QUERY", query, StringComparison.Ordinal));
    }

    private static void Row(StringBuilder body, AlertRecord alert)
    {
        var e = alert.Evidence;
        body.Append("<tr class=\"").Append(alert.Severity.Name()).Append("\" data-id=\"").Append(H(alert.Id)).Append("\">")
            .Append("<td class=\"sev ").Append(alert.Severity.Name()).Append("\">").Append(alert.Severity.Name()).Append("</td>")
            .Append("<td><a href=\"alerts/").Append(Uri.EscapeDataString(alert.Id)).Append("\">").Append(H(alert.Title)).Append("</a></td>")
            .Append("<td>").Append(H(alert.Type)).Append("</td>")
            .Append("<td><a href=\"workloads/").Append(Uri.EscapeDataString(alert.Workload)).Append("\">").Append(H(alert.Workload)).Append("</a></td>")
            .Append("<td>").Append(H(e.Key.PortLabel)).Append("</td><td>").Append(H(e.Key.TargetOrScope)).Append("</td>")
            .Append("<td>").Append(AlertText.CountText(e)).Append("</td><td>").Append(Time(alert.FirstSeen)).Append("</td><td>").Append(Time(alert.LastSeen)).Append("</td>")
            .Append("<td><span class=\"state ").Append(alert.State).Append("\">").Append(alert.State).Append("</span></td></tr>\n");
    }

    private static string Select(string name, string label, string? selected, string[] values)
    {
        var html = new StringBuilder("<label>").Append(label).Append(" <select name=\"").Append(name).Append("\">");
        foreach (var value in values)
        {
            html.Append("<option value=\"").Append(value).Append('"').Append(string.Equals(value, selected ?? "", StringComparison.OrdinalIgnoreCase) ? " selected" : "")
                .Append('>').Append(value.Length == 0 ? "any" : value).Append("</option>");
        }

        return html.Append("</select></label>").ToString();
    }

    // Re-reads the list every 2 s and redraws the table in place (the same columns as the server's rows).
    private const string ListScript = """
        const form = document.getElementById('filters');
        for (const field of form.querySelectorAll('select')) field.addEventListener('change', () => form.submit());
        async function refresh() {
          try {
            const alerts = await api('GET', 'api/v1/alerts?QUERY');
            const body = document.querySelector('#alerts tbody');
            const rows = [];
            for (const a of alerts) {
              const row = document.createElement('tr');
              row.className = a.severity; row.dataset.id = a.id;
              cell(row, a.severity, 'sev ' + a.severity);
              const link = document.createElement('a'); link.href = 'alerts/' + encodeURIComponent(a.id); link.textContent = a.title;
              row.insertCell().append(link);
              cell(row, a.type);
              const w = document.createElement('a'); w.href = 'workloads/' + encodeURIComponent(a.workload); w.textContent = a.workload;
              row.insertCell().append(w);
              cell(row, a.protocol + '/' + a.port); cell(row, a.scope);
              cell(row, (a.evidence && a.evidence.saturated === 'true' ? '≥ ' : '') + a.distinctTargets);
              cell(row, iso(a.firstSeen)); cell(row, iso(a.lastSeen));
              const s = document.createElement('span'); s.className = 'state ' + a.state; s.textContent = a.state;
              row.insertCell().append(s);
              rows.push(row);
            }
            body.replaceChildren(...rows);
            document.getElementById('empty').hidden = alerts.length > 0;
            document.getElementById('refreshed').textContent = 'Updated ' + new Date().toISOString().substring(11, 19) + ' UTC.';
          } catch (e) {
            document.getElementById('refreshed').textContent = 'Refresh failed (' + e.message + '); retrying.';
          }
        }
        setInterval(refresh, 2000);
        """;

    internal static async Task<IResult> AlertPage(string id, HttpContext http, IGrainFactory grains, RecentAlerts recentAlerts)
    {
        var (alert, failure) = await AlertsApi.FindAsync(id, http, grains);
        if (failure is not null)
        {
            var status = failure is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status404NotFound;
            http.Response.StatusCode = status;
            if (status != StatusCodes.Status404NotFound) RecentAlerts.AskToRetry(http.Response);
            return Page(http, "Alert not found", "../", status == StatusCodes.Status404NotFound
                ? $"<h1>Alert not found</h1><p>No alert with id <code>{H(id)}</code>.</p><p><a href=\"../\">All alerts</a></p>"
                : "<h1>Alert unavailable</h1><p>The cluster is recovering from a silo loss; reload in a few seconds.</p>");
        }

        var a = alert!;
        var e = a.Evidence;
        var body = new StringBuilder("<p><a href=\"../\">All alerts</a> · <a href=\"../api/v1/alerts/").Append(Uri.EscapeDataString(a.Id)).Append("\">JSON</a></p>\n")
            .Append("<h1 class=\"").Append(a.Severity.Name()).Append("\" id=\"title\">").Append(H(a.Title)).Append("</h1>\n")
            .Append("<p>").Append("<span class=\"state ").Append(a.State).Append("\" id=\"state\">").Append(a.State).Append("</span> ")
            .Append(a.Severity.Name()).Append(" · ").Append(H(a.Type)).Append(" · <a href=\"../workloads/").Append(Uri.EscapeDataString(a.Workload)).Append("\">")
            .Append(H(a.Workload)).Append("</a> · ").Append(H(e.Key.PortLabel)).Append(' ').Append(H(e.Key.TargetOrScope)).Append("</p>\n");
        if (a.Acknowledged is { } ack) body.Append("<p id=\"acknowledged\">Acknowledged ").Append(H(AlertText.Audit(ack))).Append("</p>\n");
        if (a.Resolved is { } resolved) body.Append("<p id=\"resolved\">Resolved ").Append(H(AlertText.Audit(resolved))).Append("</p>\n");
        if (a.SilenceId is { } silence)
        {
            body.Append("<p id=\"silenced\">Silenced by <a href=\"../silences#").Append(H(silence)).Append("\">").Append(H(silence)).Append("</a>: listed here, not sent to Slack or RSS.</p>\n");
        }

        if (a.Resolved is null)
        {
            body.Append("<div class=\"actions\" id=\"workflow\"><label>Note <input id=\"note\" maxlength=\"2000\" size=\"40\"></label>")
                .Append("<button type=\"button\" id=\"acknowledge\"").Append(a.Acknowledged is null ? "" : " disabled").Append(">Acknowledge</button>")
                .Append("<button type=\"button\" id=\"resolve\">Resolve</button>")
                .Append("<a id=\"silence\" href=\"../silences?").Append(SilencePrefill(a)).Append("\">Silence…</a></div><p class=\"error\" id=\"workflow-error\"></p>\n");
        }

        body.Append("<h2>Timeline</h2>\n").Append(Timeline(a.Timeline ?? []))
            .Append("\n<h2>Evidence</h2>\n<div id=\"evidence\">").Append(AlertText.DescribeHtml(a)).Append("</div>\n");
        if (e.SampleTargets.Length > 0)
        {
            body.Append("<h2>Sample targets</h2>\n<ul id=\"samples\">");
            foreach (var target in e.SampleTargets) body.Append("<li><code>").Append(H(target)).Append("</code></li>");
            body.Append("</ul>\n");
        }

        if (e.Mitre.Length > 0)
        {
            body.Append("<h2>MITRE ATT&amp;CK</h2>\n<ul id=\"mitre\">");
            foreach (var technique in e.Mitre)
            {
                body.Append("<li><a href=\"").Append(H(MitreUrl(technique))).Append("\" rel=\"noreferrer\">").Append(H(AlertText.MitreLabel(technique))).Append("</a></li>");
            }

            body.Append("</ul>\n");
        }

        body.Append("<h2>Baseline judged against</h2>\n<div id=\"baseline\">").Append(await BaselineSummary(a, grains, http.RequestAborted)).Append("</div>\n");
        var (recent, _) = await recentAlerts.ReadAsync(http.RequestAborted);
        body.Append("<h2>Linked alerts</h2>\n").Append(LinkedAlerts(a, recent ?? []));
        if (a.TraceId is { } trace) body.Append("<h2>Trace</h2>\n<p>Trace id <code id=\"trace\">").Append(H(trace)).Append("</code></p>\n");
        return Page(http, SafeText.Clean(a.Title), "../", body.ToString(), AlertScript.Replace("ALERT_ID", System.Text.Json.JsonSerializer.Serialize(a.Id), StringComparison.Ordinal));
    }

    private const string AlertScript = """
        const id = ALERT_ID;
        async function step(name) {
          const by = who();
          if (!by) return;
          try {
            await api('POST', 'api/v1/alerts/' + encodeURIComponent(id) + '/' + name, { by, note: document.getElementById('note').value || null });
            location.reload();
          } catch (e) { document.getElementById('workflow-error').textContent = e.message; }
        }
        for (const name of ['acknowledge', 'resolve']) {
          const button = document.getElementById(name);
          if (button) button.addEventListener('click', () => step(name));
        }
        if (document.body.dataset.admin !== 'true') for (const b of document.querySelectorAll('#workflow button')) { b.disabled = true; b.title = 'Needs an admin key'; }
        """;

    /// <summary>The silence form's query for this alert: its workload, type and port (the user narrows or widens it).</summary>
    private static string SilencePrefill(AlertRecord a)
    {
        var query = $"new=1&workload={Uri.EscapeDataString(a.Workload)}&type={Uri.EscapeDataString(a.Type)}&from={Uri.EscapeDataString(a.Id)}";
        if (a.Evidence.Key.Port is { } port and > 0) query += string.Create(CultureInfo.InvariantCulture, $"&port={port}");
        if (a.Evidence.Key.Target is { } target) query += "&cidr=" + Uri.EscapeDataString(target.ToString());
        return query;
    }

    /// <summary>The threshold that applied, why, and the workload's learned figures for the alert's port.</summary>
    private static async Task<string> BaselineSummary(AlertRecord a, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var e = a.Evidence;
        var html = new StringBuilder("<p>Threshold <b>").Append(e.Threshold).Append("</b> (").Append(H(e.ThresholdReason)).Append(')')
            .Append(e.DuringLearning ? "; raised <b>during learning</b>: judged on static thresholds while the workload's baseline is still being learned." : ".").Append("</p>");
        if (a.Evidence.Key.Subject.Kind != AlertSubjectKind.Workload) return html.ToString();
        try
        {
            if (!await WorkloadRegistry.For(grains, a.Workload).Contains(a.Workload).WaitAsync(RecentAlerts.ReadTimeout, cancellationToken)) return html.ToString();
            var view = await grains.GetGrain<IWorkloadGrain>(a.Workload).GetView().WaitAsync(RecentAlerts.ReadTimeout, cancellationToken);
            if (view.Baseline is not { } baseline) return html.ToString();
            html.Append("<p>Workload baseline: <b>").Append(H(baseline.Status)).Append("</b>");
            if (baseline.LearnedAt is { } learnedAt) html.Append(", learned at ").Append(Time(learnedAt));
            html.Append(". <a href=\"../workloads/").Append(Uri.EscapeDataString(a.Workload)).Append("\">The workload's baseline</a></p>");
            var port = baseline.FanOut.Where(f => f.Port == (e.Key.Port ?? -1)).ToArray();
            if (port.Length > 0) html.Append(WorkloadPages.FanOutTable(port));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            html.Append("<p class=\"muted\">The workload's baseline cannot be read right now.</p>");
        }

        return html.ToString();
    }

    /// <summary>
    /// Alerts this one names in its evidence (a chain's steps, an incident's members: any value that is an alert id)
    /// and the other recent alerts about the same subject. Generic: new alert types link by putting ids in evidence.
    /// </summary>
    private static string LinkedAlerts(AlertRecord a, AlertRecord[] recent)
    {
        var named = (a.Evidence.Evidence ?? [])
            .SelectMany(p => p.Value.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => (p.Key, Id: v)))
            .Where(p => AlertIds.TryParse(p.Id, out _, out _) && p.Id != a.Id)
            .ToArray();
        var related = recent.Where(r => r.Id != a.Id && r.Evidence.Key.Subject == a.Evidence.Key.Subject && named.All(n => n.Id != r.Id)).Take(20).ToArray();
        if (named.Length == 0 && related.Length == 0) return "<p class=\"muted\" id=\"linked\">None.</p>\n";
        var html = new StringBuilder("<ul id=\"linked\">");
        foreach (var (key, linked) in named)
        {
            var title = recent.FirstOrDefault(r => r.Id == linked)?.Title ?? linked;
            html.Append("<li>").Append(H(key)).Append(": <a href=\"").Append(Uri.EscapeDataString(linked)).Append("\">").Append(H(title)).Append("</a></li>");
        }

        foreach (var r in related)
        {
            html.Append("<li>same ").Append(a.Evidence.Key.Subject.Kind == AlertSubjectKind.Workload ? "workload" : "group").Append(": <a href=\"")
                .Append(Uri.EscapeDataString(r.Id)).Append("\">").Append(H(r.Title)).Append("</a> <span class=\"state ").Append(r.State).Append("\">").Append(r.State).Append("</span></li>");
        }

        return html.Append("</ul>\n").ToString();
    }

    internal static async Task<IResult> SignIn(HttpContext http, ApiKeyCheck keys, TimeProvider time)
    {
        if (!http.Request.HasFormContentType) return SignInPage(http, KeyRole.Read, "Sign in with the form.");
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var name = form["name"].ToString().Trim();
        var returnTo = form["return"].ToString();
        // Only a path on this site: an open redirect would let a link sign someone in and send them elsewhere.
        if (!returnTo.StartsWith('/') || returnTo.StartsWith("//", StringComparison.Ordinal) || returnTo.Contains('\\', StringComparison.Ordinal)) returnTo = "/";
        if (!keys.Required) return TypedResults.Redirect(returnTo);
        if (name.Length is 0 or > AlertWorkflowApi.MaxNameLength || name.Any(char.IsControl))
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return SignInPage(http, KeyRole.Read, $"Give your name (1-{AlertWorkflowApi.MaxNameLength} characters): it goes into the audit trail.");
        }

        if (keys.SignIn(form["key"].ToString(), name) is not { } cookie)
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return SignInPage(http, KeyRole.Read, "That is not a read or admin key.");
        }

        http.Response.Cookies.Append(ConsoleSession.CookieName, cookie, ConsoleSession.CookieOptions(http.Request, time.GetUtcNow()));
        return TypedResults.Redirect(returnTo);
    }

    internal static IResult SignOut(HttpContext http)
    {
        http.Response.Cookies.Delete(ConsoleSession.CookieName, new CookieOptions { Path = "/", HttpOnly = true, SameSite = SameSiteMode.Strict });
        return TypedResults.NoContent();
    }
}
