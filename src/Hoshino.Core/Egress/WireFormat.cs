namespace Hoshino.Egress;

/// <summary>How a sender names the objects it writes (docs/wire-format.md). Receivers read both.</summary>
public enum WireFormat
{
    /// <summary><c>{dest}/{src}/{ULID}</c>, one PUT in flight per destination: what nodes before transport v2 read.</summary>
    V1,

    /// <summary><c>{dest}/{src}/{epoch}/{seq}</c>, a numbered stream per destination, several PUTs in flight.</summary>
    V2,
}
