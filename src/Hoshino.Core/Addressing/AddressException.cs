namespace Hoshino.Addressing;

/// <summary>Which input an address could not be made from.</summary>
public enum AddressProblem
{
    /// <summary>The network prefix given is not an IPv6 /64 with zero host bits.</summary>
    BadPrefix,
    /// <summary>The explicit address given is not a unicast address inside the prefix.</summary>
    BadAddress,
    /// <summary>The machine-id cannot be read, or does not hold one.</summary>
    BadMachineId,
}

/// <summary>The node's address could not be determined; <see cref="Exception.Message"/> is one line for the operator.</summary>
public sealed class AddressException(AddressProblem problem, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public AddressProblem Problem { get; } = problem;
}
