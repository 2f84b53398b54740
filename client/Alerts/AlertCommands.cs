using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansDetect.Client.Gateway;

namespace OrleansDetect.Client.Alerts;

/// <summary>
/// <c>alerts list|show|ack|resolve</c> and <c>silence add|list|expire</c>: the alert workflow from a terminal, over the
/// silo's HTTP API (the first <c>--gateway</c>, the <c>--api-key</c>: a read key to look, an admin key to change).
/// Exit codes: 0 done, 1 the silo refused (404, 409, 400: its problem detail is printed), 2 transport failure or usage.
/// </summary>
internal static class AlertCommands
{
    public static Command CreateAlerts(TextWriter output, TextWriter error)
    {
        var command = new Command("alerts", "List, show, acknowledge and resolve alerts.");

        var workload = new Option<string?>("--workload") { Description = "Only this workload's alerts" };
        var severity = new Option<string?>("--severity") { Description = "low, medium or high" };
        var state = new Option<string?>("--state") { Description = "open, acknowledged, resolved or silenced" };
        var type = new Option<string?>("--type") { Description = "A detection type (port-sweep, port-scan, …)" };
        var limit = new Option<int>("--limit") { Description = "At most this many (newest first)", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "The newest alerts, one a line: id, severity, state, last seen, title.") { workload, severity, state, type, limit };
        list.SetAction((parse, ct) => Run(parse, error, async api =>
        {
            var query = Query(("workload", parse.GetValue(workload)), ("severity", parse.GetValue(severity)), ("state", parse.GetValue(state)),
                ("type", parse.GetValue(type)), ("limit", parse.GetValue(limit).ToString(CultureInfo.InvariantCulture)));
            var (alerts, failure) = await api.Get<JsonElement[]>("api/v1/alerts" + query, ct);
            if (failure is not null) return failure.Value;
            foreach (var a in alerts!)
            {
                output.WriteLine($"{a.GetProperty("id").GetString(),-28} {a.GetProperty("severity").GetString(),-6} {a.GetProperty("state").GetString(),-12} " +
                                 $"{a.GetProperty("lastSeen").GetDateTimeOffset().UtcDateTime:yyyy-MM-dd HH:mm:ss}Z  {a.GetProperty("title").GetString()}");
            }

            if (alerts!.Length == 0) output.WriteLine("no alerts");
            return 0;
        }));
        command.Subcommands.Add(list);

        var id = new Argument<string>("id") { Description = "The alert id (as listed)" };
        var show = new Command("show", "One alert: its title, state and evidence.") { id };
        show.SetAction((parse, ct) => Run(parse, error, async api =>
        {
            var (alert, failure) = await api.Get<JsonElement>($"api/v1/alerts/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct);
            if (failure is not null) return failure.Value;
            PrintAlert(output, alert);
            return 0;
        }));
        command.Subcommands.Add(show);

        command.Subcommands.Add(Step("ack", "acknowledge", "Acknowledge an alert (it stays open and still escalates). Needs an admin key.", output, error));
        command.Subcommands.Add(Step("resolve", "resolve", "Resolve (close) an alert: its key's next detection opens a new alert. Needs an admin key.", output, error));
        return command;
    }

    public static Command CreateSilence(TextWriter output, TextWriter error)
    {
        var command = new Command("silence", "Create, list and expire silences: matched alerts are still listed but notify no one and stay out of RSS.");
        var workload = new Option<string?>("--workload") { Description = "Workload name; * matches any run of characters (web-*)" };
        var type = new Option<string?>("--type") { Description = "Detection type (port-sweep, …)" };
        var cidr = new Option<string?>("--cidr") { Description = "Target network (10.0.0.0/8)" };
        var port = new Option<int?>("--port") { Description = "Port" };
        var duration = new Option<string>("--for") { Description = "How long it applies from now (30m, 2h, 48h)", DefaultValueFactory = _ => "2h" };
        var by = new Option<string?>("--by") { Description = "Who creates it (default: $USER)" };
        var comment = new Option<string?>("--comment") { Description = "Why" };
        var add = new Command("add", "Create a silence; prints its id.") { workload, type, cidr, port, duration, by, comment };
        add.SetAction((parse, ct) => Run(parse, error, async api =>
        {
            if (!DurationText.TryParse(parse.GetValue(duration), out var span) || span <= TimeSpan.Zero)
            {
                error.WriteLine($"--for: '{parse.GetValue(duration)}' is not a duration (try 30m, 2h, 1d)");
                return ClientCommandLine.ExitUsage;
            }

            var body = new Dictionary<string, object?>
            {
                ["workload"] = parse.GetValue(workload), ["type"] = parse.GetValue(type), ["cidr"] = parse.GetValue(cidr), ["port"] = parse.GetValue(port),
                ["endsAt"] = DateTimeOffset.UtcNow.Add(span).ToString("O", CultureInfo.InvariantCulture),
                ["createdBy"] = parse.GetValue(by) ?? Who(), ["comment"] = parse.GetValue(comment),
            };
            var (created, failure) = await api.Send<JsonElement>(HttpMethod.Post, "api/v1/silences", body, ct);
            if (failure is not null) return failure.Value;
            output.WriteLine(created.GetProperty("id").GetString());
            return 0;
        }));
        command.Subcommands.Add(add);

        var list = new Command("list", "Every silence: id, state, until, matchers, who.");
        list.SetAction((parse, ct) => Run(parse, error, async api =>
        {
            var (silences, failure) = await api.Get<JsonElement[]>("api/v1/silences", ct);
            if (failure is not null) return failure.Value;
            foreach (var s in silences!)
            {
                var matchers = string.Join(' ', new[] { "workload", "type", "cidr", "port" }
                    .Where(m => s.GetProperty(m).ValueKind != JsonValueKind.Null)
                    .Select(m => $"{m}={s.GetProperty(m)}"));
                output.WriteLine($"{s.GetProperty("id").GetString(),-20} {s.GetProperty("state").GetString(),-8} until {s.GetProperty("endsAt").GetDateTimeOffset().UtcDateTime:yyyy-MM-dd HH:mm}Z  {matchers}  by {s.GetProperty("createdBy").GetString()}");
            }

            if (silences!.Length == 0) output.WriteLine("no silences");
            return 0;
        }));
        command.Subcommands.Add(list);

        var id = new Argument<string>("id") { Description = "The silence id" };
        var expire = new Command("expire", "Expire a silence now.") { id };
        expire.SetAction((parse, ct) => Run(parse, error, async api =>
        {
            var (_, failure) = await api.Send<JsonElement>(HttpMethod.Delete, $"api/v1/silences/{Uri.EscapeDataString(parse.GetValue(id)!)}", null, ct);
            if (failure is not null) return failure.Value;
            output.WriteLine($"expired {parse.GetValue(id)}");
            return 0;
        }));
        command.Subcommands.Add(expire);
        return command;
    }

    private static Command Step(string name, string path, string description, TextWriter output, TextWriter error)
    {
        var id = new Argument<string>("id") { Description = "The alert id" };
        var by = new Option<string?>("--by") { Description = "Who (default: $USER)" };
        var note = new Option<string?>("--note") { Description = "Why" };
        var command = new Command(name, description) { id, by, note };
        command.SetAction((parse, ct) => Run(parse, error, async api =>
        {
            var body = new Dictionary<string, object?> { ["by"] = parse.GetValue(by) ?? Who(), ["note"] = parse.GetValue(note) };
            var (alert, failure) = await api.Send<JsonElement>(HttpMethod.Post, $"api/v1/alerts/{Uri.EscapeDataString(parse.GetValue(id)!)}/{path}", body, ct);
            if (failure is not null) return failure.Value;
            output.WriteLine($"{alert.GetProperty("id").GetString()} is {alert.GetProperty("state").GetString()}");
            return 0;
        }));
        return command;
    }

    private static void PrintAlert(TextWriter output, JsonElement a)
    {
        output.WriteLine(a.GetProperty("title").GetString());
        output.WriteLine();
        foreach (var name in new[] { "id", "state", "severity", "type", "workload", "protocol", "port", "scope", "distinctTargets", "failedAttempts", "threshold", "thresholdReason", "firstSeen", "lastSeen", "silenceId" })
        {
            if (a.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null) output.WriteLine($"{name}: {value}");
        }

        foreach (var step in new[] { "acknowledged", "resolved" })
        {
            if (a.TryGetProperty(step, out var action) && action.ValueKind == JsonValueKind.Object)
            {
                var note = action.GetProperty("note").ValueKind == JsonValueKind.String ? $": {action.GetProperty("note").GetString()}" : "";
                output.WriteLine($"{step}: by {action.GetProperty("by").GetString()} at {action.GetProperty("at").GetDateTimeOffset().UtcDateTime:yyyy-MM-dd HH:mm:ss}Z{note}");
            }
        }

        if (a.GetProperty("sampleTargets").GetArrayLength() > 0) output.WriteLine($"sampleTargets: {string.Join(", ", a.GetProperty("sampleTargets").EnumerateArray().Select(t => t.GetString()))}");
        if (a.TryGetProperty("evidence", out var evidence) && evidence.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in evidence.EnumerateObject()) output.WriteLine($"{p.Name}: {p.Value.GetString()}");
        }
    }

    private static string Who() => Environment.UserName is { Length: > 0 } user ? user : "cli";

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToArray();
        return present.Length == 0 ? "" : "?" + string.Join('&', present);
    }

    private static async Task<int> Run(ParseResult parse, TextWriter error, Func<ConsoleApi, Task<int>> action)
    {
        using var target = ClientCommandLine.CreateTarget(parse, error);
        if (target is not HttpGateway gateway)
        {
            if (target is not null) error.WriteLine("alerts and silence talk to the HTTP API; leave out --orleans");
            return ClientCommandLine.ExitUsage;
        }

        using var api = new ConsoleApi(gateway.Settings, error);
        try
        {
            return await action(api);
        }
        catch (HttpRequestException e)
        {
            error.WriteLine($"cannot reach {gateway.Settings.Gateways[0]}: {e.Message}");
            return ClientCommandLine.ExitUsage;
        }
        catch (TaskCanceledException)
        {
            error.WriteLine($"{gateway.Settings.Gateways[0]} did not answer in time");
            return ClientCommandLine.ExitUsage;
        }
    }

    /// <summary>The silo's JSON API with the client's key; a refusal prints the problem's detail.</summary>
    private sealed class ConsoleApi : IDisposable
    {
        private readonly HttpClient _http;
        private readonly TextWriter _error;

        public ConsoleApi(GatewaySettings settings, TextWriter error)
        {
            _error = error;
            _http = new HttpClient { BaseAddress = settings.Gateways[0], Timeout = TimeSpan.FromSeconds(30) };
            if (settings.ApiKey is { } key) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        public async Task<(T? Value, int? Failure)> Get<T>(string path, CancellationToken ct)
        {
            using var response = await _http.GetAsync(path, ct);
            return await Read<T>(response, ct);
        }

        public async Task<(T? Value, int? Failure)> Send<T>(HttpMethod method, string path, object? body, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await _http.SendAsync(request, ct);
            return await Read<T>(response, ct);
        }

        private async Task<(T? Value, int? Failure)> Read<T>(HttpResponseMessage response, CancellationToken ct)
        {
            if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync<T>(ct), null);
            var detail = "";
            try
            {
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                detail = problem.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "";
            }
            catch (JsonException)
            {
                // Not a problem document: the status says enough.
            }

            _error.WriteLine($"{(int)response.StatusCode} {response.ReasonPhrase}{(detail.Length > 0 ? ": " + detail : "")}");
            return (default, response.StatusCode is HttpStatusCode.ServiceUnavailable ? ClientCommandLine.ExitUsage : 1);
        }

        public void Dispose() => _http.Dispose();
    }
}
