using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansDetect.Silo.Hosting;

namespace OrleansDetect.Tests.Hosting;

/// <summary>
/// The storage a single silo keeps its baselines, checkpoints and alerts in: what a grain wrote is what it reads back
/// after deactivation, untouched by later changes to the grain's own copy, and a write from a stale ETag is refused as
/// Orleans' storages refuse it.
/// </summary>
public sealed class SingleSiloGrainStorageTests
{
    private static readonly GrainId Grain = GrainId.Create("host", "web-1");

    private readonly SingleSiloGrainStorage _storage = new(new OrleansGrainStorageSerializer(new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(SingleSiloGrainStorageTests).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>()));

    [Fact]
    public async Task A_written_state_reads_back_as_written_even_after_the_writer_changes_its_copy()
    {
        var written = new GrainState<Counts>(new Counts { Events = 7, Ports = [22, 443] });
        await _storage.WriteStateAsync("baseline", Grain, written);
        written.State!.Events = 99;
        written.State!.Ports.Add(8080);

        var read = new GrainState<Counts>(new Counts());
        await _storage.ReadStateAsync("baseline", Grain, read);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(7, read.State!.Events);
        Assert.Equal([22, 443], read.State!.Ports);
    }

    [Fact]
    public async Task A_state_never_written_reads_as_absent_and_states_are_kept_apart_by_name()
    {
        await _storage.WriteStateAsync("baseline", Grain, new GrainState<Counts>(new Counts { Events = 1 }));

        var windows = new GrainState<Counts>(new Counts());
        await _storage.ReadStateAsync("windows", Grain, windows);
        var other = new GrainState<Counts>(new Counts());
        await _storage.ReadStateAsync("baseline", GrainId.Create("host", "web-2"), other);

        Assert.False(windows.RecordExists);
        Assert.Null(windows.ETag);
        Assert.False(other.RecordExists);
    }

    [Fact]
    public async Task A_write_from_a_stale_etag_is_refused_and_the_newer_state_kept()
    {
        var first = new GrainState<Counts>(new Counts { Events = 1 });
        await _storage.WriteStateAsync("baseline", Grain, first);
        var stale = new GrainState<Counts>(new Counts { Events = 2 }) { ETag = first.ETag };
        first.State!.Events = 3;
        await _storage.WriteStateAsync("baseline", Grain, first);

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync("baseline", Grain, stale));
        var fresh = new GrainState<Counts>(new Counts()) { ETag = null };
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync("baseline", Grain, fresh));

        var read = new GrainState<Counts>(new Counts());
        await _storage.ReadStateAsync("baseline", Grain, read);
        Assert.Equal(3, read.State!.Events);
    }

    [Fact]
    public async Task A_cleared_state_reads_as_absent_and_can_be_written_anew()
    {
        var state = new GrainState<Counts>(new Counts { Events = 5 });
        await _storage.WriteStateAsync("baseline", Grain, state);
        await _storage.ClearStateAsync("baseline", Grain, state);

        var read = new GrainState<Counts>(new Counts());
        await _storage.ReadStateAsync("baseline", Grain, read);
        Assert.False(read.RecordExists);
        Assert.Equal(0, _storage.Count);

        state.State!.Events = 6;
        await _storage.WriteStateAsync("baseline", Grain, state);
        await _storage.ReadStateAsync("baseline", Grain, read);
        Assert.Equal(6, read.State!.Events);
    }
}

[GenerateSerializer]
public sealed class Counts
{
    [Id(0)] public int Events { get; set; }

    [Id(1)] public List<int> Ports { get; set; } = [];
}
