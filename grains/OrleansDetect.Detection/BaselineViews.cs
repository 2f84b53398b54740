namespace OrleansDetect.Detection;

/// <summary>Turns a workload's baseline into what the workloads API shows.</summary>
internal static class BaselineViews
{
    public static BaselineView? From(WorkloadBaseline baseline, EncryptedDnsDetector dns, KnownResolvers known)
    {
        if (baseline.LearningStartMs == long.MinValue)
        {
            return null;
        }

        var options = baseline.Options;
        return new BaselineView
        {
            Status = baseline.IsLearned ? "learned" : "learning",
            LearningSince = Time(baseline.LearningStartMs),
            LearningUntil = baseline.IsLearned ? null : Time(baseline.LearningStartMs + (long)options.LearningPeriod.TotalMilliseconds),
            LearnedAt = baseline.IsLearned ? Time(baseline.LearnedAtMs) : null,
            ActiveWindows = baseline.ActiveWindows,
            WindowSeconds = options.Window.TotalSeconds,
            Resolvers = [.. baseline.Resolvers().Take(50).Select(r => new ResolverView
            {
                Address = r.Address.ToString(),
                Protocol = EncryptedDnsProtocols.Code(r.Protocol),
                KnownAs = known.Find(r.Address),
                FirstSeen = DateTimeOffset.FromUnixTimeMilliseconds(r.Stats.FirstSeenMs),
                LastSeen = DateTimeOffset.FromUnixTimeMilliseconds(r.Stats.LastSeenMs),
                Connections = r.Stats.Connections,
                Bytes = r.Stats.Bytes,
                InBaseline = r.Stats.Learned,
            })],
            ResolversForgotten = baseline.ResolversEvicted,
            EncryptedDnsVolumes = [.. Enum.GetValues<EncryptedDnsProtocol>()
                .Where(p => baseline.Volume(p).Connections.Windows > 0 || dns.WindowConnections(p) > 0)
                .Select(p =>
                {
                    var v = baseline.Volume(p);
                    return new EncryptedDnsVolumeView
                    {
                        Protocol = EncryptedDnsProtocols.Code(p),
                        Windows = v.Connections.Windows,
                        MeanConnections = Math.Round(v.Connections.Mean, 2),
                        HighConnections = Math.Round(v.Connections.High, 2),
                        MeanBytes = Math.Round(v.Bytes.Mean),
                        HighBytes = Math.Round(v.Bytes.High),
                        CurrentConnections = dns.WindowConnections(p),
                        CurrentBytes = dns.WindowBytes(p),
                        ConnectionThreshold = dns.ConnectionThreshold(p),
                    };
                })],
            FanOut = [.. baseline.FanOutFigures().Take(20).Select(f => new FanOutView
            {
                Protocol = f.Key.Protocol.Name(),
                Port = f.Key.Port,
                Scope = f.Key.Scope.ToScopeName(),
                Windows = f.Estimate.Windows,
                Mean = Math.Round(f.Estimate.Mean, 2),
                High = Math.Round(f.Estimate.High, 2),
                CurrentPeak = f.CurrentPeak,
                LearnedThreshold = f.LearnedFloor,
            })],
            PortsForgotten = baseline.PortsEvicted,
        };
    }

    private static DateTimeOffset Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
}
