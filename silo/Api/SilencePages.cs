using System.Text;
using static OrleansDetect.Silo.Api.ConsoleHtml;

namespace OrleansDetect.Silo.Api;

/// <summary>The console's silences page: the list with expire buttons, and the create form (prefilled from an alert).</summary>
public static class SilencePages
{
    internal static async Task<IResult> List(HttpContext http, IGrainFactory grains, TimeProvider time,
        string? workload, string? type, string? cidr, int? port, string? from)
    {
        var set = await grains.GetGrain<ISilenceRegistryGrain>(ISilenceRegistryGrain.Key).GetIfChanged(long.MinValue).WaitAsync(RecentAlerts.ReadTimeout, http.RequestAborted);
        var now = time.GetUtcNow();
        var body = new StringBuilder("<h1>Silences</h1>\n<p class=\"muted\">A silenced alert is still raised and listed (marked with the silence), but posts nothing to Slack and stays out of RSS.</p>\n")
            .Append("<form class=\"card\" id=\"create\"><h2>New silence</h2>");
        if (from is not null) body.Append("<p class=\"muted\">Prefilled from alert <a href=\"alerts/").Append(Uri.EscapeDataString(from)).Append("\">").Append(H(from)).Append("</a>.</p>");
        body.Append("<label>Workload (* matches anything) <input name=\"workload\" id=\"workload\" value=\"").Append(H(workload)).Append("\"></label>")
            .Append("<label>Type <input name=\"type\" id=\"type\" value=\"").Append(H(type)).Append("\" placeholder=\"port-sweep\"></label>")
            .Append("<label>Target network (CIDR) <input name=\"cidr\" id=\"cidr\" value=\"").Append(H(cidr)).Append("\" placeholder=\"10.0.0.0/8\"></label>")
            .Append("<label>Port <input name=\"port\" id=\"port\" type=\"number\" min=\"0\" max=\"65535\" value=\"").Append(port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "").Append("\"></label>")
            .Append("<label>For <select id=\"duration\"><option value=\"1\">1 hour</option><option value=\"4\" selected>4 hours</option><option value=\"24\">1 day</option><option value=\"168\">1 week</option></select></label>")
            .Append("<label>Comment <input name=\"comment\" id=\"comment\" maxlength=\"2000\" size=\"40\"></label>")
            .Append("<button type=\"submit\" id=\"create-silence\">Create silence</button> <span class=\"error\" id=\"create-error\"></span></form>\n")
            .Append("<table id=\"silences\"><thead><tr><th>Id</th><th>State</th><th>Matchers</th><th>Starts</th><th>Ends</th><th>By</th><th>Comment</th><th></th></tr></thead><tbody>\n");
        foreach (var s in (set?.Silences ?? []).OrderByDescending(s => s.CreatedAt))
        {
            var state = s.StateAt(now);
            var matchers = string.Join(" ", new[] { ("workload", s.Workload), ("type", s.Type), ("cidr", s.Cidr), ("port", s.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture)) }
                .Where(m => m.Item2 is not null).Select(m => $"{m.Item1}={m.Item2}"));
            body.Append("<tr id=\"").Append(H(s.Id)).Append("\" data-state=\"").Append(state).Append("\"><td><code>").Append(H(s.Id)).Append("</code></td><td>").Append(state).Append("</td><td>")
                .Append(H(matchers)).Append("</td><td>").Append(Time(s.StartsAt)).Append("</td><td>").Append(Time(s.EndsAt)).Append("</td><td>").Append(H(s.CreatedBy)).Append("</td><td>")
                .Append(H(s.Comment)).Append("</td><td>").Append(state == "expired" ? "" : $"<button type=\"button\" class=\"expire\" data-id=\"{H(s.Id)}\">Expire</button>").Append("</td></tr>\n");
        }

        body.Append("</tbody></table>");
        return Page(http, "Silences", "./", body.ToString(), Script);
    }

    private const string Script = """
        const form = document.getElementById('create');
        form.addEventListener('submit', async event => {
          event.preventDefault();
          const by = who();
          if (!by) return;
          const value = id => document.getElementById(id).value.trim() || null;
          const port = value('port');
          const hours = Number(document.getElementById('duration').value);
          try {
            await api('POST', 'api/v1/silences', { workload: value('workload'), type: value('type'), cidr: value('cidr'),
              port: port === null ? null : Number(port), endsAt: new Date(Date.now() + hours * 3600000).toISOString(), createdBy: by, comment: value('comment') });
            location.href = root + 'silences';
          } catch (e) { document.getElementById('create-error').textContent = e.message; }
        });
        for (const button of document.querySelectorAll('button.expire')) {
          button.addEventListener('click', async () => {
            try { await api('DELETE', 'api/v1/silences/' + encodeURIComponent(button.dataset.id)); location.reload(); }
            catch (e) { document.getElementById('create-error').textContent = e.message; }
          });
        }
        if (document.body.dataset.admin !== 'true') for (const b of document.querySelectorAll('main button')) { b.disabled = true; b.title = 'Needs an admin key'; }
        """;
}
