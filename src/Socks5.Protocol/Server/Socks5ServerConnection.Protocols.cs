using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// SOCKS4/4a and HTTP CONNECT on the SOCKS5 port. The first byte names the protocol; its engine
/// (<see cref="Socks4ServerEngine"/>, <see cref="HttpConnectServerEngine"/>) reads the request into the same
/// <see cref="RequestInfo"/> and writes the reply, and the request is served by the same path as a SOCKS5 request
/// (policy, limits, dial, relay, report).
/// </summary>
internal sealed partial class Socks5ServerConnection
{
    private InboundProtocol _protocol;
    private bool _dialTimedOut;
    private Socks4ServerEngine? _socks4;
    private HttpConnectServerEngine? _http;

    /// <summary>The protocol the client speaks (SOCKS5 until the first byte says otherwise).</summary>
    public InboundProtocol Protocol => _protocol;

    // Whether the first byte is one this server serves besides SOCKS5, without consuming it. A closed or other first byte
    // leaves it all to the SOCKS5 engine, which fails as before (no reply to a version it does not know).
    private async ValueTask<InboundProtocol> DetectAsync(CancellationToken cancellationToken)
    {
        if (!_options.EnableSocks4 && !_options.EnableHttpConnect)
        {
            return InboundProtocol.Socks5;
        }

        PipeReader input = _client.Input;
        ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
        ReadOnlySequence<byte> buffer = result.Buffer;
        byte first = buffer.IsEmpty ? (byte)0 : buffer.First.Span[0];
        input.AdvanceTo(buffer.Start); // nothing examined: the next read returns the same bytes at once
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The pending read of the handshake was canceled.");
        }

        // 4 is SOCKS4 (or 4a: the request says), an upper-case letter starts an HTTP request line, anything else is left to
        // the SOCKS5 engine (which closes on a version it does not know).
        return first switch
        {
            Socks4Request.Version when _options.EnableSocks4 => InboundProtocol.Socks4,
            >= (byte)'A' and <= (byte)'Z' when _options.EnableHttpConnect => InboundProtocol.HttpConnect,
            _ => InboundProtocol.Socks5,
        };
    }

    // The engine's read loop, as Socks5ServerHandshake runs it, without a delegate per connection.
    private ValueTask<ServerEvent> ReadAsync<TEngine>(TEngine engine, CancellationToken cancellationToken)
        where TEngine : class, IServerEngine =>
        HandshakeReader.ReadAsync(_client, new EngineStep<TEngine>(engine, _client.Output), ServerEvent.NeedMoreData, cancellationToken);

    private async Task<ServerEvent> ReadSocks4RequestAsync(CancellationToken cancellationToken)
    {
        var engine = new Socks4ServerEngine(_options.RequiresCredentials);
        _socks4 = engine;
        try
        {
            ServerEvent e = await ReadAsync(engine, cancellationToken).ConfigureAwait(false);
            if (e is ServerEvent.CredentialsReceived or ServerEvent.RequestReceived)
            {
                _protocol = engine.IsSocks4a ? InboundProtocol.Socks4a : InboundProtocol.Socks4;
                _request = RequestInfo.From(engine.Command, engine.Destination);
            }

            if (e == ServerEvent.CredentialsReceived)
            {
                // SOCKS4 has no authentication: only a validator that accepts the USERID (with an empty password) lets
                // it in.
                bool accepted = _options.ValidateCredentials is not null && engine.UserName.Length > 0
                    && await CheckCredentialsAsync(Encoding.UTF8.GetString(engine.UserName), string.Empty, cancellationToken).ConfigureAwait(false);
                e = engine.AcceptCredentials(accepted, _client.Output);
            }

            if (e == ServerEvent.MustClose && engine.ReplyCode != 0)
            {
                // The 91 of a refused USERID or a malformed request: the report names the SOCKS5 reply it stands for.
                _reply = engine.Failure == HandshakeFailure.AuthenticationFailed ? ReplyCode.ConnectionNotAllowed : ReplyCode.GeneralFailure;
                await HandshakeReader.FlushAsync(_client.Output, cancellationToken).ConfigureAwait(false);
                EndHandshake(null, null);
            }

            return e;
        }
        finally
        {
            _failure = engine.Failure;
        }
    }

    // An HTTP head in, until a CONNECT the server serves; a 407 lets the client try again on the same connection.
    private async Task<ServerEvent> ReadHttpConnectRequestAsync(CancellationToken cancellationToken)
    {
        var engine = new HttpConnectServerEngine(_options.RequiresCredentials);
        _http = engine;
        try
        {
            ServerEvent e = await ReadAsync(engine, cancellationToken).ConfigureAwait(false);
            while (e == ServerEvent.CredentialsReceived)
            {
                _request = RequestInfo.From(Command.Connect, engine.Destination);
                bool accepted = await CheckCredentialsAsync(
                    Encoding.UTF8.GetString(engine.UserName), Encoding.UTF8.GetString(engine.Password), cancellationToken).ConfigureAwait(false);
                e = engine.AcceptCredentials(accepted, _client.Output);
                if (e == ServerEvent.NeedMoreData)
                {
                    // The 407 goes out before waiting for the client's next head.
                    _request = null;
                    await HandshakeReader.FlushAsync(_client.Output, cancellationToken).ConfigureAwait(false);
                    e = await ReadAsync(engine, cancellationToken).ConfigureAwait(false);
                }
            }

            if (e == ServerEvent.RequestReceived)
            {
                _request = RequestInfo.From(Command.Connect, engine.Destination);
            }

            return e;
        }
        finally
        {
            _failure = engine.Failure;
        }
    }

    // The answer of a SOCKS4 or HTTP client, mapped by its engine from the SOCKS5 reply the shared path decided on.
    private async ValueTask<ServerEvent> ReplyOtherAsync(ReplyCode code, EndPoint? bound, CancellationToken cancellationToken)
    {
        ServerEvent e;
        if (_http is { } http)
        {
            e = http.Reply(code, _dialTimedOut, _client.Output);
        }
        else
        {
            // DSTIP carries the IPv4 address bound (a RESOLVE answer, the outgoing address of a CONNECT); else zeros.
            Span<byte> buffer = stackalloc byte[Socks5EndPoint.MaxAddressLength];
            Socks5EndPoint address = bound is IPEndPoint { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork } ip
                ? Socks5EndPoint.FromIPEndPoint(ip, buffer)
                : default;
            e = _socks4!.Reply(code, address, _client.Output);
        }

        await _client.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        EndHandshake(null, null);
        return e;
    }

    // The one credential check of every protocol: the host's validator, else the Users table. An accepted user takes
    // its slot here, before the client hears it is in: from then on RunAsync's end frees it.
    private async ValueTask<bool> CheckCredentialsAsync(string user, string password, CancellationToken cancellationToken)
    {
        bool accepted = _options.ValidateCredentials is { } validate
            ? await validate(user, password, cancellationToken).ConfigureAwait(false)
            : _server.Credentials.Check(user, password);
        _user = accepted ? user : null;
        if (accepted)
        {
            _userSlot = _server.Users.TryEnter(user);
            _overUserLimit = _userSlot is null;
        }

        return accepted;
    }

    // A server engine as the read loop's step: a struct, so the loop holds it without a delegate or closure.
    private readonly struct EngineStep<TEngine> : EngineInput.IStep<ServerEvent>
        where TEngine : class, IServerEngine
    {
        private readonly TEngine _engine;
        private readonly IBufferWriter<byte> _output;

        public EngineStep(TEngine engine, IBufferWriter<byte> output)
        {
            _engine = engine;
            _output = output;
        }

        public int MaxMessageLength => _engine.MaxMessageLength;

        public ServerEvent Process(ReadOnlySpan<byte> input, bool isFinalBlock, out int bytesConsumed) =>
            _engine.Process(input, _output, out bytesConsumed, isFinalBlock);
    }
}
