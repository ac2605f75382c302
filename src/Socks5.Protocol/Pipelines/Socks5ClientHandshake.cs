using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Engine;

namespace Socks5.Protocol.Pipelines;

/// <summary>
/// Runs a <see cref="Socks5ClientEngine"/> over any <see cref="IDuplexPipe"/>: a socket, a TLS stream, or a tunnel that is
/// itself a SOCKS5 connection (so a chain of proxies is repeated handshakes). Bytes the server sends right after its final
/// reply stay in the transport's reader for the caller.
/// </summary>
public sealed class Socks5ClientHandshake
{
    private readonly IDuplexPipe _transport;
    private readonly EngineInput.Step<ClientEvent> _step;
    private readonly Func<int> _maxMessageLength;

    /// <summary>Creates the adapter.</summary>
    /// <param name="transport">The connection to the proxy.</param>
    /// <param name="engine">A new engine, not started.</param>
    public Socks5ClientHandshake(IDuplexPipe transport, Socks5ClientEngine engine)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _step = (ReadOnlySpan<byte> input, bool isFinalBlock, out int consumed) => Engine.Process(input, _transport.Output, out consumed, isFinalBlock);
        _maxMessageLength = () => Engine.MaxMessageLength;
    }

    /// <summary>The engine, for the reply code, bound addresses and state.</summary>
    public Socks5ClientEngine Engine { get; }

    /// <summary>
    /// Starts the handshake if needed, then reads until the next event that matters: <see cref="ClientEvent.FirstReplyReceived"/>
    /// (BIND; call again for the second reply), <see cref="ClientEvent.Established"/> or <see cref="ClientEvent.MustClose"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event; never <see cref="ClientEvent.NeedMoreData"/>.</returns>
    /// <exception cref="OperationCanceledException">The token fired, or the pending read was canceled.</exception>
    public async ValueTask<ClientEvent> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Engine.State == ClientEngineState.NotStarted)
        {
            Engine.Start(_transport.Output);
            await _transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return await HandshakeReader.ReadAsync(_transport, _step, _maxMessageLength, ClientEvent.NeedMoreData, cancellationToken).ConfigureAwait(false);
    }
}
