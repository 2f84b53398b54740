using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansDetect.Ingest;
using StackExchange.Redis;

namespace OrleansDetect.Client.Gateway;

/// <summary>What the Orleans-client mode needs to find the cluster.</summary>
/// <param name="Redis">The cluster's Redis (<c>HOST:PORT[,password=…]</c>): membership lists the silos' gateways.</param>
/// <param name="ClusterId">Null: <c>Orleans__ClusterId</c> from the environment, or Orleans' default.</param>
/// <param name="ServiceId">Null: <c>Orleans__ServiceId</c> from the environment, or Orleans' default.</param>
internal sealed record OrleansSettings(string Redis, string? ClusterId = null, string? ServiceId = null)
{
    public const string RedisVariable = "ConnectionStrings__redis";
}

/// <summary>
/// Talks to the cluster as an Orleans client: parses NDJSON here with the silo's own parser and calls the
/// ingest router grain directly, skipping HTTP. Connects on first use; the Orleans client spreads calls over
/// the silos' gateways and moves off a dead one by itself. Calls failing while membership changes are retried
/// here with the same bounded backoff as the HTTP gateway's client side.
/// </summary>
internal sealed class OrleansTarget : IIngestTarget
{
    private const int MaxAttempts = 5;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(200);

    private readonly OrleansSettings _settings;
    private readonly IHost _host;
    private readonly Lazy<Task<IClusterClient>> _client;

    public OrleansTarget(OrleansSettings settings)
    {
        _settings = settings;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddEnvironmentVariables();
        var overrides = new Dictionary<string, string?>();
        if (settings.ClusterId is { } clusterId) overrides["Orleans:ClusterId"] = clusterId;
        if (settings.ServiceId is { } serviceId) overrides["Orleans:ServiceId"] = serviceId;
        builder.Configuration.AddInMemoryCollection(overrides);
        // The console belongs to the command's output; Orleans' own chatter stays out of it.
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client => client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(settings.Redis)));
        _host = builder.Build();
        _client = new Lazy<Task<IClusterClient>>(ConnectAsync);
    }

    public string Description => $"Orleans cluster via {RedactedRedis()}";

    /// <summary>The connected cluster client (connects on first use).</summary>
    public Task<IClusterClient> ClusterClient => _client.Value;

    public async Task<IngestOutcome> PostFlowsAsync(ReadOnlyMemory<byte> ndjson, CancellationToken cancellationToken)
    {
        var parsed = new FlowParser().Parse(ndjson.Span);
        var late = 0;
        var attempts = 1;
        if (parsed.Batches.Length > 0)
        {
            IClusterClient client;
            try
            {
                client = await _client.Value.WaitAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return IngestOutcome.Failed($"cannot connect to the cluster via {RedactedRedis()}: {e.Message}", null, attempts);
            }

            // One key per batch: a workload that processed it before a failure answers a resend from memory.
            var key = IngestBatchKey.From(Guid.NewGuid().ToString("N"));
            var pending = parsed.Batches;
            for (var backoff = FirstBackoff; ; attempts++, backoff *= 2)
            {
                try
                {
                    var result = await client.GetGrain<IIngestRouterGrain>(0).Ingest(pending, key).WaitAsync(cancellationToken);
                    late += result.Late;
                    if (!result.AnyFailed) break;

                    // Only the workloads the router could not reach are sent again.
                    pending = [.. result.Failed!.Select(i => pending[i])];
                    if (attempts >= MaxAttempts)
                    {
                        return IngestOutcome.Failed($"{pending.Sum(p => p.Events.Length)} events of {pending.Length} workloads not processed after {attempts} attempts", HttpStatusCode.ServiceUnavailable, attempts);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException && attempts < MaxAttempts && IsTransient(e))
                {
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return IngestOutcome.Failed($"cluster call failed: {e.GetType().Name}: {e.Message}", HttpStatusCode.ServiceUnavailable, attempts);
                }

                await Task.Delay(backoff, cancellationToken);
            }
        }

        var response = new IngestResponse
        {
            Accepted = parsed.Accepted,
            Rejected = parsed.Rejected,
            Late = late,
            Errors = [.. parsed.Errors.Select(e => new LineError(e.Line, e.Error))],
            RejectedBy = parsed.RejectionReasons.ToDictionary(),
        };
        return IngestOutcome.Answered(response, HttpStatusCode.Accepted, attempts);
    }

    public async Task<IReadOnlyList<AlertSummary>> GetAlertsAsync(AlertQuery query, CancellationToken cancellationToken)
    {
        AlertRecord[] recent;
        try
        {
            var client = await _client.Value.WaitAsync(cancellationToken);
            recent = await client.GetGrain<IAlertFeedGrain>(IAlertFeedGrain.Key).GetRecent(500).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new IngestTargetException($"reading alerts from the cluster failed: {e.GetType().Name}: {e.Message}");
        }

        return [.. recent
            .Where(a => query.Workload is null || string.Equals(a.Workload, query.Workload, StringComparison.Ordinal))
            .Where(a => query.Type is null || string.Equals(a.Type, query.Type, StringComparison.OrdinalIgnoreCase))
            .Take(query.Limit)
            .Select(ToSummary)];
    }

    public void Dispose()
    {
        if (_client.IsValueCreated && _client.Value.IsCompletedSuccessfully)
        {
            // Leaving the cluster politely takes a moment; the command is over either way.
            _host.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        }

        _host.Dispose();
    }

    private async Task<IClusterClient> ConnectAsync()
    {
        await _host.StartAsync();
        return _host.Services.GetRequiredService<IClusterClient>();
    }

    private static bool IsTransient(Exception e) => MembershipFailures.IsTransient(e);

    private static AlertSummary ToSummary(AlertRecord a) => new()
    {
        Id = a.Id,
        Type = a.Type,
        Severity = a.Severity.Name(),
        Workload = a.Workload,
        Title = a.Title,
        Protocol = a.Evidence.Key.Protocol.Name(),
        Port = a.Evidence.Key.Port ?? 0,
        Scope = a.Evidence.Key.TargetOrScope,
        DistinctTargets = a.Evidence.DistinctTargets,
        SampleTargets = a.Evidence.SampleTargets,
        FirstSeen = a.FirstSeen,
        LastSeen = a.LastSeen,
        Updates = a.Updates,
        Mitre = a.Evidence.Mitre,
    };

    /// <summary>The Redis endpoints without the password.</summary>
    private string RedactedRedis() => string.Join(",", ConfigurationOptions.Parse(_settings.Redis).EndPoints.Select(e => e.ToString()));
}
