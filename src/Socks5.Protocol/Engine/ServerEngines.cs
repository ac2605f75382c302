using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Engine;

/// <summary>What the server engines of the one port share: their state checks.</summary>
internal static class ServerEngines
{
    /// <summary>Throws with <paramref name="message"/> unless the engine is in <paramref name="expected"/>.</summary>
    public static void ExpectState(ServerEngineState state, ServerEngineState expected, string message)
    {
        if (state != expected)
        {
            ThrowHelper.ThrowInvalidOperation(message);
        }
    }

    /// <summary>Throws unless an engine with one request per exchange is waiting for input, with somewhere to write.</summary>
    public static void ExpectInput(ServerEngineState state, IBufferWriter<byte> output)
    {
        if (output is null)
        {
            throw new ArgumentNullException(nameof(output));
        }

        if (state != ServerEngineState.AwaitingRequest)
        {
            ThrowHelper.ThrowInvalidOperation(state switch
            {
                ServerEngineState.Established => "The handshake is over: the bytes belong to the tunnel.",
                ServerEngineState.Closed => "The handshake failed: the connection must close.",
                _ => $"The engine is waiting for the host's decision ({state}).",
            });
        }
    }
}

/// <summary>The calls a host's read loop makes on any server engine.</summary>
internal interface IServerEngine
{
    int MaxMessageLength { get; }

    ServerEvent Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed, bool isFinalBlock);
}
