namespace Partitioned.Serving;

/// <summary>Whether a partition attempt may take work from the head node now, and whether its answers are heard (<see cref="StandingRules"/>).</summary>
internal enum AttemptStanding
{
    /// <summary>Serving and well: it takes work, and its answers are heard.</summary>
    Current,

    /// <summary>Suspected while another attempt stands well: it takes nothing new, but its answers are heard.</summary>
    Suspected,

    /// <summary>Declared lost: it takes nothing until it answers health checks again; what it held was replayed.</summary>
    Lost,

    /// <summary>A newer attempt replaced it, or its replica failed or stopped: it never takes work again.</summary>
    Fenced,
}
