using System.Globalization;
using System.Text;
using static OrleansDetect.Silo.Api.ConsoleHtml;

namespace OrleansDetect.Silo.Api;

/// <summary>The console's workload pages: a searchable list (through the workload registry) and one workload's baseline.</summary>
public static class WorkloadPages
{
    private const int PageSize = 100;

    internal static async Task<IResult> List(HttpContext http, IGrainFactory grains, string? prefix, string? state, string? after)
    {
        var body = new StringBuilder("<h1>Workloads</h1>\n<form class=\"filters\" method=\"get\" id=\"search\">")
            .Append("<label>Name starts with <input name=\"prefix\" id=\"prefix\" value=\"").Append(H(prefix)).Append("\"></label>")
            .Append("<label>State <select name=\"state\">");
        foreach (var value in new[] { "", "learning", "learned" })
        {
            body.Append("<option value=\"").Append(value).Append('"').Append(value == (state ?? "") ? " selected" : "").Append('>').Append(value.Length == 0 ? "any" : value).Append("</option>");
        }

        body.Append("</select></label><button type=\"submit\">Search</button></form>\n");
        var result = await WorkloadsApi.ListWorkloads(http, grains, string.IsNullOrEmpty(prefix) ? null : prefix, string.IsNullOrEmpty(state) ? null : state, PageSize, after);
        if (result.Result is not Microsoft.AspNetCore.Http.HttpResults.Ok<WorkloadsApi.WorkloadPage> { Value: { } page })
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            var detail = result.Result is Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult problem ? problem.ProblemDetails.Detail : "Bad search.";
            return Page(http, "Workloads", "./", body.Append("<p class=\"error\">").Append(H(detail)).Append("</p>").ToString());
        }

        body.Append("<table id=\"workloads\"><thead><tr><th>Workload</th><th>State</th><th>Registered</th></tr></thead><tbody>\n");
        foreach (var item in page.Items)
        {
            body.Append("<tr><td><a href=\"workloads/").Append(Uri.EscapeDataString(item.Workload)).Append("\">").Append(H(item.Workload)).Append("</a></td><td>")
                .Append(item.State).Append("</td><td>").Append(Time(item.RegisteredAt)).Append("</td></tr>\n");
        }

        body.Append("</tbody></table>\n");
        if (page.Items.Length == 0) body.Append("<p class=\"muted\">No workloads match.</p>");
        if (page.Next is { } next)
        {
            body.Append("<p><a id=\"next\" href=\"workloads?prefix=").Append(Uri.EscapeDataString(prefix ?? "")).Append("&state=").Append(Uri.EscapeDataString(state ?? ""))
                .Append("&after=").Append(Uri.EscapeDataString(next)).Append("\">Next ").Append(PageSize).Append(" →</a></p>");
        }

        return Page(http, "Workloads", "./", body.ToString());
    }

    internal static async Task<IResult> One(string id, HttpContext http, IGrainFactory grains, RecentAlerts recentAlerts)
    {
        var found = await WorkloadsApi.GetWorkload(id, grains);
        if (found.Result is not Microsoft.AspNetCore.Http.HttpResults.Ok<WorkloadView> { Value: { } view })
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Page(http, "Workload not found", "../", $"<h1>Workload not found</h1><p>No events have been seen from <code>{H(id)}</code>.</p><p><a href=\"../workloads\">All workloads</a></p>");
        }

        var body = new StringBuilder("<p><a href=\"../workloads\">All workloads</a> · <a href=\"../api/v1/workloads/").Append(Uri.EscapeDataString(id)).Append("\">JSON</a></p>\n")
            .Append("<h1>").Append(H(view.Workload)).Append("</h1>\n<table id=\"summary\">")
            .Append("<tr><th>Events seen</th><td>").Append(N(view.EventsSeen)).Append("</td></tr>")
            .Append("<tr><th>Event time</th><td>").Append(Time(view.FirstEventTime)).Append(" to ").Append(Time(view.LastEventTime)).Append("</td></tr>")
            .Append("<tr><th>Late / future / inbound events</th><td>").Append(N(view.LateEvents)).Append(" / ").Append(N(view.FutureEvents)).Append(" / ").Append(N(view.InboundEvents)).Append("</td></tr>")
            .Append("<tr><th>Suppressed detections</th><td>").Append(N(view.SuppressedDetections)).Append("</td></tr>");
        if (view.Baseline is { } b)
        {
            body.Append("<tr><th>Baseline</th><td id=\"learning\"><b>").Append(H(b.Status)).Append("</b>");
            if (b.LearningSince is { } since) body.Append(", since ").Append(Time(since));
            if (b.LearningUntil is { } until) body.Append(", learning until at least ").Append(Time(until));
            if (b.LearnedAt is { } at) body.Append(", learned at ").Append(Time(at));
            body.Append("</td></tr>");
        }

        body.Append("</table>\n");
        if (view.SweepWindows.Length > 0)
        {
            body.Append("<h2>Current sweep windows</h2>\n<table id=\"windows\"><tr><th>Port</th><th>Scope</th><th>Distinct failed targets vs threshold</th></tr>");
            foreach (var w in view.SweepWindows.OrderByDescending(w => (double)w.DistinctTargets / Math.Max(1, w.Threshold)).Take(50))
            {
                body.Append("<tr><td>").Append(H(w.Protocol)).Append('/').Append(w.Port).Append("</td><td>").Append(H(w.Scope)).Append("</td><td>")
                    .Append(Bars([("now", w.DistinctTargets)], w.Threshold)).Append("</td></tr>");
            }

            body.Append("</table>\n");
        }

        if (view.Baseline is { } baseline)
        {
            if (baseline.FanOut.Length > 0) body.Append("<h2>Per-port fan-out</h2>\n").Append(FanOutTable(baseline.FanOut));
            body.Append("<h2>Encrypted DNS resolvers</h2>\n");
            if (baseline.Resolvers.Length == 0) body.Append("<p class=\"muted\">None seen.</p>");
            else
            {
                body.Append("<table id=\"resolvers\"><tr><th>Resolver</th><th>Protocol</th><th>Known as</th><th>In baseline</th><th>Connections</th><th>First / last seen</th></tr>");
                foreach (var r in baseline.Resolvers)
                {
                    body.Append("<tr><td>").Append(H(r.Address)).Append("</td><td>").Append(H(r.Protocol)).Append("</td><td>").Append(H(r.KnownAs ?? "")).Append("</td><td>")
                        .Append(r.InBaseline ? "yes" : "no (alerted)").Append("</td><td>").Append(N(r.Connections)).Append("</td><td>").Append(Time(r.FirstSeen)).Append(" / ").Append(Time(r.LastSeen)).Append("</td></tr>");
                }

                body.Append("</table>\n");
            }

            foreach (var v in baseline.EncryptedDnsVolumes)
            {
                body.Append("<p>").Append(H(v.Protocol)).Append(" connections per window: ")
                    .Append(Bars([("mean", v.MeanConnections), ("high", v.HighConnections), ("now", v.CurrentConnections)], v.ConnectionThreshold)).Append("</p>");
            }
        }

        var (recent, _) = await recentAlerts.ReadAsync(http.RequestAborted);
        var alerts = (recent ?? []).Where(a => a.Evidence.Key.Subject.Kind == AlertSubjectKind.Workload && a.Workload == view.Workload).ToArray();
        body.Append("<h2>Its alerts</h2>\n");
        if (alerts.Length == 0) body.Append("<p class=\"muted\" id=\"its-alerts\">None among the recent alerts.</p>");
        else
        {
            body.Append("<ul id=\"its-alerts\">");
            foreach (var a in alerts)
            {
                body.Append("<li><span class=\"").Append(a.Severity.Name()).Append("\">").Append(a.Severity.Name()).Append("</span> <a href=\"../alerts/")
                    .Append(Uri.EscapeDataString(a.Id)).Append("\">").Append(H(a.Title)).Append("</a> <span class=\"state ").Append(a.State).Append("\">").Append(a.State).Append("</span> ")
                    .Append(Time(a.LastSeen)).Append("</li>");
            }

            body.Append("</ul>");
        }

        return Page(http, view.Workload, "../", body.ToString());
    }

    /// <summary>Learned fan-out per port: mean, high quantile and current peak against the learned threshold, as bars.</summary>
    internal static string FanOutTable(IEnumerable<FanOutView> fanOut)
    {
        var html = new StringBuilder("<table class=\"fanout\"><tr><th>Port</th><th>Scope</th><th>Windows</th><th>Learned threshold</th><th>Distinct failed targets per window</th></tr>");
        foreach (var f in fanOut.OrderByDescending(f => f.High).Take(50))
        {
            html.Append("<tr><td>").Append(H(f.Protocol)).Append('/').Append(f.Port).Append("</td><td>").Append(H(f.Scope)).Append("</td><td>")
                .Append(f.Windows.ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(f.LearnedThreshold > 0 ? f.LearnedThreshold.ToString(CultureInfo.InvariantCulture) : "static")
                .Append("</td><td>").Append(Bars([("mean", f.Mean), ("high", f.High), ("peak", f.CurrentPeak)], f.LearnedThreshold)).Append("</td></tr>");
        }

        return html.Append("</table>\n").ToString();
    }
}
