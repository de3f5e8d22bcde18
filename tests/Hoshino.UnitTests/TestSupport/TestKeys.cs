using Hoshino.Packets;

namespace Hoshino.UnitTests.TestSupport;

/// <summary>Fixed network keys for known answers and for the sealed entries of the fuzz corpus.</summary>
internal static class TestKeys
{
    /// <summary>Bytes 0x00..0x1F.</summary>
    public static byte[] FixedKeyBytes => [.. Enumerable.Range(0, NetworkKey.KeyLength).Select(i => (byte)i)];

    /// <summary>base64 of <see cref="FixedKeyBytes"/>: the key file's line.</summary>
    public const string FixedKeyText = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
}
