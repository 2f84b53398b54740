using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansDetect.Silo;
using OrleansDetect.Silo.Collector;
using OrleansDetect.Tests.Infrastructure;

namespace OrleansDetect.Tests.Collector;

/// <summary>Bad collector settings stop the silo at start with one message naming the key.</summary>
public sealed class CollectorConfigurationTests
{
    [Theory]
    [InlineData("--Collector:NetFlow:Port=70000", "Collector:NetFlow:Port must be between 0 and 65535")]
    [InlineData("--Collector:NetFlow:Address=localhost-ish", "Collector:NetFlow:Address 'localhost-ish' is not an IP address")]
    [InlineData("--Collector:NetFlow:ReceiveBufferBytes=10", "Collector:NetFlow:ReceiveBufferBytes must be between")]
    [InlineData("--Collector:NetFlow:TemplateLifetime=00:00:00", "Collector:NetFlow:TemplateLifetime must be between")]
    [InlineData("--Collector:NetFlow:Workloads:0:Cidr=10.0.0.0/99", "Collector:NetFlow:Workloads:0:Name must be set")]
    [InlineData("--Collector:NetFlow:Workloads:0:Cidr=10.0.0.0/99", "Collector:NetFlow:Workloads:0:Cidr '10.0.0.0/99' is not a CIDR")]
    public async Task The_silo_does_not_start(string setting, string message)
    {
        await using var app = SiloApp.Create(
        [
            .. SiloFixture.LoopbackPorts(),
            "--Logging:LogLevel:Default=Critical",
            setting,
        ]);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_receive_buffer_passes_the_kernels_cap_when_the_silo_may()
    {
        // Linux caps SO_RCVBUF at net.core.rmem_max; with CAP_NET_ADMIN (root in a container) SO_RCVBUFFORCE passes it.
        var rmemMax = int.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var capEff = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("CapEff:", StringComparison.Ordinal))["CapEff:".Length..].Trim();
        var netAdmin = (Convert.ToUInt64(capEff, 16) & (1UL << 12)) != 0;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var requested = Math.Min(rmemMax, 1 << 28) * 2;

        var kept = ReceiveBuffer.Set(socket, requested);

        Assert.Equal(netAdmin ? requested : rmemMax, kept);
        Assert.Equal(64 * 1024, ReceiveBuffer.Set(socket, 64 * 1024));
    }

    [Fact]
    public async Task Workloads_by_cidr_name_the_flows_of_their_addresses()
    {
        await using var app = SiloApp.Create(
        [
            .. SiloFixture.LoopbackPorts(),
            "--Logging:LogLevel:Default=Warning",
            "--Collector:NetFlow:Port=0",
            "--Collector:NetFlow:Workloads:0:Cidr=10.1.9.0/24",
            "--Collector:NetFlow:Workloads:0:Name=build-farm",
        ]);
        await app.StartAsync();
        var collector = app.Services.GetRequiredService<NetFlowCollector>();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var udp = new UdpClient();

        // A sweep from 10.1.9.7 as IPFIX: 30 unanswered SYNs in one message. Without the exporter's system start
        // time, uptime-relative times fall back to the export time: now.
        var records = Enumerable.Range(0, 30)
            .Select(i => ExportMessage.Flow("10.1.9.7", $"198.51.100.{i + 1}", (ushort)(40_000 + i), 22))
            .ToArray();
        var message = new ExportMessage(10, exportSeconds: (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds())
            .Template(300, ExportMessage.V4Fields)
            .Data(300, records)
            .Build();
        await udp.SendAsync(message, collector.LocalEndPoint!);

        var deadline = Stopwatch.StartNew();
        JsonElement[] alerts;
        do
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "no alert for build-farm");
            await Task.Delay(50);
            alerts = (await http.GetFromJsonAsync<JsonElement[]>("api/v1/alerts?workload=build-farm"))!;
        }
        while (alerts.Length == 0);

        Assert.Equal(30, alerts[0].GetProperty("distinctTargets").GetInt32());
        await app.StopAsync();
    }
}
