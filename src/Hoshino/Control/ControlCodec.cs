using System.Text.Json;

namespace Hoshino.Cli.Control;

/// <summary>A message the other end sent that cannot be used; the message says why, for one line.</summary>
internal sealed class ControlProtocolException(string message) : Exception(message);

/// <summary>
/// Turns control messages into lines and back. A line is one JSON object and a newline. Requests
/// are small (<see cref="MaxRequestBytes"/>); answers are bounded too (<see cref="MaxResponseBytes"/>:
/// a directory of 10,000 peers is about 3 MB), so neither end can be made to buffer without end.
/// </summary>
internal static class ControlCodec
{
    public const int MaxRequestBytes = 4096;
    public const int MaxResponseBytes = 16 << 20;

    public static byte[] Encode(ControlRequest request) => Line(JsonSerializer.SerializeToUtf8Bytes(request, ControlJson.Default.ControlRequest));

    public static byte[] Encode(ControlResponse response) => Line(JsonSerializer.SerializeToUtf8Bytes(response, ControlJson.Default.ControlResponse));

    /// <summary>Reads a request line (without its newline); throws <see cref="ControlProtocolException"/> for anything but a known request.</summary>
    public static ControlRequest DecodeRequest(ReadOnlySpan<byte> line)
    {
        if (line.Length > MaxRequestBytes)
        {
            throw new ControlProtocolException($"request too large (over {MaxRequestBytes} bytes)");
        }
        ControlRequest? request = Parse(line, ControlJson.Default.ControlRequest, "request");
        return request switch
        {
            { Op: "status", Peer: null } => request,
            { Op: "peer", Peer: { Length: > 0 and <= 255 } } => request,
            { Op: "peer" } => throw new ControlProtocolException("a peer request needs \"peer\": a name or an address"),
            { Op: "status" } => throw new ControlProtocolException("a status request takes no \"peer\""),
            _ => throw new ControlProtocolException("unknown request (expected {\"op\":\"status\"} or {\"op\":\"peer\",\"peer\":NAME})"),
        };
    }

    /// <summary>Reads a response line (without its newline).</summary>
    public static ControlResponse DecodeResponse(ReadOnlySpan<byte> line) =>
        Parse(line, ControlJson.Default.ControlResponse, "response") ?? throw new ControlProtocolException("the node sent an empty response");

    private static T? Parse<T>(ReadOnlySpan<byte> line, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(line, type);
        }
        catch (JsonException)
        {
            // The parser's own message quotes the input; the line stays ours.
            throw new ControlProtocolException($"the {what} is not a JSON object of the control protocol");
        }
    }

    private static byte[] Line(byte[] json)
    {
        byte[] line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }
}
