using System.Text.Json.Serialization;

namespace Hoshino.Cli.Control;

// The control socket's messages: one JSON object per line each way (docs/control-socket.md has the
// schema; `hoshino peers --json` prints a NodeStatus). Names are camelCase; nulls are written, so a
// script sees every field. Add fields freely; renaming or removing one is a new Schema number.

/// <summary>A request: <c>{"op":"status"}</c>, or <c>{"op":"peer","peer":"NAME|ADDRESS"}</c>.</summary>
/// <param name="Op">What is asked.</param>
/// <param name="Peer">For <c>peer</c>: a name from the directory or a tunnel address.</param>
internal sealed record ControlRequest(string? Op, string? Peer = null);

/// <summary>The answer: <see cref="Ok"/> and one of the others.</summary>
/// <param name="Ok">Whether the request was understood and answered.</param>
/// <param name="Error">Why not, one line.</param>
/// <param name="Code">Why not, for programs: <c>bad_request</c>, <c>unknown_peer</c> or <c>busy</c> (see <see cref="ControlErrors"/>).</param>
/// <param name="Status">For <c>status</c>.</param>
/// <param name="Peer">For <c>peer</c>: what this node knows of that peer.</param>
/// <param name="Self">For <c>peer</c>: this node's tunnel address (where a ping comes from).</param>
internal sealed record ControlResponse(bool Ok, string? Error = null, string? Code = null, NodeStatus? Status = null, PeerStatus? Peer = null,
    string? Self = null)
{
    public static ControlResponse Refused(string code, string error) => new(false, error, code);
}

/// <summary>The <see cref="ControlResponse.Code"/> values.</summary>
internal static class ControlErrors
{
    public const string BadRequest = "bad_request";
    public const string UnknownPeer = "unknown_peer";
    public const string Busy = "busy";
}

/// <summary>The node and its peers, as <c>hoshino status</c> shows them.</summary>
/// <param name="Schema">This layout's version; 1.</param>
/// <param name="Node">This node.</param>
/// <param name="Peers">The peers in the directory and those this node exchanged packets with, by name, then address.</param>
internal sealed record NodeStatus(int Schema, NodeInfo Node, IReadOnlyList<PeerStatus> Peers);

/// <param name="Name">The node's name in the directory; null when it has no fresh record.</param>
/// <param name="Address">Its tunnel address.</param>
/// <param name="Interface">Its TUN interface.</param>
/// <param name="Store">The store, as the node logs it (no credentials).</param>
/// <param name="Sealed">Whether objects are sealed with a network key.</param>
/// <param name="Version">The node's software version.</param>
/// <param name="Started">When the node's process started (UTC).</param>
/// <param name="UptimeSeconds">Seconds since then.</param>
/// <param name="Health">What needs an operator's eye.</param>
internal sealed record NodeInfo(string? Name, string Address, string Interface, string Store, bool Sealed, string Version, DateTimeOffset Started,
    double UptimeSeconds, NodeHealth Health);

/// <param name="StoreErrors">Failed store requests since start, all operations and kinds.</param>
/// <param name="AddressConflict">Another live node holds this node's address lease.</param>
/// <param name="RejectedObjects">Objects from the store refused, by reason (the metric's reason labels); only reasons seen.</param>
internal sealed record NodeHealth(long StoreErrors, bool AddressConflict, IReadOnlyDictionary<string, long> RejectedObjects);

/// <param name="Name">The peer's name in the directory; null for an address no fresh record names.</param>
/// <param name="Address">Its tunnel address.</param>
/// <param name="LastSeen">When the last packet from it reached this node's kernel (UTC); null if none did since start.</param>
/// <param name="PacketsOut">Packets sent to it.</param>
/// <param name="BytesOut">Their bytes.</param>
/// <param name="PacketsIn">Packets received from it.</param>
/// <param name="BytesIn">Their bytes.</param>
/// <param name="LastRoundTripMs">The last ICMPv6 echo round trip to it, in milliseconds; null if none was answered.</param>
/// <param name="LastPutMs">How long this node's last PUT of an object for it took, in milliseconds.</param>
/// <param name="LastGetMs">How long this node's last GET of an object from it took, in milliseconds.</param>
internal sealed record PeerStatus(string? Name, string Address, DateTimeOffset? LastSeen, long PacketsOut, long BytesOut, long PacketsIn, long BytesIn,
    double? LastRoundTripMs, double? LastPutMs, double? LastGetMs);

/// <summary>Source-generated serialization (NativeAOT, docs/adr/0005): no reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = false, MaxDepth = 8)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
[JsonSerializable(typeof(NodeStatus))]
internal sealed partial class ControlJson : JsonSerializerContext;
