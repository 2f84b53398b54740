using System.Globalization;
using System.Net;
using System.Text;
using OrleansDetect.Grains.Alerts;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Silo.Api;

/// <summary>
/// The console's page frame, styles, shared script and small SVG charts. Everything is inline: the silo serves every
/// byte a page needs (no CDN, no build step). Text that came from flows or users is HTML-escaped where it is written.
/// </summary>
public static class ConsoleHtml
{
    public const string HtmlType = "text/html; charset=utf-8";

    /// <summary>Escapes for HTML text and attribute values (after making the text safe: <see cref="SafeText"/>).</summary>
    public static string H(string? text) => AlertText.Html(text ?? "");

    public static string Time(DateTimeOffset? time) => time is { } t ? AlertText.Iso(t) : "";

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A whole page: navigation, the body, the shared script, then the page's own.</summary>
    /// <param name="http">The request (who is signed in; whether changes are allowed).</param>
    /// <param name="root">The relative path back to the console's root from this page ("./" or "../").</param>
    public static IResult Page(HttpContext http, string title, string root, string body, string? script = null)
    {
        var keys = http.RequestServices.GetRequiredService<ApiKeyCheck>();
        var session = keys.Required ? keys.Session(http.Request) : null;
        var admin = !keys.Required || keys.IsAuthorized(http.Request, KeyRole.Admin, allowBasic: true) || session?.Role == KeyRole.Admin;
        var html = new StringBuilder(8192)
            .Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(H(title)).Append(" · OrleansDetect</title>\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>").Append(Styles).Append("</style></head>\n")
            .Append("<body data-root=\"").Append(root).Append("\" data-admin=\"").Append(admin ? "true" : "false")
            .Append("\" data-user=\"").Append(H(session?.Name ?? "")).Append("\">\n<nav><b>OrleansDetect</b> <a href=\"").Append(root).Append("\">Alerts</a> <a href=\"")
            .Append(root).Append("workloads\">Workloads</a> <a href=\"").Append(root).Append("silences\">Silences</a> <a href=\"")
            .Append(root).Append("alerts.rss\">RSS</a> <a href=\"").Append(root).Append("openapi/v1.json\">API</a>");
        if (session is { } s)
        {
            html.Append(" <span class=\"who\">signed in as ").Append(H(s.Name)).Append(" (").Append(s.Role.ToString().ToLowerInvariant())
                .Append(") <button type=\"button\" id=\"signout\">Sign out</button></span>");
        }

        html.Append("</nav>\n<main>\n").Append(body).Append("\n</main>\n<script>").Append(SharedScript).Append("</script>\n");
        if (script is not null) html.Append("<script>").Append(script).Append("</script>\n");
        html.Append("</body></html>");
        return TypedResults.Text(html.ToString(), HtmlType);
    }

    /// <summary>The sign-in form, answered with 401 for a page opened without a key.</summary>
    public static IResult SignInPage(HttpContext http, KeyRole role, string? problem = null)
    {
        var path = http.Request.Path.Value ?? "/";
        var depth = Math.Max(0, path.Count(c => c == '/') - 1);
        var root = depth == 0 ? "./" : string.Concat(Enumerable.Repeat("../", depth));
        var returnTo = path + http.Request.QueryString;
        var body = new StringBuilder("<h1>Sign in</h1>\n<p>This console needs a ").Append(role == KeyRole.Admin ? "an admin" : "a read or admin")
            .Append(" key. Your key is checked once; the browser then keeps a session cookie (12 h) that holds no key.</p>\n");
        if (problem is not null) body.Append("<p class=\"error\" id=\"signin-error\">").Append(H(problem)).Append("</p>\n");
        body.Append("<form method=\"post\" action=\"").Append(root).Append("signin\" class=\"card\">")
            .Append("<label>Your name (shown in the audit trail) <input name=\"name\" id=\"name\" required maxlength=\"100\" autocomplete=\"username\"></label>")
            .Append("<label>Key <input name=\"key\" id=\"key\" type=\"password\" required autocomplete=\"current-password\"></label>")
            .Append("<input type=\"hidden\" name=\"return\" value=\"").Append(H(returnTo)).Append("\">")
            .Append("<button type=\"submit\" id=\"signin\">Sign in</button></form>");
        return Page(http, "Sign in", root, body.ToString());
    }

    /// <summary>A line chart of the alert's timeline: distinct targets and failed attempts over event time.</summary>
    public static string Timeline(IReadOnlyList<TimelinePoint> points)
    {
        const int width = 640, height = 220, left = 48, right = 12, top = 14, bottom = 36;
        var svg = new StringBuilder("<svg id=\"timeline\" role=\"img\" aria-label=\"Distinct targets and failed attempts over event time\" viewBox=\"0 0 ")
            .Append(width).Append(' ').Append(height).Append("\" width=\"").Append(width).Append("\" height=\"").Append(height).Append("\">");
        if (points.Count == 0) return svg.Append("<text x=\"10\" y=\"20\">No timeline recorded (alert stored before timelines existed).</text></svg>").ToString();

        var t0 = points[0].EventTimeMs;
        var t1 = Math.Max(points[^1].EventTimeMs, t0 + 1);
        var max = Math.Max(1, points.Max(p => Math.Max(p.DistinctTargets, p.FailedAttempts)));
        double X(long t) => left + (width - left - right) * (double)(t - t0) / (t1 - t0);
        double Y(int v) => height - bottom - (height - top - bottom) * (double)v / max;
        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

        svg.Append("<line x1=\"").Append(left).Append("\" y1=\"").Append(height - bottom).Append("\" x2=\"").Append(width - right).Append("\" y2=\"").Append(height - bottom).Append("\" class=\"axis\"/>")
            .Append("<line x1=\"").Append(left).Append("\" y1=\"").Append(top).Append("\" x2=\"").Append(left).Append("\" y2=\"").Append(height - bottom).Append("\" class=\"axis\"/>")
            .Append("<text x=\"").Append(left - 6).Append("\" y=\"").Append(top + 4).Append("\" text-anchor=\"end\">").Append(max).Append("</text>")
            .Append("<text x=\"").Append(left - 6).Append("\" y=\"").Append(height - bottom).Append("\" text-anchor=\"end\">0</text>")
            .Append("<text x=\"").Append(left).Append("\" y=\"").Append(height - 18).Append("\">").Append(AlertText.Iso(t0)).Append("</text>")
            .Append("<text x=\"").Append(width - right).Append("\" y=\"").Append(height - 18).Append("\" text-anchor=\"end\">").Append(AlertText.Iso(t1)).Append("</text>");
        foreach (var (name, css, value) in new (string, string, Func<TimelinePoint, int>)[] { ("distinct targets", "targets", p => p.DistinctTargets), ("failed attempts", "failed", p => p.FailedAttempts) })
        {
            svg.Append("<polyline class=\"").Append(css).Append("\" points=\"");
            foreach (var p in points) svg.Append(F(X(p.EventTimeMs))).Append(',').Append(F(Y(value(p)))).Append(' ');
            svg.Append("\"><title>").Append(name).Append("</title></polyline>");
            foreach (var p in points)
            {
                svg.Append("<circle class=\"").Append(css).Append("\" r=\"3\" cx=\"").Append(F(X(p.EventTimeMs))).Append("\" cy=\"").Append(F(Y(value(p))))
                    .Append("\"><title>").Append(AlertText.Iso(p.EventTimeMs)).Append(": ").Append(value(p)).Append(' ').Append(name).Append("</title></circle>");
            }
        }

        return svg.Append("<text x=\"").Append(width - right).Append("\" y=\"").Append(height - 4).Append("\" text-anchor=\"end\"><tspan class=\"targets-key\">■ distinct targets</tspan> <tspan class=\"failed-key\">■ failed attempts</tspan></text></svg>").ToString();
    }

    /// <summary>A small horizontal bar chart: one bar per value against a common scale, the threshold as a mark.</summary>
    public static string Bars(IReadOnlyList<(string Label, double Value)> bars, double threshold)
    {
        const int width = 220, row = 14;
        var max = Math.Max(1, Math.Max(threshold, bars.Count == 0 ? 0 : bars.Max(b => b.Value)));
        var svg = new StringBuilder("<svg class=\"bars\" viewBox=\"0 0 ").Append(width).Append(' ').Append(row * bars.Count + 2)
            .Append("\" width=\"").Append(width).Append("\" height=\"").Append(row * bars.Count + 2).Append("\">");
        for (var i = 0; i < bars.Count; i++)
        {
            var w = (width - 70) * bars[i].Value / max;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"60\" y=\"{i * row + 2}\" width=\"{w:0.#}\" height=\"{row - 4}\" class=\"bar{i}\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{i * row + row - 3}\">{bars[i].Label} {bars[i].Value:0.#}</text>");
        }

        if (threshold > 0)
        {
            var x = 60 + (width - 70) * threshold / max;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"0\" x2=\"{x:0.#}\" y2=\"{row * bars.Count + 2}\" class=\"threshold\"><title>threshold {threshold:0}</title></line>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>The MITRE ATT&amp;CK page of a technique id (T1595.001 → techniques/T1595/001/).</summary>
    public static string MitreUrl(string technique) =>
        "https://attack.mitre.org/techniques/" + WebUtility.UrlEncode(technique.Replace('.', '/')).Replace("%2F", "/", StringComparison.Ordinal) + "/";

    private const string Styles =
        "body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}nav{background:#1f2937;color:#fff;padding:.6em 1.5em;display:flex;gap:1.2em;align-items:center}" +
        "nav a{color:#cde}.who{margin-left:auto;font-size:.9em}main{padding:1em 1.5em;max-width:90em}table{border-collapse:collapse;background:#fff}" +
        "th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #e5e5e5;vertical-align:top;font-size:.92em}th{background:#f0f0f0}" +
        ".high{color:#b00020;font-weight:600}.medium{color:#b26a00;font-weight:600}.low{color:#555}.sev{border-left:6px solid #999}" +
        "tr.high .sev,td.sev.high{border-left-color:#b00020}tr.medium .sev,td.sev.medium{border-left-color:#e69500}tr.low .sev,td.sev.low{border-left-color:#999}" +
        ".state{padding:.1em .5em;border-radius:1em;font-size:.85em;background:#eee}.state.open{background:#fde2e2}.state.acknowledged{background:#fff3c4}" +
        ".state.resolved{background:#dff5e1}.state.silenced{background:#e2e8f0}.card{background:#fff;border:1px solid #ddd;padding:1em;margin:1em 0;max-width:40em}" +
        "label{display:block;margin:.4em 0}input,select{font:inherit;padding:.2em}button{font:inherit;padding:.25em .8em;cursor:pointer}.error{color:#b00020}" +
        "form.filters{display:flex;gap:.8em;flex-wrap:wrap;align-items:end;margin:.5em 0}form.filters label{margin:0}.muted{color:#777;font-size:.9em}" +
        "svg text{font-size:11px;fill:#444}.axis{stroke:#999}polyline{fill:none;stroke-width:2}polyline.targets,circle.targets{stroke:#2563eb}circle{fill:#fff;stroke-width:2}" +
        "polyline.failed,circle.failed{stroke:#ea580c}.targets-key{fill:#2563eb}.failed-key{fill:#ea580c}.bar0{fill:#93c5fd}.bar1{fill:#2563eb}.bar2{fill:#ea580c}" +
        ".threshold{stroke:#b00020;stroke-width:2}.actions{display:flex;gap:.6em;margin:.8em 0}";

    // The console's own fetch: sends the CSRF header the cookie session needs for changes, and turns a problem
    // document into a readable error.
    private const string SharedScript = """
        const root = document.body.dataset.root;
        async function api(method, path, body) {
          const response = await fetch(root + path, { method, credentials: 'same-origin',
            headers: { 'Content-Type': 'application/json', 'X-OrleansDetect-Console': '1' },
            body: body === undefined ? undefined : JSON.stringify(body) });
          const text = await response.text();
          let json = null;
          try { json = text ? JSON.parse(text) : null; } catch (e) { }
          if (!response.ok) throw new Error((json && (json.detail || json.title)) || ('HTTP ' + response.status));
          return json;
        }
        function who() {
          let name = document.body.dataset.user || localStorage.getItem('orleansdetect.name');
          if (!name) { name = prompt('Your name, for the audit trail:'); if (name) localStorage.setItem('orleansdetect.name', name); }
          return name;
        }
        function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }
        function iso(t) { return t ? t.replace(/\.\d+/, '').replace('+00:00', 'Z') : ''; }
        const signout = document.getElementById('signout');
        if (signout) signout.addEventListener('click', async () => { await fetch(root + 'signout', { method: 'POST', headers: { 'X-OrleansDetect-Console': '1' } }); location.href = root; });
        """;
}
