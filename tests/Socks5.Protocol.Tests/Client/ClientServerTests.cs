using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Engine;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>The client against the library's own server, in process, over loopback.</summary>
public class ClientServerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Connect_echoes_with_half_close(bool credentials) => Bounded.Run(async () =>
    {
        using var server = ServerFixture.Start(credentials);
        (IPEndPoint echo, IDisposable stopEcho) = Loop.StartEcho();
        using (stopEcho)
        {
            using Socks5Tunnel tunnel = await server.Client(credentials).ConnectAsync(echo);
            await tunnel.Stream.WriteAsync("hello through socks"u8.ToArray());
            tunnel.ShutdownWrite();
            Assert.Equal("hello through socks", Encoding.ASCII.GetString(await Loop.ReadToEndAsync(tunnel.Stream)));
        }

        Socks5ConnectionReport report = await server.NextReportAsync();
        Assert.Equal(Command.Connect, report.Command);
        Assert.Equal(credentials ? "socksuser" : null, report.UserName);
        Assert.True(report.Succeeded);
    });

    // Our client and our server on one port, in every protocol they share: the URI picks the client's protocol, the
    // server tells it from the first byte, and its report names what it heard.
    [Theory]
    [InlineData("socks5", false, InboundProtocol.Socks5)]
    [InlineData("socks5h", true, InboundProtocol.Socks5)]
    [InlineData("socks4", false, InboundProtocol.Socks4)]
    [InlineData("socks4a", true, InboundProtocol.Socks4a)]
    [InlineData("http", true, InboundProtocol.HttpConnect)]
    public Task Every_scheme_of_our_client_is_served_by_our_server(string scheme, bool byName, InboundProtocol heard) => Bounded.Run(async () =>
    {
        // SOCKS4 carries no password: with users required it would be refused, so the SOCKS4 rows go anonymous.
        bool credentials = !scheme.StartsWith("socks4", StringComparison.Ordinal);
        using var server = ServerFixture.Start(credentials);
        (IPEndPoint echo, IDisposable stopEcho) = Loop.StartEcho();
        using (stopEcho)
        {
            string user = credentials ? "socksuser:sockspass@" : "";
            var client = new Socks5Client(Socks5ClientOptions.FromUri(new Uri($"{scheme}://{user}{server.EndPoint}")));
            using Socks5Tunnel tunnel = byName ? await client.ConnectAsync("localhost", echo.Port) : await client.ConnectAsync(echo);
            await tunnel.Stream.WriteAsync("every protocol"u8.ToArray());
            tunnel.ShutdownWrite();
            Assert.Equal("every protocol", Encoding.ASCII.GetString(await Loop.ReadToEndAsync(tunnel.Stream)));
        }

        Socks5ConnectionReport report = await server.NextReportAsync();
        Assert.True(report.Succeeded, report.Error?.ToString());
        Assert.Equal(heard, report.Protocol);
        Assert.Equal(credentials ? "socksuser" : null, report.UserName);
        Assert.Equal(byName ? "localhost:" + echo.Port : echo.ToString(), report.Destination);
    });

    [Fact]
    public Task Connect_by_name_lets_the_server_resolve_localhost() => Bounded.Run(async () =>
    {
        using var server = ServerFixture.Start(credentials: false);
        (IPEndPoint echo, IDisposable stopEcho) = Loop.StartEcho();
        using (stopEcho)
        {
            using Socks5Tunnel tunnel = await server.Client(false).ConnectAsync("localhost", echo.Port);
            await tunnel.Stream.WriteAsync("x"u8.ToArray());
            Assert.Equal("x", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(tunnel.Stream, 1)));
        }

        Assert.Equal("localhost:" + echo.Port, (await server.NextReportAsync()).Destination);
    });

    [Fact]
    public Task Wrong_password_is_rejected_with_status_1() => Bounded.Run(async () =>
    {
        using var server = ServerFixture.Start(credentials: true);
        var client = new Socks5Client(new Socks5ClientOptions(server.EndPoint) { UserName = "socksuser", Password = "wrong" });

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => client.ConnectAsync(Loop.At(9)));
        Assert.Equal(HandshakeFailure.AuthenticationFailed, ex.Failure);
        Assert.Equal((byte)1, ex.UsernamePasswordStatus);
    });

    [Fact]
    public Task No_credentials_for_a_server_that_requires_them() => Bounded.Run(async () =>
    {
        using var server = ServerFixture.Start(credentials: true);

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => server.Client(false).ConnectAsync(Loop.At(9)));
        Assert.Equal(HandshakeFailure.NoAcceptableMethod, ex.Failure);
    });

    [Fact]
    public Task Connect_to_a_closed_port_is_refused_with_rep_5() => Bounded.Run(async () =>
    {
        using var server = ServerFixture.Start(credentials: false);
        IPEndPoint closed = Loop.ClosedPort();

        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => server.Client(false).ConnectAsync(closed));
        Assert.Equal(ReplyCode.ConnectionRefused, ex.ReplyCode);
        Assert.Equal($"The proxy {server.EndPoint} refused CONNECT to {closed}: connection refused (REP 0x05).", ex.Message);
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Bind_accepts_one_peer_and_carries_both_directions(bool credentials) => Bounded.Run(async () =>
    {
        using var server = ServerFixture.Start(credentials);
        using Socks5PendingBind bind = await server.Client(credentials).BindAsync();
        var listening = Assert.IsType<IPEndPoint>(bind.ListenAddress);
        Assert.True(IPAddress.IsLoopback(listening.Address));
        Assert.NotEqual(0, listening.Port);

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listening);
        using Socks5Tunnel tunnel = await bind.AcceptAsync();
        Assert.Equal(peer.LocalEndPoint, tunnel.BoundAddress);

        await peer.SendAsync("from peer"u8.ToArray(), SocketFlags.None);
        Assert.Equal("from peer", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(tunnel.Stream, 9)));
        await tunnel.Stream.WriteAsync("to peer"u8.ToArray());
        byte[] received = new byte[7];
        int n = 0;
        while (n < received.Length)
        {
            n += await peer.ReceiveAsync(received.AsMemory(n), SocketFlags.None);
        }

        Assert.Equal("to peer", Encoding.ASCII.GetString(received));
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Udp_association_relays_a_datagram_both_ways(bool credentials) => Bounded.Run(async () =>
    {
        using var server = ServerFixture.Start(credentials);
        using var echo = new UdpEcho();
        using Socks5UdpAssociation association = await server.Client(credentials).AssociateUdpAsync();
        Assert.True(IPAddress.IsLoopback(association.RelayEndPoint.Address));

        await association.SendToAsync("ping"u8.ToArray(), echo.EndPoint);
        byte[] buffer = new byte[100];
        Socks5UdpReceiveResult result = await association.ReceiveFromAsync(buffer);
        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, result.ReceivedBytes));
        Assert.Equal(echo.EndPoint, result.RemoteEndPoint);
    });

    [Fact]
    public Task Udp_association_ends_when_the_server_closes_the_control_connection() => Bounded.Run(async () =>
    {
        var server = ServerFixture.Start(credentials: false);
        Socks5UdpAssociation association = await server.Client(false).AssociateUdpAsync();
        Task<Socks5UdpReceiveResult> receiving = association.ReceiveFromAsync(new byte[10]).AsTask();
        server.Dispose();

        await association.Completion;
        await Assert.ThrowsAsync<Socks5Exception>(() => receiving);
        await Assert.ThrowsAsync<Socks5Exception>(() => association.SendToAsync(new byte[1], Loop.At(9)).AsTask());
        association.Dispose();
    });

    [Fact]
    public Task A_chain_of_two_servers_with_different_auth() => Bounded.Run(async () =>
    {
        using var first = ServerFixture.Start(credentials: false);
        using var second = ServerFixture.Start(credentials: true);
        (IPEndPoint echo, IDisposable stopEcho) = Loop.StartEcho();
        using (stopEcho)
        {
            var chained = new Socks5Client(new Socks5ClientOptions(second.EndPoint)
            {
                UserName = "socksuser",
                Password = "sockspass",
                Via = first.Client(false),
            });
            using Socks5Tunnel tunnel = await chained.ConnectAsync(echo);
            await tunnel.Stream.WriteAsync("chained"u8.ToArray());
            tunnel.ShutdownWrite();
            Assert.Equal("chained", Encoding.ASCII.GetString(await Loop.ReadToEndAsync(tunnel.Stream)));
        }

        // The first server carried a CONNECT to the second, the second one to the echo server.
        Assert.Equal(second.EndPoint.ToString(), (await first.NextReportAsync()).Destination);
        Socks5ConnectionReport last = await second.NextReportAsync();
        Assert.Equal("socksuser", last.UserName);
        Assert.Equal(echo.ToString(), last.Destination);
    });

    [Fact]
    public Task A_chain_by_hand_with_connect_over() => Bounded.Run(async () =>
    {
        using var first = ServerFixture.Start(credentials: true);
        using var second = ServerFixture.Start(credentials: false);
        (IPEndPoint echo, IDisposable stopEcho) = Loop.StartEcho();
        using (stopEcho)
        {
            Socks5Tunnel toSecond = await first.Client(true).ConnectAsync(second.EndPoint);
            using Socks5Tunnel tunnel = await second.Client(false).ConnectOverAsync(toSecond, echo);
            await tunnel.Stream.WriteAsync("by hand"u8.ToArray());
            Assert.Equal("by hand", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(tunnel.Stream, 7)));
        }
    });

    [Theory]
    [InlineData("gssapi", true)]
    [InlineData("gssapi", false)]
    [InlineData("private", true)]
    [InlineData("private", false)]
    public Task Extra_methods_through_the_authenticator_factory(string method, bool accepted) => Bounded.Run(async () =>
    {
        bool gssapi = method == "gssapi";
        var options = new Socks5ServerOptions
        {
            AuthenticatorFactory = m => gssapi
                ? new GssapiServerAuthenticator(new FakeGssapiContext(isServer: true, failOnServer: !accepted))
                : new PrivateKeyServerAuthenticator(0x42),
        };
        options.ExtraMethods.Add(gssapi ? AuthenticationMethod.Gssapi : PrivateKeyServerAuthenticator.PrivateMethod);
        options.ListenEndPoints.Add(Loop.At(0));
        using var server = new Socks5Server(options);
        server.Start();
        (IPEndPoint echo, IDisposable stopEcho) = Loop.StartEcho();
        using (stopEcho)
        {
            var client = new Socks5Client(new Socks5ClientOptions(server.LocalEndPoints[0])
            {
                OfferNoAuthentication = false,
                AuthenticatorFactory = () => gssapi
                    ? [new GssapiClientAuthenticator(new FakeGssapiContext(isServer: false))]
                    : [new PrivateKeyClientAuthenticator(accepted ? (byte)0x42 : (byte)0x41)],
            });
            if (!accepted)
            {
                var ex = await Assert.ThrowsAsync<Socks5Exception>(() => client.ConnectAsync(echo));
                Assert.Equal(HandshakeFailure.AuthenticationFailed, ex.Failure);
                Assert.Contains($"failed the authentication (method 0x{(gssapi ? 1 : 0x80):X2})", ex.Message);
                return;
            }

            using Socks5Tunnel tunnel = await client.ConnectAsync(echo);
            await tunnel.Stream.WriteAsync("m"u8.ToArray());
            Assert.Equal("m", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(tunnel.Stream, 1)));
        }
    });

    [Fact]
    public Task Ipv6_proxy_connect_across_families_and_udp() => Bounded.Run(async () =>
    {
        var options = new Socks5ServerOptions();
        options.ListenEndPoints.Add(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        using var server = new Socks5Server(options);
        server.Start();
        var client = new Socks5Client(server.LocalEndPoints[0]);
        (IPEndPoint echo, IDisposable stopEcho) = Loop.StartEcho();
        using (stopEcho)
        {
            using Socks5Tunnel tunnel = await client.ConnectAsync(echo);
            await tunnel.Stream.WriteAsync("v6"u8.ToArray());
            Assert.Equal("v6", Encoding.ASCII.GetString(await Loop.ReadExactlyAsync(tunnel.Stream, 2)));
        }

        using var udpEcho = new UdpEcho();
        using Socks5UdpAssociation association = await client.AssociateUdpAsync();
        Assert.Equal(IPAddress.IPv6Loopback, association.LocalEndPoint.Address);
        await association.SendToAsync("six"u8.ToArray(), udpEcho.EndPoint);
        byte[] buffer = new byte[8];
        Socks5UdpReceiveResult result = await association.ReceiveFromAsync(buffer);
        Assert.Equal("six", Encoding.ASCII.GetString(buffer, 0, result.ReceivedBytes));
        Assert.Equal(udpEcho.EndPoint, result.RemoteEndPoint);
    });
}

/// <summary>A <see cref="Socks5Server"/> on 127.0.0.1 with a free port, optionally requiring socksuser/sockspass.</summary>
internal sealed class ServerFixture : IDisposable
{
    private readonly Socks5Server _server;
    private readonly BlockingCollection<Socks5ConnectionReport> _reports = new();

    private ServerFixture(bool credentials)
    {
        var options = new Socks5ServerOptions { ConnectionClosed = _reports.Add };
        options.ListenEndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        if (credentials)
        {
            options.Users["socksuser"] = "sockspass";
        }

        _server = new Socks5Server(options);
        _server.Start();
    }

    public IPEndPoint EndPoint => _server.LocalEndPoints[0];

    public static ServerFixture Start(bool credentials) => new(credentials);

    public Socks5Client Client(bool credentials) => new(new Socks5ClientOptions(EndPoint)
    {
        UserName = credentials ? "socksuser" : null,
        Password = credentials ? "sockspass" : null,
    });

    public Task<Socks5ConnectionReport> NextReportAsync() => Task.Run(() => _reports.Take()).WaitAsync(TimeSpan.FromSeconds(10));

    public void Dispose() => _server.Dispose();
}

/// <summary>A UDP echo server on 127.0.0.1.</summary>
internal sealed class UdpEcho : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public UdpEcho()
    {
        _socket.Bind(Loop.At(0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _ = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, Loop.At(0));
                    await _socket.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        });
    }

    public IPEndPoint EndPoint { get; }

    public void Dispose() => _socket.Dispose();
}
