using System;
using System.Buffers;
using Socks5.Protocol.Internal;

namespace Socks5.Protocol.Engine;

/// <summary>
/// What the SOCKS4 and HTTP CONNECT client engines share: each writes one prepared request and then only reads replies.
/// </summary>
internal static class OneRequest
{
    /// <summary>Writes the request once; throws when the engine was started already.</summary>
    public static ClientEngineState Start(ClientEngineState state, IBufferWriter<byte> output, byte[] request)
    {
        if (output is null)
        {
            throw new ArgumentNullException(nameof(output));
        }

        if (state != ClientEngineState.NotStarted)
        {
            ThrowHelper.ThrowInvalidOperation("The exchange was started already.");
        }

        output.Write(request);
        return ClientEngineState.AwaitingReply;
    }

    /// <summary>Throws unless the engine waits for a reply.</summary>
    public static void CheckAwaitingReply(ClientEngineState state, IBufferWriter<byte> output)
    {
        if (output is null)
        {
            throw new ArgumentNullException(nameof(output));
        }

        if (state is not (ClientEngineState.AwaitingReply or ClientEngineState.AwaitingSecondReply))
        {
            ThrowHelper.ThrowInvalidOperation(state switch
            {
                ClientEngineState.NotStarted => "Call Start first: it writes the request.",
                ClientEngineState.Established => "The exchange is over: the bytes belong to the tunnel.",
                _ => "The exchange failed: the connection must close.",
            });
        }
    }
}
