namespace OrleansDetect.Detection;

/// <summary>Where a destination lives, as far as sweep detection is concerned (DESIGN.md "Scope").</summary>
public enum TargetScope : byte
{
    /// <summary>Multicast, broadcast or unspecified: nobody sweeps these, so they are never counted.</summary>
    NotATarget = 0,

    /// <summary>Any unicast address that is not internal, reserved and documentation ranges included.</summary>
    Public = 1,

    /// <summary>Private, CGNAT, ULA, link-local, loopback, or one of the operator's own networks.</summary>
    Internal = 2,
}

public static class TargetScopeNames
{
    /// <summary>The scope as alerts spell it (<see cref="Scopes"/>).</summary>
    public static string ToScopeName(this TargetScope scope) => scope switch
    {
        TargetScope.Public => Scopes.Public,
        TargetScope.Internal => Scopes.Internal,
        _ => "none",
    };
}
