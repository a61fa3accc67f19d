using Partitioned.Protocol;

namespace Partitioned.Server;

/// <summary>What the control routes need from a running partition server.</summary>
internal interface IPartitionControl
{
    PartitionHealth GetHealth();
}
