namespace OrleansDetect;

/// <summary>
/// The cluster's silences, persisted in grain storage. Each silo keeps a copy it refreshes every second, which the
/// alert grains match against; the registry is never on the ingest path.
/// </summary>
public interface ISilenceRegistryGrain : IGrainWithStringKey
{
    /// <summary>The single registry's key.</summary>
    public const string Key = "silences";

    /// <summary>Stores a new silence (its id assigned by the caller); false when the registry is full.</summary>
    Task<bool> Add(Silence silence);

    /// <summary>Ends the silence at <paramref name="at"/> (kept, listed as expired); null when there is no such silence.</summary>
    Task<Silence?> Expire(string id, DateTimeOffset at);

    /// <summary>Every silence, or null when the caller's copy (<paramref name="knownVersion"/>) is current.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<SilenceSet?> GetIfChanged(long knownVersion);
}
