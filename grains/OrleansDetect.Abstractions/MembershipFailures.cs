namespace OrleansDetect;

/// <summary>Failures that a grain call sees while a silo leaves or joins, and that a retry a moment later can fix.</summary>
public static class MembershipFailures
{
    /// <summary>
    /// True for a rejected message (the target silo is gone or not yet known dead), a silo declared unavailable,
    /// a busy gateway, and a call timeout (its silo stopped answering).
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        OrleansMessageRejectionException or GatewayTooBusyException or TimeoutException => true,
        AggregateException { InnerExceptions.Count: > 0 } aggregate => aggregate.InnerExceptions.All(IsTransient),
        _ => false,
    };
}
