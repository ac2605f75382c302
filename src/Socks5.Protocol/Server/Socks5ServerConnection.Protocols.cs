using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Server;

/// <summary>
/// SOCKS4/4a and HTTP CONNECT on the SOCKS5 port. The first byte names the protocol; each one's request is read into the
/// same <see cref="RequestInfo"/> and served by the same path as a SOCKS5 request (policy, limits, dial, relay, report),
/// so only reading the request and writing the reply differ.
/// </summary>
internal sealed partial class Socks5ServerConnection
{
    // The realm of the 407 challenge: one realm for the whole server, as its users are one table.
    private static ReadOnlySpan<byte> Realm => "proxy"u8;

    private InboundProtocol _protocol;
    private bool _dialTimedOut;

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

        return first switch
        {
            Socks4Request.Version when _options.EnableSocks4 => InboundProtocol.Socks4,
            >= (byte)'A' and <= (byte)'Z' when _options.EnableHttpConnect => InboundProtocol.HttpConnect,
            _ => InboundProtocol.Socks5,
        };
    }

    // A parse step over what the client sent so far: the status, what it consumed, and the request copied out.
    private delegate OperationStatus ParseStep(in ReadOnlySequence<byte> buffer, byte[] scratch, out int consumed);

    // Reads until the parser is done or fails; on Done the request's bytes are consumed and nothing after them.
    private async ValueTask<OperationStatus> ReadMessageAsync(ParseStep parse, int maxLength, CancellationToken cancellationToken)
    {
        PipeReader input = _client.Input;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(maxLength);
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                OperationStatus status;
                int consumed;
                try
                {
                    status = parse(buffer, scratch, out consumed);
                }
                catch
                {
                    input.AdvanceTo(buffer.Start);
                    throw;
                }

                if (status == OperationStatus.Done)
                {
                    input.AdvanceTo(buffer.GetPosition(consumed));
                    return status;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (status != OperationStatus.NeedMoreData)
                {
                    return status;
                }

                if (result.IsCompleted)
                {
                    // A client that goes away after a 407 failed to authenticate; the report keeps saying so.
                    _failure = _failure == HandshakeFailure.None ? HandshakeFailure.ConnectionClosed : _failure;
                    return OperationStatus.NeedMoreData;
                }

                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("The pending read of the handshake was canceled.");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private async Task<ServerEvent> ReadSocks4RequestAsync(CancellationToken cancellationToken)
    {
        string? userId = null;
        ParseError error = ParseError.None;
        OperationStatus status = await ReadMessageAsync(
            (in ReadOnlySequence<byte> buffer, byte[] scratch, out int consumed) =>
            {
                OperationStatus s = Socks4Request.TryParse(buffer, scratch, out Socks4Request request, out consumed, out error);
                if (s == OperationStatus.Done)
                {
                    _protocol = request.IsSocks4a ? InboundProtocol.Socks4a : InboundProtocol.Socks4;
                    _request = RequestInfo.From(request.Command, request.Destination);
                    userId = Encoding.UTF8.GetString(request.UserId.ToArray());
                }

                return s;
            },
            Socks4Request.MaxLength,
            cancellationToken).ConfigureAwait(false);
        if (status == OperationStatus.NeedMoreData)
        {
            return ServerEvent.MustClose;
        }

        if (status != OperationStatus.Done)
        {
            _failure = error is ParseError.UserIdTooLong or ParseError.DomainNameTooLong ? HandshakeFailure.MessageTooLong : HandshakeFailure.MalformedMessage;
            await ReplyAsync(ReplyCode.GeneralFailure, null, cancellationToken).ConfigureAwait(false);
            return ServerEvent.MustClose;
        }

        // SOCKS4 has no authentication: only a validator that accepts the USERID (with an empty password) lets it in.
        if (_options.RequiresCredentials)
        {
            bool accepted = _options.ValidateCredentials is not null && userId!.Length > 0
                && await CheckCredentialsAsync(userId, string.Empty, cancellationToken).ConfigureAwait(false);
            if (!accepted)
            {
                _failure = HandshakeFailure.AuthenticationFailed;
                await ReplyAsync(ReplyCode.ConnectionNotAllowed, null, cancellationToken).ConfigureAwait(false);
                return ServerEvent.MustClose;
            }
        }

        return ServerEvent.RequestReceived;
    }

    // An HTTP head in, until a CONNECT the server serves; a 407 lets the client try again on the same connection.
    private async Task<ServerEvent> ReadHttpConnectRequestAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            bool isConnect = false;
            string? user = null;
            string? password = null;
            ParseError error = ParseError.None;
            OperationStatus status = await ReadMessageAsync(
                (in ReadOnlySequence<byte> buffer, byte[] scratch, out int consumed) =>
                {
                    OperationStatus s = HttpConnectRequest.TryParse(buffer, scratch, HttpConnectRequest.DefaultMaxHeadLength, out HttpConnectRequest request, out consumed, out error);
                    if (s == OperationStatus.Done && request.IsConnect)
                    {
                        isConnect = true;
                        Span<byte> host = stackalloc byte[Socks5EndPoint.MaxAddressLength];
                        _request = RequestInfo.From(Command.Connect, request.GetDestination(host));
                        Span<byte> decoded = stackalloc byte[request.ProxyAuthorization.Length];
                        if (request.HasProxyAuthorization
                            && HttpBasicCredentials.TryDecode(request.ProxyAuthorization, decoded, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> secret) == OperationStatus.Done)
                        {
                            user = Encoding.UTF8.GetString(name.ToArray());
                            password = Encoding.UTF8.GetString(secret.ToArray());
                        }
                    }

                    return s;
                },
                HttpConnectRequest.DefaultMaxHeadLength,
                cancellationToken).ConfigureAwait(false);
            if (status == OperationStatus.NeedMoreData)
            {
                return ServerEvent.MustClose;
            }

            if (status != OperationStatus.Done)
            {
                _failure = error == ParseError.HeadTooLarge ? HandshakeFailure.MessageTooLong : HandshakeFailure.MalformedMessage;
                await WriteHttpAsync(error switch { ParseError.HeadTooLarge => 431, ParseError.UnsupportedVersion => 505, _ => 400 }, cancellationToken).ConfigureAwait(false);
                return ServerEvent.MustClose;
            }

            if (!isConnect)
            {
                // Not a forward proxy: only CONNECT is served.
                _failure = HandshakeFailure.CommandNotSupported;
                await WriteHttpAsync(405, cancellationToken).ConfigureAwait(false);
                return ServerEvent.MustClose;
            }

            if (!_options.RequiresCredentials)
            {
                return ServerEvent.RequestReceived;
            }

            if (user is not null && await CheckCredentialsAsync(user, password!, cancellationToken).ConfigureAwait(false))
            {
                _failure = HandshakeFailure.None;
                return ServerEvent.RequestReceived;
            }

            _failure = HandshakeFailure.AuthenticationFailed;
            _request = null;
            await WriteHttpAsync(407, cancellationToken).ConfigureAwait(false);
        }
    }

    // The answer of a SOCKS4 or HTTP client, mapped from the SOCKS5 reply the shared path decided on.
    private async ValueTask<ServerEvent> ReplyOtherAsync(ReplyCode code, EndPoint? bound, CancellationToken cancellationToken)
    {
        if (_protocol == InboundProtocol.HttpConnect)
        {
            await WriteHttpAsync(code switch
            {
                ReplyCode.Succeeded => 200,
                ReplyCode.ConnectionNotAllowed => 403,
                ReplyCode.TtlExpired => 504,
                _ when _dialTimedOut => 504,
                _ => 502,
            }, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // DSTPORT and DSTIP of a CONNECT reply are ignored by the client (the SOCKS4 document): zeros. A RESOLVE
            // answer (Tor) is its IPv4 address there.
            Span<byte> buffer = stackalloc byte[Socks5EndPoint.MaxAddressLength];
            buffer.Clear();
            Socks5EndPoint address = bound is IPEndPoint { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork } ip
                ? Socks5EndPoint.FromIPEndPoint(new IPEndPoint(ip.Address, 0), buffer)
                : new Socks5EndPoint(AddressType.IPv4, buffer.Slice(0, 4), 0);
            Socks4Reply.Write(_client.Output, code == ReplyCode.Succeeded ? Socks4ReplyCode.RequestGranted : Socks4ReplyCode.RequestRejectedOrFailed, address);
            await _client.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        EndHandshake(null, null);
        return code == ReplyCode.Succeeded ? ServerEvent.Established : ServerEvent.MustClose;
    }

    private async ValueTask WriteHttpAsync(int statusCode, CancellationToken cancellationToken)
    {
        if (statusCode == 407)
        {
            HttpConnectResponse.WriteProxyAuthenticationRequired(_client.Output, Realm);
        }
        else
        {
            HttpConnectResponse.Write(_client.Output, statusCode);
        }

        await _client.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
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
}
