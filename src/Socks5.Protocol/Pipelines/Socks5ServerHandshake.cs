using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Pipelines;

/// <summary>
/// Runs a <see cref="Socks5ServerEngine"/> over any <see cref="IDuplexPipe"/>: a socket (<see cref="Transport.SocketPipe"/>), a Kestrel
/// connection, a TLS stream wrapped in a pipe. It reads until the engine needs a decision, writes and flushes what the
/// engine wrote, and never consumes a byte past the handshake: after <see cref="ServerEvent.Established"/> the transport's
/// reader starts at the first tunnel byte.
/// </summary>
/// <remarks>
/// The host loop is: <c>e = await ReadAsync()</c>; on <see cref="ServerEvent.CredentialsReceived"/> call
/// <see cref="AcceptCredentialsAsync"/>; on <see cref="ServerEvent.RequestReceived"/> and
/// <see cref="ServerEvent.SecondReplyRequired"/> call <see cref="ReplyAsync"/>; stop on
/// <see cref="ServerEvent.Established"/> or <see cref="ServerEvent.MustClose"/>. Each call returns the next event.
/// </remarks>
public sealed class Socks5ServerHandshake
{
    private readonly IDuplexPipe _transport;
    private readonly EngineInput.Step<ServerEvent> _step;
    private readonly Func<int> _maxMessageLength;

    /// <summary>Creates the adapter.</summary>
    /// <param name="transport">The client's connection.</param>
    /// <param name="engine">A fresh (or reset) engine.</param>
    public Socks5ServerHandshake(IDuplexPipe transport, Socks5ServerEngine engine)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _step = (ReadOnlySpan<byte> input, bool isFinalBlock, out int consumed) => Engine.Process(input, _transport.Output, out consumed, isFinalBlock);
        _maxMessageLength = () => Engine.MaxMessageLength;
    }

    /// <summary>The engine, for the request, credentials and state.</summary>
    public Socks5ServerEngine Engine { get; }

    /// <summary>Reads and processes input until the engine needs a decision, finishes, or fails.</summary>
    /// <param name="cancellationToken">Cancels the wait (the handshake timeout).</param>
    /// <returns>The event the host must act on: never <see cref="ServerEvent.NeedMoreData"/>.</returns>
    /// <exception cref="OperationCanceledException">The token fired, or the pending read was canceled.</exception>
    public ValueTask<ServerEvent> ReadAsync(CancellationToken cancellationToken = default) =>
        HandshakeReader.ReadAsync(_transport, _step, _maxMessageLength, ServerEvent.NeedMoreData, cancellationToken);

    /// <summary>Answers <see cref="ServerEvent.CredentialsReceived"/>, then goes on reading when they were accepted.</summary>
    /// <param name="accepted">Whether the credentials are valid.</param>
    /// <param name="cancellationToken">Cancels the flush and the reading.</param>
    /// <returns>The next event.</returns>
    public async ValueTask<ServerEvent> AcceptCredentialsAsync(bool accepted, CancellationToken cancellationToken = default)
    {
        ServerEvent e = Engine.AcceptCredentials(accepted, _transport.Output);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return e == ServerEvent.NeedMoreData ? await ReadAsync(cancellationToken).ConfigureAwait(false) : e;
    }

    /// <summary>Answers <see cref="ServerEvent.RequestReceived"/> or <see cref="ServerEvent.SecondReplyRequired"/>.</summary>
    /// <param name="replyCode">The outcome.</param>
    /// <param name="boundAddress">BND.ADDR and BND.PORT; null sends 0.0.0.0:0.</param>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns><see cref="ServerEvent.Established"/>, <see cref="ServerEvent.SecondReplyRequired"/> or <see cref="ServerEvent.MustClose"/>.</returns>
    public async ValueTask<ServerEvent> ReplyAsync(ReplyCode replyCode, EndPoint? boundAddress, CancellationToken cancellationToken = default)
    {
        ServerEvent e = WriteReply(replyCode, boundAddress);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return e;
    }

    private ServerEvent WriteReply(ReplyCode replyCode, EndPoint? boundAddress)
    {
        if (boundAddress is null)
        {
            return Engine.Reply(replyCode, _transport.Output);
        }

        Span<byte> buffer = stackalloc byte[Socks5EndPoint.MaxAddressLength];
        return Engine.Reply(replyCode, Socks5EndPoint.FromEndPoint(boundAddress, buffer), _transport.Output);
    }

    private ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken) => HandshakeReader.FlushAsync(_transport.Output, cancellationToken);
}
