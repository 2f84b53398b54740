namespace OrleansDetect;

/// <summary>
/// A runtime silence, after Prometheus Alertmanager's: while it is active, alerts it matches are still raised and
/// listed (marked with its id) but notify no one (no Slack message) and stay out of the RSS feed. Every matcher given
/// must match; at least one is given.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Silence
{
    [Id(0)] public required string Id { get; init; }

    /// <summary>The workload (alert subject) name; <c>*</c> matches any run of characters (<c>web-*</c>).</summary>
    [Id(1)] public string? Workload { get; init; }

    /// <summary>One detection type (<see cref="DetectionTypes"/> or any other type's name), exactly.</summary>
    [Id(2)] public string? Type { get; init; }

    /// <summary>
    /// The alert's target address (a scan's host, a resolver) lies in it; for an alert without one (a sweep), every
    /// sample target does.
    /// </summary>
    [Id(3)] public string? Cidr { get; init; }

    /// <summary>The alert's port.</summary>
    [Id(4)] public int? Port { get; init; }

    [Id(5)] public required DateTimeOffset StartsAt { get; init; }

    /// <summary>When it stops applying; <c>DELETE</c> sets it to the moment it was expired.</summary>
    [Id(6)] public required DateTimeOffset EndsAt { get; init; }
    [Id(7)] public required string CreatedBy { get; init; }
    [Id(8)] public string? Comment { get; init; }
    [Id(9)] public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>"pending", "active" or "expired" at <paramref name="now"/>.</summary>
    public string StateAt(DateTimeOffset now) => now < StartsAt ? "pending" : now < EndsAt ? "active" : "expired";
}

/// <summary>Every silence the registry holds and the version of that set (bumped on every change).</summary>
[GenerateSerializer, Immutable]
public sealed record SilenceSet([property: Id(0)] long Version, [property: Id(1)] Silence[] Silences);
