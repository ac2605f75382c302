using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Pipelines;

/// <summary>
/// The read loop both handshake adapters share: feed the engine what the reader has (and, when the peer has closed, that
/// nothing more will come), send what it wrote, and stop at the first event that is not "need more data". The engine
/// decides every failure itself, including the peer closing early and a message over its limit. Only the bytes the
/// engine consumed are consumed, so whatever follows the handshake stays in the reader, readable at once.
/// </summary>
internal static class HandshakeReader
{
    /// <summary>Runs the loop until the engine returns something other than <paramref name="needMoreData"/>.</summary>
    /// <exception cref="OperationCanceledException">The token fired, or the pending read was canceled.</exception>
    public static ValueTask<TEvent> ReadAsync<TEvent>(
        IDuplexPipe transport,
        EngineInput.Step<TEvent> step,
        Func<int> maxMessageLength,
        TEvent needMoreData,
        CancellationToken cancellationToken)
        where TEvent : struct =>
        ReadAsync(transport, new EngineInput.DelegateStep<TEvent>(step, maxMessageLength), needMoreData, cancellationToken);

    /// <summary>
    /// Runs the loop until the engine returns something other than <paramref name="needMoreData"/>; a struct step
    /// costs no delegate or closure per connection.
    /// </summary>
    /// <exception cref="OperationCanceledException">The token fired, or the pending read was canceled.</exception>
    public static async ValueTask<TEvent> ReadAsync<TEvent, TStep>(
        IDuplexPipe transport,
        TStep step,
        TEvent needMoreData,
        CancellationToken cancellationToken)
        where TEvent : struct
        where TStep : EngineInput.IStep<TEvent>
    {
        PipeReader reader = transport.Input;
        EqualityComparer<TEvent> same = EqualityComparer<TEvent>.Default;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            TEvent e = needMoreData;
            long consumed = 0;
            int used;
            try
            {
                // The engine is shown at most one message's worth of a multi-segment buffer (EngineInput), so after
                // it consumes, what follows may hold the next message already: offer it now, not after bytes that may
                // never come, until the engine stops consuming or needs a decision. At the end of input the engine is
                // offered the rest even when it is empty: it has to say that the handshake was cut short.
                do
                {
                    ReadOnlySequence<byte> rest = buffer.Slice(consumed);
                    if (rest.IsEmpty && !result.IsCompleted)
                    {
                        break;
                    }

                    e = EngineInput.Run<TEvent, TStep>(rest, result.IsCompleted, step, out used);
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
                return e;
            }

            // The engine saw every byte left (a final block never ends here: the engine fails instead).
            reader.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
            await FlushAsync(transport.Output, cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The pending read of the handshake was canceled.");
            }
        }
    }

    public static ValueTask<FlushResult> FlushAsync(PipeWriter writer, CancellationToken cancellationToken) =>
        writer.CanGetUnflushedBytes && writer.UnflushedBytes == 0 ? default : writer.FlushAsync(cancellationToken);
}
