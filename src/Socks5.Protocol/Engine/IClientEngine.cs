using System;
using System.Buffers;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Engine;

/// <summary>What the client's handshake loop needs of an engine, whichever protocol it speaks (SOCKS5, SOCKS4, HTTP CONNECT).</summary>
internal interface IClientEngine
{
    ClientEngineState State { get; }

    Command Command { get; }

    HandshakeFailure Failure { get; }

    int MaxMessageLength { get; }

    ClientEvent Start(IBufferWriter<byte> output);

    ClientEvent Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed, bool isFinalBlock);
}
