using Microsoft.Extensions.Time.Testing;

namespace OrleansDetect.Tests.Infrastructure;

/// <summary>
/// A <see cref="FakeTimeProvider"/> a whole silo can run on. Orleans resolves the same <see cref="TimeProvider"/>
/// as the grains, so grain timers, membership and directory timers all wait for the test to advance this clock.
/// </summary>
/// <remarks>
/// Every timer fires a millisecond late. <c>Task.Delay(TimeSpan, TimeProvider)</c> truncates to whole milliseconds,
/// and Orleans' timers wait for a deadline in a loop (delay for what remains, look again): a wake-up just short of a
/// deadline leaves a fraction of a millisecond, the next delay is zero and completes at once, and the loop spins
/// inside <see cref="FakeTimeProvider.Advance(TimeSpan)"/>, which runs timer callbacks inline, forever.
/// </remarks>
public sealed class FakeSiloClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private static readonly TimeSpan Lateness = TimeSpan.FromMilliseconds(1);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        base.CreateTimer(callback, state, Late(dueTime), Late(period));

    // Zero (now) and infinite (never) keep their meaning.
    private static TimeSpan Late(TimeSpan span) => span > TimeSpan.Zero ? span + Lateness : span;
}
