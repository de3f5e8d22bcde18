namespace Hoshino.Node;

/// <summary>
/// Another live node holds this node's address (a cloned machine, or a second process); the message
/// names the holder and the fix. Not retried: it will not go away by itself.
/// </summary>
public sealed class AddressConflictException(string message) : Exception(message);
