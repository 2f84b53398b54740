using OrleansDetect.Grains.Alerts;
using OrleansDetect.Grains.Alerts.Silences;

namespace OrleansDetect.Tests.Console;

public sealed class SilenceMatcherTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static Finding Sweep(string workload, int port, params string[] samples) => new()
    {
        Key = new AlertKey { Subject = AlertSubject.Workload(workload), Type = DetectionTypes.PortSweep, Protocol = FlowProtocol.Tcp, Port = port, Scope = Scopes.Public },
        Severity = Severity.Medium,
        DistinctTargets = 30,
        SampleTargets = samples,
        WindowStartMs = 0,
        WindowEndMs = 1000,
        Threshold = 25,
        ThresholdReason = "static",
        Mitre = [],
    };

    private static SilenceMatcher Matcher(string? workload = null, string? type = null, string? cidr = null, int? port = null, TimeSpan? endsIn = null) => new(new Silence
    {
        Id = "s-1", Workload = workload, Type = type, Cidr = cidr, Port = port,
        StartsAt = Now.AddMinutes(-1), EndsAt = Now + (endsIn ?? TimeSpan.FromHours(1)), CreatedBy = "t", CreatedAt = Now,
    });

    [Theory]
    [InlineData("web-*", "web-1", true)]
    [InlineData("web-*", "db-1", false)]
    [InlineData("*-1", "web-1", true)]
    [InlineData("w*b*1", "web-1", true)]
    [InlineData("w*b*2", "web-1", false)]
    [InlineData("web-1", "web-1", true)]
    [InlineData("web-1", "web-10", false)]
    [InlineData("a*a", "a", false)]
    [InlineData("*", "anything", true)]
    public void Workload_globs_match_on_star_only(string pattern, string workload, bool matches) =>
        Assert.Equal(matches, Matcher(workload: pattern).Matches(Sweep(workload, 22, "198.18.0.1"), Now));

    [Fact]
    public void Every_given_matcher_must_match()
    {
        var finding = Sweep("web-1", 22, "10.1.0.1", "10.1.0.2");
        Assert.True(Matcher(workload: "web-*", type: DetectionTypes.PortSweep, cidr: "10.0.0.0/8", port: 22).Matches(finding, Now));
        Assert.False(Matcher(workload: "web-*", port: 23).Matches(finding, Now));
        Assert.False(Matcher(type: DetectionTypes.PortScan).Matches(finding, Now));
        Assert.False(Matcher(cidr: "10.1.0.2/32").Matches(finding, Now));
    }

    [Fact]
    public void A_silence_applies_only_between_its_start_and_end()
    {
        var finding = Sweep("web-1", 22, "10.1.0.1");
        Assert.True(Matcher(port: 22, endsIn: TimeSpan.FromSeconds(1)).Matches(finding, Now));
        Assert.False(Matcher(port: 22, endsIn: TimeSpan.Zero).Matches(finding, Now));
        Assert.False(Matcher(port: 22).Matches(finding, Now.AddMinutes(-2)));
    }

    [Fact]
    public void A_timeline_stays_bounded_ordered_and_keeps_the_newest_point()
    {
        TimelinePoint[]? timeline = null;
        for (var i = 1000; i >= 1; i--) timeline = AlertTimeline.Add(timeline, new TimelinePoint(i * 1000L, i, i * 2));
        timeline = AlertTimeline.Add(timeline, new TimelinePoint(2_000_000, 5000, 9000));
        Assert.InRange(timeline.Length, 2, AlertTimeline.Capacity);
        Assert.Equal(timeline.OrderBy(p => p.EventTimeMs), timeline);
        Assert.Equal(new TimelinePoint(2_000_000, 5000, 9000), timeline[^1]);
    }
}
