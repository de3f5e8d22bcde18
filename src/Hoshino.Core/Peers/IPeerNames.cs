using System.Net;

namespace Hoshino.Peers;

/// <summary>
/// One node's entry in the peer directory, as this node last read it: what the node published
/// about itself, and when it last renewed that.
/// </summary>
/// <param name="Name">The node's name: a DNS label (lower case letters, digits, '-'; 1–63 bytes).</param>
/// <param name="Address">The node's tunnel address.</param>
/// <param name="Version">The node's software version, as <c>hoshino --version</c> prints it.</param>
/// <param name="Started">When the node started.</param>
/// <param name="Sealed">Whether the node seals what it writes (has a network key).</param>
/// <param name="Renewed">When the node last renewed its record; a record not renewed within the lease's lifetime is stale.</param>
public sealed record PeerRecord(string Name, IPAddress Address, string Version, DateTimeOffset Started, bool Sealed, DateTimeOffset Renewed);

/// <summary>
/// Names of the nodes in this node's network, as the directory last showed them. Read by the DNS
/// responder and the control socket; thread-safe; never blocks on the store (answers come from
/// the last read).
/// </summary>
public interface IPeerNames
{
    /// <summary>Every fresh record, this node's own included, in name order.</summary>
    IReadOnlyList<PeerRecord> Peers { get; }

    /// <summary>The fresh record with this name (compared ASCII case-insensitively), or null.</summary>
    PeerRecord? Find(string name);

    /// <summary>The fresh record with this address, or null.</summary>
    PeerRecord? Find(IPAddress address);
}
