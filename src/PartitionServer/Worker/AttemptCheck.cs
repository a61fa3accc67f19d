namespace Partitioned.Server;

/// <summary>What the coordinator said when a worker asked whether its attempt still runs (<c>HEAD /v1/attempts/{p}/{a}</c>).</summary>
internal enum AttemptCheck
{
    /// <summary>200: the attempt runs; keep going.</summary>
    Current,

    /// <summary>410: the attempt is over (ended, marked lost, or replaced); stop.</summary>
    Over,

    /// <summary>409, 404, 401 or 403: this coordinator does not run the attempt (never launched, unknown, another cluster); stop.</summary>
    NotCurrent,

    /// <summary>No answer (unreachable, timed out, or a server error): ask again.</summary>
    NoAnswer,
}
