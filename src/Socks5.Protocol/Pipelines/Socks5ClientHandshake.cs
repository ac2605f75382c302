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
    // The largest message a server sends during a handshake: a GSSAPI token (replies are at most 262 bytes).
    private const int MaxServerMessageLength = Socks5.Protocol.Wire.GssapiMessage.HeaderLength + Socks5.Protocol.Wire.GssapiMessage.MaxTokenLength;

    private HandshakeFailure _transportFailure;

    /// <summary>Creates the adapter.</summary>
    /// <param name="transport">The connection to the proxy.</param>
    /// <param name="engine">A new engine, not started.</param>
    public Socks5ClientHandshake(IDuplexPipe transport, Socks5ClientEngine engine)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _step = (ReadOnlySpan<byte> input, out int consumed) => Engine.Process(input, _transport.Output, out consumed);
    }

    /// <summary>The engine, for the reply code, bound addresses and state.</summary>
    public Socks5ClientEngine Engine { get; }

    /// <summary>Why the handshake failed: the engine's reason, or a transport-level one (the proxy closed, or sent too much).</summary>
    public HandshakeFailure Failure => _transportFailure != HandshakeFailure.None ? _transportFailure : Engine.Failure;

    /// <summary>
    /// Starts the handshake if needed, then reads until the next event that matters: <see cref="ClientEvent.FirstReplyReceived"/>
    /// (BIND; call again for the second reply), <see cref="ClientEvent.Established"/> or <see cref="ClientEvent.MustClose"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The event; never <see cref="ClientEvent.NeedMoreData"/>.</returns>
    public async ValueTask<ClientEvent> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Engine.State == ClientEngineState.NotStarted)
        {
            Engine.Start(_transport.Output);
            await _transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        (ClientEvent e, HandshakeFailure transportFailure) = await HandshakeReader.ReadAsync(
            _transport, _step, static () => MaxServerMessageLength, ClientEvent.NeedMoreData, ClientEvent.MustClose, cancellationToken).ConfigureAwait(false);
        _transportFailure = transportFailure;
        return e;
    }
}
