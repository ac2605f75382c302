using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>A reply, copied out of the ref struct the parser returns.</summary>
public sealed record ReplyInfo(ReplyCode ReplyCode, AddressType AddressType, IPAddress? Address, string Host, ushort Port, byte[] Raw)
{
    public byte RawReplyCode => Raw[1];

    /// <summary>BND as an endpoint to connect or send to; an unspecified address (0.0.0.0, ::) means the proxy's own.</summary>
    public IPEndPoint Usable(IPEndPoint proxy) =>
        Address is null || Address.Equals(IPAddress.Any) || Address.Equals(IPAddress.IPv6Any)
            ? new IPEndPoint(proxy.Address, Port)
            : new IPEndPoint(Address, Port);

    public override string ToString() => $"REP {RawReplyCode} ({ReplyCode}) ATYP {AddressType} BND {Host}:{Port} raw {Convert.ToHexString(Raw)}";
}

/// <summary>
/// A bare SOCKS5 client for the interop tests: the library's wire codecs over a plain socket, one message at a time,
/// so that each peer's exact answer can be asserted. Reads a reply one byte at a time until the parser says Done, so
/// nothing after the reply (BIND's second reply, tunnel data) is ever swallowed.
/// </summary>
public sealed class RawSocks5Client : IDisposable
{
    private RawSocks5Client(Socket socket, IPEndPoint proxy)
    {
        Socket = socket;
        Proxy = proxy;
        Stream = new NetworkStream(socket, ownsSocket: false);
    }

    public Socket Socket { get; }

    public NetworkStream Stream { get; }

    public IPEndPoint Proxy { get; }

    public static async Task<RawSocks5Client> ConnectAsync(IPEndPoint proxy, CancellationToken ct)
    {
        var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(proxy, ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawSocks5Client(socket, proxy);
    }

    /// <summary>Connects, greets with the one method needed, and authenticates when a user is given; asserts success.</summary>
    public static async Task<RawSocks5Client> OpenAsync(IPEndPoint proxy, CancellationToken ct, string? user = null, string? password = null)
    {
        RawSocks5Client client = await ConnectAsync(proxy, ct);
        AuthenticationMethod wanted = user is null ? AuthenticationMethod.NoAuthenticationRequired : AuthenticationMethod.UsernamePassword;
        Assert.Equal(wanted, await client.GreetAsync([wanted], ct));
        if (user is not null)
        {
            Assert.Equal(UsernamePasswordReply.Success, await client.AuthenticateAsync(user, password!, ct));
        }

        return client;
    }

    /// <summary>Greets offering only username/password, sends <paramref name="password"/>, returns the STATUS byte.</summary>
    public static async Task<byte> AuthStatusAsync(IPEndPoint proxy, string user, string password, CancellationToken ct)
    {
        using RawSocks5Client client = await ConnectAsync(proxy, ct);
        Assert.Equal(AuthenticationMethod.UsernamePassword, await client.GreetAsync([AuthenticationMethod.UsernamePassword], ct));
        return await client.AuthenticateAsync(user, password, ct);
    }

    /// <summary>CONNECT to the echo target <paramref name="echo"/>; asserts REP 0 and that the echo comes back through the tunnel.</summary>
    public async Task<ReplyInfo> ConnectAndAssertEchoAsync(EndPoint echo, CancellationToken ct)
    {
        ReplyInfo reply = await RequestAsync(Command.Connect, echo, ct);
        Assert.True(reply.ReplyCode == ReplyCode.Succeeded, reply.ToString());
        await AssertEchoAsync(ct);
        return reply;
    }

    /// <summary>Sends a greeting offering <paramref name="methods"/>, returns the method the server chose.</summary>
    public async Task<AuthenticationMethod> GreetAsync(AuthenticationMethod[] methods, CancellationToken ct)
    {
        var buffer = new byte[Socks5Greeting.GetLength(methods)];
        Assert.True(Socks5Greeting.TryWrite(methods, buffer, out int written));
        await Stream.WriteAsync(buffer.AsMemory(0, written), ct);
        byte[] answer = await ReadExactlyAsync(Socks5MethodSelection.Length, ct);
        Assert.Equal(OperationStatus.Done, Socks5MethodSelection.TryParse(answer, out Socks5MethodSelection selection, out int consumed, out ParseError error));
        Assert.Equal(Socks5MethodSelection.Length, consumed);
        Assert.Equal(ParseError.None, error);
        return selection.Method;
    }

    /// <summary>RFC 1929: sends user and password, returns the STATUS byte.</summary>
    public async Task<byte> AuthenticateAsync(string user, string password, CancellationToken ct)
    {
        byte[] u = System.Text.Encoding.UTF8.GetBytes(user);
        byte[] p = System.Text.Encoding.UTF8.GetBytes(password);
        var buffer = new byte[UsernamePasswordRequest.GetLength(u, p)];
        Assert.True(UsernamePasswordRequest.TryWrite(u, p, buffer, out int written));
        await Stream.WriteAsync(buffer.AsMemory(0, written), ct);
        byte[] answer = await ReadExactlyAsync(UsernamePasswordReply.Length, ct);
        Assert.Equal(OperationStatus.Done, UsernamePasswordReply.TryParse(answer, out UsernamePasswordReply reply, out _, out _));
        return reply.Status;
    }

    /// <summary>Sends a request for an IP endpoint or a DnsEndPoint (ATYP 3), and reads the reply.</summary>
    public async Task<ReplyInfo> RequestAsync(Command command, EndPoint destination, CancellationToken ct)
    {
        await SendRequestAsync(command, destination, ct);
        return await ReadReplyAsync(ct);
    }

    public async Task SendRequestAsync(Command command, EndPoint destination, CancellationToken ct)
    {
        byte[] buffer = Encode(destination, (endPoint, span) =>
            Socks5Request.TryWrite(command, endPoint, span, out int written) ? written : throw new InvalidOperationException("request did not fit"));
        await Stream.WriteAsync(buffer, ct);
    }

    /// <summary>Reads one reply, a byte at a time, until <see cref="Socks5Reply.TryParse(ReadOnlySpan{byte}, out Socks5Reply, out int, out ParseError)"/> is Done.</summary>
    /// <exception cref="EndOfStreamException">The server closed before a whole reply (the bytes so far are in the message).</exception>
    public async Task<ReplyInfo> ReadReplyAsync(CancellationToken ct)
    {
        var received = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await Stream.ReadAsync(one, ct) == 0)
            {
                throw new EndOfStreamException($"closed after {received.Count} reply bytes: {Convert.ToHexString(received.ToArray())}");
            }

            received.Add(one[0]);
            byte[] raw = received.ToArray();
            OperationStatus status = Socks5Reply.TryParse(raw, out Socks5Reply reply, out int consumed, out ParseError error);
            if (status == OperationStatus.NeedMoreData)
            {
                Assert.Equal(0, consumed);
                continue;
            }

            Assert.True(status == OperationStatus.Done, $"invalid reply {Convert.ToHexString(raw)}: {error}");
            Assert.Equal(raw.Length, consumed);
            Socks5EndPoint bound = reply.BoundAddress;
            return new ReplyInfo(reply.ReplyCode, bound.AddressType, bound.ToIPAddress(), bound.GetHost(), bound.Port, raw);
        }
    }

    public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await Stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }

    /// <summary>Everything until the server closes.</summary>
    public async Task<byte[]> ReadToEndAsync(CancellationToken ct)
    {
        var all = new MemoryStream();
        await Stream.CopyToAsync(all, ct);
        return all.ToArray();
    }

    /// <summary>Sends random bytes through the tunnel and asserts the echo target sent exactly them back.</summary>
    public async Task AssertEchoAsync(CancellationToken ct) => await AssertEchoAsync(Stream, ct);

    public static async Task AssertEchoAsync(Stream stream, CancellationToken ct)
    {
        byte[] sent = System.Text.Encoding.ASCII.GetBytes("ping-" + Guid.NewGuid().ToString("N"));
        await stream.WriteAsync(sent, ct);
        var back = new byte[sent.Length];
        await stream.ReadExactlyAsync(back, ct);
        Assert.Equal(sent, back);
    }

    /// <summary>Reads until close; asserts nothing at all came back (a peer that drops a request without a reply).</summary>
    public async Task AssertClosedWithoutReplyAsync(CancellationToken ct)
    {
        byte[] rest;
        try
        {
            rest = await ReadToEndAsync(ct);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            rest = [];
        }

        Assert.Empty(rest);
    }

    public void Dispose()
    {
        Stream.Dispose();
        Socket.Dispose();
    }

    /// <summary>Encodes a message naming <paramref name="endPoint"/> (IP, or DnsEndPoint sent as ATYP 3).</summary>
    internal static byte[] Encode(EndPoint endPoint, Func<Socks5EndPoint, Span<byte>, int> write)
    {
        Span<byte> address = stackalloc byte[Socks5EndPoint.MaxAddressLength];
        Socks5EndPoint encoded = Socks5EndPoint.FromEndPoint(endPoint, address);
        Span<byte> buffer = stackalloc byte[Socks5UdpHeader.MaxLength];
        int length = write(encoded, buffer);
        return buffer[..length].ToArray();
    }
}

/// <summary>One datagram through a SOCKS5 UDP relay and its answer, framed with <see cref="Socks5UdpHeader"/>.</summary>
public static class Socks5Udp
{
    public sealed record Datagram(byte Fragment, AddressType AddressType, IPAddress? Address, ushort Port, byte[] Data);

    /// <summary>
    /// From a socket bound to <paramref name="localAddress"/>, sends <paramref name="payload"/> for
    /// <paramref name="target"/> to the relay (resending every 500 ms: UDP may drop), and returns the first answer parsed.
    /// </summary>
    public static async Task<Datagram> RoundTripAsync(Socket udp, IPEndPoint relay, EndPoint target, byte[] payload, CancellationToken ct)
    {
        byte[] header = RawSocks5Client.Encode(target, (endPoint, span) =>
            Socks5UdpHeader.TryWrite(0, endPoint, span, out int written) ? written : throw new InvalidOperationException("header did not fit"));
        byte[] datagram = [.. header, .. payload];
        var buffer = new byte[65536];
        while (true)
        {
            await udp.SendToAsync(datagram, relay, ct);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(500));
            SocketReceiveFromResult result;
            try
            {
                result = await udp.ReceiveFromAsync(buffer, new IPEndPoint(relay.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0), wait.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                continue;
            }

            ReadOnlySpan<byte> received = buffer.AsSpan(0, result.ReceivedBytes);
            OperationStatus status = Socks5UdpHeader.TryParse(received, out Socks5UdpHeader parsed, out int consumed, out ParseError error);
            Assert.True(status == OperationStatus.Done, $"bad UDP header {Convert.ToHexString(received)}: {status} {error}");
            return new Datagram(parsed.Fragment, parsed.Address.AddressType, parsed.Address.ToIPAddress(), parsed.Address.Port, received[consumed..].ToArray());
        }
    }

    /// <summary>
    /// UDP ASSOCIATE on <paramref name="client"/> (DST 0.0.0.0:0 or [::]:0: "not known yet"), then one datagram to the
    /// UDP echo target; asserts REP 0, and that the answer names the target and carries "echo:" + what was sent.
    /// </summary>
    public static async Task AssertEchoAsync(RawSocks5Client client, IPEndPoint echo, CancellationToken ct)
    {
        bool v6 = client.Proxy.AddressFamily == AddressFamily.InterNetworkV6;
        ReplyInfo reply = await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0), ct);
        Assert.True(reply.ReplyCode == ReplyCode.Succeeded, reply.ToString());
        using var udp = new Socket(client.Proxy.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(client.Proxy.Address, 0));
        byte[] payload = System.Text.Encoding.ASCII.GetBytes("udp-" + Guid.NewGuid().ToString("N"));
        Datagram answer = await RoundTripAsync(udp, reply.Usable(client.Proxy), echo, payload, ct);
        Assert.Equal(0, answer.Fragment);
        Assert.Equal(echo.Address, answer.Address);
        Assert.Equal(echo.Port, answer.Port);
        Assert.Equal([.. "echo:"u8.ToArray(), .. payload], answer.Data);
    }
}
