using Hoshino.Packets;

namespace Hoshino.Peers;

/// <summary>How this node appears in the peer directory, and how often it reads it.</summary>
public sealed record DirectoryOptions
{
    /// <summary>This node's name (<c>--name</c>): a lower-case DNS label.</summary>
    public required string Name { get; init; }

    /// <summary>The software version the record states.</summary>
    public required string Version { get; init; }

    /// <summary>
    /// A read of the directory costs at most one LIST per this interval on average (<c>--directory-read</c>):
    /// a small directory is read this often, a larger or churning one less often (<see cref="ReadPacer"/>).
    /// </summary>
    public TimeSpan ReadInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The network key: records are sealed with it, and only records sealed with it are taken.</summary>
    public NetworkKey? Key { get; init; }
}
