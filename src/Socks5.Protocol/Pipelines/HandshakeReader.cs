using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Engine;

namespace Socks5.Protocol.Pipelines;

/// <summary>
/// The read loop both handshake adapters share: feed the engine what the reader has, send what it wrote, and stop at the
/// first event that is not "need more data". Only the bytes the engine consumed are consumed, so whatever follows the
/// handshake stays in the reader, readable at once.
/// </summary>
internal static class HandshakeReader
{
    /// <summary>Runs the loop; on end of input or an oversized message returns <paramref name="mustClose"/> and the reason.</summary>
    public static async ValueTask<(TEvent Event, HandshakeFailure TransportFailure)> ReadAsync<TEvent>(
        IDuplexPipe transport,
        EngineInput.Step<TEvent> step,
        Func<int> maxMessageLength,
        TEvent needMoreData,
        TEvent mustClose,
        CancellationToken cancellationToken)
        where TEvent : struct
    {
        PipeReader reader = transport.Input;
        EqualityComparer<TEvent> same = EqualityComparer<TEvent>.Default;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            TEvent e = needMoreData;
            long consumed = 0;
            int used = 0;
            try
            {
                // The engine is shown at most one message's worth of a multi-segment buffer (EngineInput), so after
                // it consumes, what follows may hold the next message already: offer it now, not after bytes that may
                // never come, until the engine stops consuming or needs a decision.
                do
                {
                    ReadOnlySequence<byte> rest = buffer.Slice(consumed);
                    if (rest.IsEmpty)
                    {
                        break;
                    }

                    e = EngineInput.Run(rest, maxMessageLength(), step, out used);
                    consumed += used;
                }
                while (used > 0 && same.Equals(e, needMoreData));
            }
            catch
            {
                reader.AdvanceTo(buffer.Start);
                throw;
            }

            if (!same.Equals(e, needMoreData))
            {
                // Examined only up to what was consumed: the bytes after it (tunnel data) must be readable at once.
                reader.AdvanceTo(buffer.GetPosition(consumed));
                await FlushAsync(transport.Output, cancellationToken).ConfigureAwait(false);
                return (e, HandshakeFailure.None);
            }

            // The engine saw every byte left unless they reach its limit, which ends the handshake below.
            long left = buffer.Length - consumed;
            reader.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
            await FlushAsync(transport.Output, cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled)
            {
                return (mustClose, HandshakeFailure.ConnectionClosed);
            }

            if (left > 0 && left >= maxMessageLength())
            {
                return (mustClose, HandshakeFailure.MessageTooLong);
            }
        }
    }

    public static ValueTask<FlushResult> FlushAsync(PipeWriter writer, CancellationToken cancellationToken) =>
        writer.CanGetUnflushedBytes && writer.UnflushedBytes == 0 ? default : writer.FlushAsync(cancellationToken);
}
