namespace OrleansDetect.Grains.Sinks.Slack;

/// <summary>What a Slack message says about its alert, relative to what the channel has already seen of it.</summary>
public enum SlackNotice
{
    /// <summary>The channel has not seen the alert.</summary>
    New,

    /// <summary>The alert's severity rose since the channel last saw it.</summary>
    Escalation,

    /// <summary>The same severity with newer counts (a growing incident's rate-limited update).</summary>
    Update,
}
