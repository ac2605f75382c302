using System.Diagnostics.CodeAnalysis;

namespace Socks5.Protocol.Fuzz;

/// <summary>A checked property did not hold: AFL records the input as a crash.</summary>
internal sealed class PropertyViolation(string message) : Exception(message)
{
    [DoesNotReturn]
    public static void Throw(string message) => throw new PropertyViolation(message);
}
