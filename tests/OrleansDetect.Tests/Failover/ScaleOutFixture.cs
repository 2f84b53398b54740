using System.Net;
using System.Text;
using OrleansDetect.Client.Gateway;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Failover;

/// <summary>
/// A real Redis and three silo processes clustered through it, plus a Slack stand-in and an Orleans client
/// (for asking where a grain lives). Membership probes are shortened so a killed silo is declared dead in
/// seconds; tests that kill a silo call <see cref="EnsureSilosAsync"/> first to get back to three.
/// </summary>
public class ScaleOutFixture : IAsyncLifetime
{
    public const int SiloCount = 3;

    private readonly List<SiloProcess> _silos = [];
    private OrleansTarget? _orleans;

    public RedisServer Redis { get; private set; } = null!;

    public SlackListener Slack { get; } = new(rateLimitFirst: 0);

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public async Task InitializeAsync()
    {
        Redis = new RedisServer();
        await Redis.StartAsync();
        await Slack.StartAsync();
        await EnsureSilosAsync();
        _orleans = new OrleansTarget(new OrleansSettings(Redis.ConnectionString, ClusterId, ServiceId));
    }

    public const string ClusterId = "failover-tests";
    public const string ServiceId = "orleansdetect-failover";

    /// <summary>Starts silos until <see cref="SiloCount"/> are running and ready.</summary>
    public async Task EnsureSilosAsync()
    {
        _silos.RemoveAll(s => s.HasExited);
        var started = new List<SiloProcess>();
        while (_silos.Count + started.Count < SiloCount) started.Add(SiloProcess.Start(Settings()));
        _silos.AddRange(started);
        await Task.WhenAll(_silos.Select(s => s.WaitReadyAsync(Http, TimeSpan.FromSeconds(90))));
        if (started.Count > 0 && _orleans is not null) await UntilClientReachesLiveGatewaysAsync();
    }

    /// <summary>
    /// After silos were replaced, the long-lived cluster client may still try a killed silo's gateway (its list is
    /// refreshed from Redis periodically): call until several calls in a row go through (bounded), so a test's first
    /// grain call does not fail on a gateway an earlier test killed.
    /// </summary>
    private async Task UntilClientReachesLiveGatewaysAsync()
    {
        var client = await ClusterClient();
        for (int attempt = 0, inARow = 0; attempt < 100 && inARow < 3 * SiloCount; attempt++)
        {
            try
            {
                await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
                inARow++;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                inARow = 0;
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Settings a derived fixture adds (applied last, so they override these).</summary>
    protected virtual IEnumerable<string> ExtraSettings() => [];

    private IEnumerable<string> Settings() =>
    [
        $"ConnectionStrings__redis={Redis.ConnectionString}",
        $"Orleans__ClusterId={ClusterId}",
        $"Orleans__ServiceId={ServiceId}",
        // Declare a killed silo dead after about two missed one-second probes instead of the default ~15 s.
        "Orleans__Membership__ProbeTimeout=00:00:01",
        "Orleans__Membership__NumMissedProbesLimit=2",
        // Resource-optimized placement sends every new workload to a silo that just restarted (earlier tests kill and
        // restart silos): the kill tests need workloads on the victim and on the survivors.
        "Orleans__Placement=random",
        "Orleans__Membership__TableRefreshTimeout=00:00:02",
        "Redis__ProbeInterval=00:00:00.500",
        "Redis__ProbeTimeout=00:00:01",
        $"Slack__WebhookUrl={Slack.Url}",
        // An alert whose notifier died with a silo is queued again this soon (default 30 s).
        "Detection__Alerts__RedeliveryInterval=00:00:02",
        // An alert grain whose silo died, or a whole cluster that restarted, resumes delivery this soon (default 30 s).
        "Detection__Alerts__ResumeInterval=00:00:02",
        // Baselines learn in 30 minutes of event time and are written every second (default 24 h and 30 s).
        "Detection__Baseline__LearningPeriod=00:30:00",
        $"Detection__Baseline__WriteInterval={BaselineWriteInterval}",
        .. ExtraSettings(),
    ];

    public static readonly TimeSpan BaselineWriteInterval = TimeSpan.FromSeconds(1);

    /// <summary>The cluster client, for management queries (which silo hosts a grain, which silos are alive).</summary>
    public Task<IClusterClient> ClusterClient() => _orleans!.ClusterClient;

    /// <summary>The silo process hosting <paramref name="grain"/>'s activation, or null.</summary>
    public async Task<SiloProcess?> HostOf(IAddressable grain)
    {
        var client = await ClusterClient();
        var address = await client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain);
        return address is null ? null : _silos.FirstOrDefault(s => !s.HasExited && s.SiloPort == address.Endpoint.Port);
    }

    /// <summary>Waits (bounded) until the cluster no longer counts <paramref name="silo"/> as active.</summary>
    public async Task WaitDeclaredDeadAsync(SiloProcess silo, TimeSpan timeout)
    {
        var client = await ClusterClient();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
                if (hosts.Keys.All(a => a.Endpoint.Port != silo.SiloPort)) return;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                // The management call itself may land on the dead silo; ask again.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the cluster did not declare silo :{silo.SiloPort} dead within {timeout.TotalSeconds:0} s");
    }

    public async Task<HttpResponseMessage> PostFlowsAsync(SiloProcess silo, string ndjson) =>
        await Http.PostAsync(new Uri(silo.BaseAddress, "api/v1/flows"), new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson"));

    /// <summary>A sweep of <paramref name="count"/> public targets on one port, with event times ending now.</summary>
    public static string SweepNdjson(string workload, int count, int port, int firstTarget = 0)
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-count);
        var sb = new StringBuilder();
        for (var i = firstTarget; i < firstTarget + count; i++)
        {
            sb.Append(Flows.NdjsonLine(workload, start.AddSeconds(i - firstTarget), "10.0.0.5", $"198.18.{i / 250}.{i % 250 + 1}", port)).Append('\n');
        }

        return sb.ToString();
    }

    public async Task<HttpStatusCode> ReadyStatusAsync(SiloProcess silo) =>
        await silo.StatusAsync(Http, "health/ready") ?? (HttpStatusCode)0;

    public async Task DisposeAsync()
    {
        _orleans?.Dispose();
        foreach (var silo in _silos) await silo.DisposeAsync();
        await Slack.DisposeAsync();
        Http.Dispose();
        if (Redis is not null) await Redis.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ScaleOutCollection : ICollectionFixture<ScaleOutFixture>
{
    public const string Name = "scale-out";
}
