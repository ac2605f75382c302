using System;
using System.Buffers;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Server;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>What the server engines of the one port share: which protocol a first byte names, and their state checks.</summary>
internal static class ServerEngines
{
    /// <summary>
    /// The protocol a client speaks, from its first byte: 4 is SOCKS4 (or 4a: the request says), an upper-case letter
    /// starts an HTTP request line, anything else is left to the SOCKS5 engine (which closes on a version it does not know).
    /// </summary>
    public static InboundProtocol Detect(byte first, bool enableSocks4, bool enableHttpConnect) => first switch
    {
        Socks4Request.Version when enableSocks4 => InboundProtocol.Socks4,
        >= (byte)'A' and <= (byte)'Z' when enableHttpConnect => InboundProtocol.HttpConnect,
        _ => InboundProtocol.Socks5,
    };

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
