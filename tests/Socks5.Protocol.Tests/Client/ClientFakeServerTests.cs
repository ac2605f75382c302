using System.Net;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>The client against a scripted server that sends exactly the bytes each test chooses.</summary>
public class ClientFakeServerTests
{
    // CONNECT 127.0.0.1:8000, as in the seed's walkthrough.
    private const string Greeting = "05 01 00";
    private const string ConnectRequest = "05 01 00 01 7f 00 00 01 1f 40";
    private static readonly IPEndPoint Target = Loop.At(8000);

    [Fact]
    public Task Reply_split_byte_by_byte_then_tunnel_bytes_arrive_exactly() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToGreetingAsync(proxy);
        using FakeConnection _ = server;
        await server.SendByteByByteAsync("05 00");
        await server.ExpectAsync(ConnectRequest);
        await server.SendByteByByteAsync("05 00 00 01 0a 00 00 01 10 10 68 69");

        using Socks5Tunnel tunnel = await connecting;
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 4112), tunnel.BoundAddress);
        Assert.Equal("hi", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(tunnel.Stream, 2)));

        await tunnel.Stream.WriteAsync("pong"u8.ToArray());
        await server.ExpectAsync("70 6f 6e 67");
    });

    [Fact]
    public Task Reply_and_tunnel_data_in_one_segment_lose_nothing() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToRequestAsync(proxy);
        using FakeConnection _ = server;
        byte[] payload = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        await server.SendAsync(Hex.Parse("05 00 00 01 00 00 00 00 00 00").Concat(payload).ToArray());
        server.ShutdownSend();

        using Socks5Tunnel tunnel = await connecting;
        Assert.Equal(payload, await Loop.ReadToEndAsync(tunnel.Stream));
    });

    [Fact]
    public Task Stream_taken_after_a_pipe_read_starts_with_the_unread_bytes_and_then_owns_the_socket() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToRequestAsync(proxy);
        using FakeConnection _ = server;
        await server.SendAsync("05 00 00 01 00 00 00 00 00 00" + "61 62 63 64");

        using Socks5Tunnel tunnel = await connecting;
        // Look at the bytes through the pipe, consume one, leave the rest examined: the stream must still return them.
        System.IO.Pipelines.ReadResult read = await tunnel.Input.ReadAsync();
        while (read.Buffer.Length < 4)
        {
            tunnel.Input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            read = await tunnel.Input.ReadAsync();
        }

        tunnel.Input.AdvanceTo(read.Buffer.GetPosition(1), read.Buffer.End);
        System.IO.Stream stream = tunnel.Stream;
        Assert.Throws<InvalidOperationException>(() => tunnel.Input);
        Assert.Equal(0, stream.Read([], 0, 0)); // a zero-length read takes nothing
        var two = new byte[2];
        Assert.Equal(2, stream.Read(two, 0, 2));
        Assert.Equal("bc", Encoding.ASCII.GetString(two));
        Assert.Equal('d', stream.ReadByte());

        await server.SendAsync("65");
        Assert.Equal("e", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(stream, 1)));
        await stream.WriteAsync("up"u8.ToArray());
        tunnel.ShutdownWrite();
        Assert.Equal("up", Encoding.ASCII.GetString(await server.ReadToEndAsync())); // the FIN came after the bytes
        server.ShutdownSend();
        Assert.Equal(-1, stream.ReadByte());
    });

    [Fact]
    public Task Greeting_reply_request_reply_and_data_all_buffered_before_the_client_reads() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client().ConnectAsync(Target);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.SendAsync("05 00 05 00 00 01 7f 00 00 01 00 50 61 62 63");
        await server.ExpectAsync(Greeting + ConnectRequest);

        using Socks5Tunnel tunnel = await connecting;
        Assert.Equal(Loop.At(80), tunnel.BoundAddress);
        System.IO.Pipelines.ReadResult read = await tunnel.Input.ReadAsync();
        Assert.Equal("616263", Hex.Format(System.Buffers.BuffersExtensions.ToArray(read.Buffer)));
        tunnel.Input.AdvanceTo(read.Buffer.End);
    });

    [Fact]
    public Task Bind_two_replies_and_data_in_one_segment() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5PendingBind> binding, FakeConnection server) = await UpToBindRequestAsync(proxy, null, "05 02 00 01 00 00 00 00 00 00");
        using FakeConnection _ = server;
        await server.SendAsync("05 00 00 01 7f 00 00 01 30 39" + "05 00 00 01 7f 00 00 02 d4 31" + "61 62");

        using Socks5PendingBind bind = await binding;
        Assert.Equal(Loop.At(12345), bind.ListenAddress);
        using Socks5Tunnel tunnel = await bind.AcceptAsync();
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 54321), tunnel.BoundAddress);
        Assert.Equal("ab", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(tunnel.Stream, 2)));
    });

    [Fact]
    public Task Bind_first_reply_returns_before_the_second_arrives_and_unspecified_address_becomes_the_proxys() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5PendingBind> binding, FakeConnection server) = await UpToBindRequestAsync(proxy, Loop.At(9), "05 02 00 01 7f 00 00 01 00 09");
        using FakeConnection _ = server;
        await server.SendAsync("05 00 00 01 00 00 00 00 04 d2");

        using Socks5PendingBind bind = await binding;
        Assert.Equal(Loop.At(1234), bind.ListenAddress);
        Task<Socks5Tunnel> accepting = bind.AcceptAsync();
        await Task.Delay(50);
        Assert.False(accepting.IsCompleted);
        await server.SendAsync("05 05 00 01 7f 00 00 01 00 09");
        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => accepting);
        Assert.Equal(ReplyCode.ConnectionRefused, ex.ReplyCode);
        Assert.Contains("BIND", ex.Message);
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task Disposing_a_pending_bind_ends_the_wait_and_the_connection() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5PendingBind> binding, FakeConnection server) = await UpToBindRequestAsync(proxy, null, "05 02 00 01 00 00 00 00 00 00");
        using FakeConnection _ = server;
        await server.SendAsync("05 00 00 01 7f 00 00 01 30 39");
        Socks5PendingBind bind = await binding;
        Task<Socks5Tunnel> accepting = bind.AcceptAsync();
        await Task.Delay(20);

        bind.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => accepting);
        await server.AssertClientClosedAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => bind.AcceptAsync());
    });

    [Fact]
    public Task Domain_name_bound_address_of_255_bytes() => Bounded.Run(async () =>
    {
        string name = new string('a', 63) + "." + new string('b', 63) + "." + new string('c', 63) + "." + new string('d', 63);
        Assert.Equal(255, name.Length);
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToRequestAsync(proxy);
        using FakeConnection _ = server;
        byte[] reply = [0x05, 0x00, 0x00, 0x03, 0xff, .. Encoding.ASCII.GetBytes(name), 0x01, 0xbb, 0x7a];
        await server.SendByteByByteAsync(Hex.Format(reply));

        using Socks5Tunnel tunnel = await connecting;
        var bound = Assert.IsType<DnsEndPoint>(tunnel.BoundAddress);
        Assert.Equal(name, bound.Host);
        Assert.Equal(443, bound.Port);
        Assert.Equal("z", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(tunnel.Stream, 1)));
    });

    [Fact]
    public Task Host_names_go_to_the_proxy_as_atyp_3_by_default() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client().ConnectAsync("example.test", 443);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 01 00 03 0c" + Hex.Format("example.test"u8) + "01 bb");
        await server.SendAsync("05 00 00 01 00 00 00 00 00 00");
        using Socks5Tunnel tunnel = await connecting;
        Assert.Equal(new IPEndPoint(IPAddress.Any, 0), tunnel.BoundAddress);
    });

    [Fact]
    public Task Host_names_are_resolved_here_when_asked() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client(o => o.ResolveNamesLocally = true).ConnectAsync(new DnsEndPoint("localhost", 80));
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        byte[] head = await server.ReadExactlyAsync(4);
        Assert.Equal("050100", Hex.Format(head.AsSpan(0, 3)));
        Assert.Contains(head[3], new byte[] { 1, 4 });
        int rest = head[3] == 1 ? 4 + 2 : 16 + 2;
        byte[] address = await server.ReadExactlyAsync(rest);
        Assert.Equal("0050", Hex.Format(address.AsSpan(rest - 2)));
        Assert.True(IPAddress.IsLoopback(new IPAddress(address.AsSpan(0, rest - 2))));
        await server.SendAsync("05 00 00 01 00 00 00 00 00 00");
        using Socks5Tunnel tunnel = await connecting;
    });

    [Fact]
    public Task Credentials_offer_no_auth_and_rfc1929_and_send_version_1() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToGreetingAsync(proxy, o => { o.UserName = "user"; o.Password = "pw"; }, "05 02 00 02");
        using FakeConnection _ = server;
        await server.SendAsync("05 02");
        await server.ExpectAsync("01 04 75 73 65 72 02 70 77");
        await server.SendByteByByteAsync("01 00");
        await server.ExpectAsync(ConnectRequest);
        await server.SendAsync("05 00 00 01 00 00 00 00 00 00");
        using Socks5Tunnel tunnel = await connecting;
    });

    [Theory]
    [InlineData(0xF8, "unassigned reply code (REP 0xF8)")]
    [InlineData(0xF3, "onion service rendezvous failed (REP 0xF3)")]
    [InlineData(0x05, "connection refused (REP 0x05)")]
    [InlineData(0x01, "general SOCKS server failure (REP 0x01)")]
    public Task Failure_replies_keep_the_raw_code_and_say_it(int rep, string text) => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client().ConnectAsync(Loop.At(9));
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 01 00 01 7f 00 00 01 00 09");
        await server.SendAsync($"05 {rep:x2} 00 04 00000000000000000000000000000000 00 00");

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal((ReplyCode)rep, ex.ReplyCode);
        Assert.Equal(HandshakeFailure.RequestRejected, ex.Failure);
        Assert.Equal(Loop.At(9), ex.Destination);
        Assert.Equal($"The proxy {proxy.EndPoint} refused CONNECT to 127.0.0.1:9: {text}.", ex.Message);
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task Truncated_reply_then_close_still_reports_the_code() => Bounded.Run(async () =>
    {
        // ss-local's answer to BIND: 05 07 00 01 and no address.
        using var proxy = new FakeProxy();
        (Task<Socks5PendingBind> binding, FakeConnection server) = await UpToBindRequestAsync(proxy, null, "05 02 00 01 00 00 00 00 00 00");
        using FakeConnection _ = server;
        await server.SendAsync("05 07 00 01");
        server.ShutdownSend();

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => binding);
        Assert.Equal(HandshakeFailure.ConnectionClosed, ex.Failure);
        Assert.Equal(ReplyCode.CommandNotSupported, ex.ReplyCode);
        Assert.Contains("closed the connection", ex.Message);
        Assert.Contains("command not supported (REP 0x07)", ex.Message);
        await server.AssertClientClosedAsync();
    });

    [Theory]
    [InlineData("05 02", HandshakeFailure.UnexpectedMethod, 0x02, "selected method 0x02 which was not offered")]
    [InlineData("05 ff", HandshakeFailure.NoAcceptableMethod, 0xFF, "accepts none of the authentication methods offered (METHOD X'FF')")]
    [InlineData("48 54 54 50 2f 31 2e 31", HandshakeFailure.MalformedMessage, -1, "sent a malformed message")] // "HTTP/1.1": not a SOCKS5 server
    public Task Bad_answers_to_the_greeting_are_named(string sent, HandshakeFailure failure, int method, string text) => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToGreetingAsync(proxy);
        using FakeConnection _ = server;
        await server.SendAsync(sent);

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal(failure, ex.Failure);
        Assert.Equal(method < 0 ? null : (AuthenticationMethod)method, ex.SelectedMethod);
        Assert.Null(ex.ReplyCode);
        Assert.Contains(text, ex.Message);
        await server.AssertClientClosedAsync();
    });

    [Theory]
    [InlineData(0x01)] // danted
    [InlineData(0x02)] // microsocks
    [InlineData(0xFF)] // v2ray
    public Task Rejected_credentials_keep_the_status(int status) => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToGreetingAsync(proxy, o => { o.UserName = "u"; o.Password = "p"; }, "05 02 00 02");
        using FakeConnection _ = server;
        await server.SendAsync("05 02");
        await server.ExpectAsync("01 01 75 01 70");
        await server.SendAsync($"01 {status:x2}");

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, ex.Failure);
        Assert.Equal((byte)status, ex.UsernamePasswordStatus);
        Assert.Contains($"rejected the user name and password (RFC 1929 status 0x{status:X2})", ex.Message);
        await server.AssertClientClosedAsync();
    });

    [Theory]
    [InlineData("", false, "before selecting a method")] // closed right after the greeting
    [InlineData("05", false, "before selecting a method")] // half a method selection
    [InlineData("05 02", true, "during authentication")] // after method selection, before the RFC 1929 status
    [InlineData("05 02 01", true, "during authentication")] // mid-auth
    [InlineData("05 00", false, "before its reply was complete")] // after method selection, before the reply
    [InlineData("05 00 05 00 00", false, "before its reply was complete")] // mid-reply
    [InlineData("05 00 05 00 00 03 0a 61 62", false, "before its reply was complete")] // mid-address
    public Task Early_close_at_every_stage(string sent, bool credentials, string stage) => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToGreetingAsync(proxy, o =>
        {
            if (credentials)
            {
                o.UserName = "u";
                o.Password = "p";
            }
        }, credentials ? "05 02 00 02" : Greeting);
        using FakeConnection _ = server;
        await server.SendAsync(sent);
        server.ShutdownSend();

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal(HandshakeFailure.ConnectionClosed, ex.Failure);
        Assert.Null(ex.ReplyCode);
        Assert.Contains("closed the connection during the handshake (" + stage + ")", ex.Message);
        await server.ReadToEndAsync(); // the request or credentials may come first; then the client must close
    });

    [Fact]
    public Task Reset_during_the_handshake_is_a_socks5_exception() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToGreetingAsync(proxy);
        server.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        server.Dispose(); // RST

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Equal(HandshakeFailure.ConnectionClosed, ex.Failure);
    });

    [Fact]
    public Task A_proxy_that_never_answers_hits_the_handshake_timeout_and_the_socket_is_released() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToGreetingAsync(proxy, o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using FakeConnection _ = server;

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => connecting);
        Assert.Contains("did not finish the CONNECT handshake", ex.Message);
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task Cancellation_releases_the_socket() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        using var cancel = new CancellationTokenSource();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToGreetingAsync(proxy, null, Greeting, cancel.Token);
        using FakeConnection _ = server;
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting);
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task An_unreachable_proxy_is_a_socks5_exception() => Bounded.Run(async () =>
    {
        IPEndPoint closed = Loop.ClosedPort();

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => new Socks5Client(closed).ConnectAsync(Target));
        Assert.Equal(HandshakeFailure.None, ex.Failure);
        Assert.IsType<System.Net.Sockets.SocketException>(ex.InnerException);
        Assert.StartsWith($"Could not connect to the proxy {closed}", ex.Message);
        Assert.Equal(closed, ex.Proxy);
        Assert.Equal(Target, ex.Destination); // what the caller asked for, though no request was sent

        var bind = await Assert.ThrowsAsync<Socks5Exception>(() => new Socks5Client(closed).BindAsync(Loop.At(9)));
        Assert.Equal(Loop.At(9), bind.Destination);
    });

    [Fact]
    public void A_destination_socks5_cannot_carry_is_refused_before_the_proxy_is_contacted()
    {
        // Thrown by the call itself, not by the task: nothing has connected to the proxy (which is never contacted).
        var client = new Socks5Client(Loop.ClosedPort());
        var unix = new System.Net.Sockets.UnixDomainSocketEndPoint("/tmp/socks5-test");

        Assert.Equal("destination", Assert.Throws<ArgumentNullException>(() => { _ = client.ConnectAsync((EndPoint)null!); }).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => { _ = client.ConnectAsync(unix); }).ParamName);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => { _ = client.ConnectAsync(new DnsEndPoint(new string('a', 256), 80)); }).ParamName);
        Assert.Equal("expectedPeer", Assert.Throws<ArgumentException>(() => { _ = client.BindAsync(unix); }).ParamName);
        using var pipe = new DuplexPipeStub();
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => { _ = client.ConnectOverAsync(pipe, unix); }).ParamName);
        Assert.False(pipe.Touched);
    }

    [Fact]
    public Task A_proxy_name_goes_to_the_resolver_and_its_addresses_are_tried_in_order() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        // Nothing listens on 127.0.0.2 at the fake's port: refused at once, then 127.0.0.1 answers.
        var resolver = new RecordingResolver(_ => [IPAddress.Parse("127.0.0.2"), IPAddress.Loopback]);
        var client = new Socks5Client(new Socks5ClientOptions("localhost", proxy.EndPoint.Port) { Resolver = resolver.ResolveAsync });
        Task<Socks5Tunnel> connecting = client.ConnectAsync(Target);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.SendAsync("05 00 05 00 00 01 00 00 00 00 00 00");
        await server.ExpectAsync(Greeting + ConnectRequest);

        using Socks5Tunnel tunnel = await connecting;
        Assert.Equal(new[] { "localhost" }, resolver.Asked);
    });

    [Fact]
    public Task A_proxy_name_the_resolver_does_not_know_is_a_socks5_exception() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        var resolver = new RecordingResolver(_ => throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));
        var client = new Socks5Client(new Socks5ClientOptions("localhost", proxy.EndPoint.Port) { Resolver = resolver.ResolveAsync, HandshakeTimeout = TimeSpan.FromSeconds(1) });

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => client.ConnectAsync(Target));
        Assert.Equal(new[] { "localhost" }, resolver.Asked);
        Assert.Equal(new DnsEndPoint("localhost", proxy.EndPoint.Port), ex.Proxy);
        Assert.Equal(Target, ex.Destination);
        Assert.IsType<System.Net.Sockets.SocketException>(ex.InnerException);
        Assert.StartsWith($"Could not connect to the proxy localhost:{proxy.EndPoint.Port}: ", ex.Message);
    });

    [Fact]
    public Task Half_close_goes_both_ways_through_the_tunnel() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToRequestAsync(proxy);
        using FakeConnection _ = server;
        await server.SendAsync("05 00 00 01 00 00 00 00 00 00");
        using Socks5Tunnel tunnel = await connecting;

        await tunnel.Stream.WriteAsync("request"u8.ToArray());
        tunnel.ShutdownWrite();
        Assert.Equal("request", Encoding.ASCII.GetString(await server.ReadToEndAsync()));

        // The other direction still works after the client's FIN.
        await server.SendAsync(Encoding.ASCII.GetBytes("response"));
        server.ShutdownSend();
        Assert.Equal("response", Encoding.ASCII.GetString(await Loop.ReadToEndAsync(tunnel.Stream)));
    });

    [Fact]
    public Task Disposing_the_stream_closes_the_connection() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client().ConnectAsync(Target);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.SendAsync("05 00 05 00 00 01 00 00 00 00 00 00");
        await server.ExpectAsync(Greeting + ConnectRequest);
        Socks5Tunnel tunnel = await connecting;

        await tunnel.Stream.DisposeAsync();
        await server.AssertClientClosedAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => tunnel.Stream.ReadAsync(new byte[1]).AsTask());
    });

    [Fact]
    public Task A_chain_runs_a_second_handshake_inside_the_first_tunnel() => Bounded.Run(async () =>
    {
        // Proxy A is scripted; proxy B at 127.0.0.1:1081 exists only as the bytes A's tunnel carries.
        using var proxy = new FakeProxy();
        var first = proxy.Client();
        var second = new Socks5Client(new Socks5ClientOptions("127.0.0.1", 1081) { Via = first, UserName = "b", Password = "c" });
        Task<Socks5Tunnel> connecting = second.ConnectAsync("target.test", 80);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 01 00 01 7f 00 00 01 04 39");
        // A's reply, B's method selection, in one segment.
        await server.SendAsync("05 00 00 01 00 00 00 00 00 00 05 02");
        await server.ExpectAsync("05 02 00 02 01 01 62 01 63");
        await server.SendAsync("01 00");
        await server.ExpectAsync("05 01 00 03 0b" + Hex.Format("target.test"u8) + "00 50");
        await server.SendAsync("05 00 00 01 7f 00 00 01 00 50 6f 6b");

        using Socks5Tunnel tunnel = await connecting;
        Assert.Equal(Loop.At(80), tunnel.BoundAddress);
        Assert.Equal("ok", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(tunnel.Stream, 2)));
        tunnel.Dispose();
        await server.AssertClientClosedAsync();
    });

    [Fact]
    public Task Connect_over_a_callers_pipe() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = Task.Run(async () =>
        {
            var pipe = await Socks5.Protocol.Transport.SocketPipe.ConnectAsync(proxy.EndPoint);
            return await new Socks5Client(new IPEndPoint(IPAddress.Loopback, 1)).ConnectOverAsync(pipe, Target);
        });
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        await server.ExpectAsync(ConnectRequest);
        await server.SendAsync("05 05 00 01 00 00 00 00 00 00");

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => connecting);
        Assert.Null(ex.Proxy);
        Assert.StartsWith("The proxy refused CONNECT to 127.0.0.1:8000", ex.Message);
    });
    /// <summary>A caller's pipe that records whether anything used it.</summary>
    private sealed class DuplexPipeStub : System.IO.Pipelines.IDuplexPipe, IDisposable
    {
        private readonly System.IO.Pipelines.Pipe _pipe = new();

        public bool Touched { get; private set; }

        public System.IO.Pipelines.PipeReader Input => Touch(_pipe.Reader);

        public System.IO.Pipelines.PipeWriter Output => Touch(_pipe.Writer);

        public void Dispose() => Touched = true;

        private T Touch<T>(T value)
        {
            Touched = true;
            return value;
        }
    }

    // The common start: the client connects to 127.0.0.1:8000 and the script has read the greeting.
    private static async Task<(Task<Socks5Tunnel> Connecting, FakeConnection Server)> UpToGreetingAsync(
        FakeProxy proxy, Action<Socks5ClientOptions>? configure = null, string greeting = Greeting, CancellationToken cancellationToken = default)
    {
        Task<Socks5Tunnel> connecting = proxy.Client(configure).ConnectAsync(Target, cancellationToken);
        FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(greeting);
        return (connecting, server);
    }

    // ... and has selected "no authentication" and read the CONNECT request.
    private static async Task<(Task<Socks5Tunnel> Connecting, FakeConnection Server)> UpToRequestAsync(FakeProxy proxy)
    {
        (Task<Socks5Tunnel> connecting, FakeConnection server) = await UpToGreetingAsync(proxy);
        await server.SendAsync("05 00");
        await server.ExpectAsync(ConnectRequest);
        return (connecting, server);
    }

    private static async Task<(Task<Socks5PendingBind> Binding, FakeConnection Server)> UpToBindRequestAsync(FakeProxy proxy, EndPoint? expectedPeer, string request)
    {
        Task<Socks5PendingBind> binding = proxy.Client().BindAsync(expectedPeer);
        FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        await server.ExpectAsync(request);
        return (binding, server);
    }
}
