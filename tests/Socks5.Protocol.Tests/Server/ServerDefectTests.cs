using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Server;

/// <summary>
/// Where the server may dial, accept from and send to: never an unspecified address, never its own listeners, a BIND peer
/// only from the address the client named, and the UDP relay's idle clock and byte counts. Addresses other than loopback
/// only ever reach the injected <see cref="DialRecorder"/>, which records and never dials.
/// </summary>
public class ServerDefectTests
{
    private static readonly LoopbackTargets Targets = LoopbackTargets.Shared;

    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    // host: an IP literal or a name the test resolver knows; listener: whose port (the IPv4 or the IPv6 listener's).
    public static TheoryData<string, bool> OwnListenerForms => new()
    {
        { "127.0.0.1", false },
        { "::ffff:127.0.0.1", false },
        { "0.0.0.0", false },
        { "127.0.0.2", false },
        { "::1", true },
        { "::", true },
        { "self.test", false },
        { "self6.test", true },
    };

    [Theory]
    [MemberData(nameof(OwnListenerForms))]
    public async Task Connect_to_the_servers_own_listener_gets_reply_2_and_is_never_dialed(string host, bool ipv6Listener)
    {
        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.Dialer = dialer.DialAsync;
            o.Resolver = SelfResolver;
        });
        int port = (ipv6Listener ? server.EndPoint6 : server.EndPoint4).Port;
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, Destination(host, port), Timeout());
        Assert.Equal(ReplyCode.ConnectionNotAllowed, reply.ReplyCode);
        Assert.Empty(dialer.Dialed);
    }

    [Fact]
    public async Task Connect_to_the_local_end_point_a_host_passed_gets_reply_2_and_other_ports_are_dialed()
    {
        var dialer = new DialRecorder();
        using var server = new Socks5Server(new Socks5ServerOptions { Dialer = dialer.DialAsync }); // never started
        var local = new IPEndPoint(IPAddress.Loopback, 40123);

        Assert.Equal(ReplyCode.ConnectionNotAllowed, await ConnectOverPipesAsync(server, local, new IPEndPoint(IPAddress.Loopback, 40123)));
        Assert.Equal(ReplyCode.ConnectionNotAllowed, await ConnectOverPipesAsync(server, local, new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 40123)));
        Assert.Empty(dialer.Dialed);

        Assert.Equal(ReplyCode.ConnectionRefused, await ConnectOverPipesAsync(server, local, new IPEndPoint(IPAddress.Loopback, 40124)));
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Loopback, 40124) }, dialer.Dialed);
    }

    public static TheoryData<string> UnspecifiedForms => new() { "0.0.0.0", "::", "::ffff:0.0.0.0", "any4.test", "any6.test" };

    [Theory]
    [MemberData(nameof(UnspecifiedForms))]
    public async Task Connect_to_an_unspecified_address_gets_reply_2_and_neither_the_rule_nor_the_dialer_sees_it(string host)
    {
        var dialer = new DialRecorder();
        var seen = new ConcurrentQueue<Socks5AccessRequest>();
        using var server = new TestServer(o =>
        {
            o.Dialer = dialer.DialAsync;
            o.Resolver = SelfResolver;
            o.AccessRule = (request, _) =>
            {
                seen.Enqueue(request);
                return ValueTask.FromResult(true);
            };
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, Destination(host, 8000), Timeout());
        Assert.Equal(ReplyCode.ConnectionNotAllowed, reply.ReplyCode);
        Assert.Empty(dialer.Dialed);
        Assert.Empty(seen);
    }

    [Fact]
    public async Task Connect_to_a_name_with_an_unspecified_address_dials_only_its_other_address()
    {
        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.Dialer = dialer.DialAsync;
            o.Resolver = (_, _) => ValueTask.FromResult(new[] { IPAddress.Any, IPAddress.IPv6Any, IPAddress.Loopback });
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, new DnsEndPoint("mixed.test", 8000), Timeout());
        Assert.Equal(ReplyCode.ConnectionRefused, reply.ReplyCode); // the recorder refuses what it is asked to dial
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Loopback, 8000) }, dialer.Dialed);
    }

    [Fact]
    public async Task Access_rule_and_dialer_see_an_ipv4_mapped_destination_as_ipv4()
    {
        var dialer = new DialRecorder();
        var seen = new ConcurrentQueue<IPEndPoint>();
        using var server = new TestServer(o =>
        {
            o.Dialer = dialer.DialAsync;
            o.AccessRule = (request, _) =>
            {
                seen.Enqueue(request.Destination);
                return ValueTask.FromResult(true);
            };
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        await client.RequestAsync(Command.Connect, new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 8000), Timeout());
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Loopback, 8000) }, seen);
        Assert.Equal(new[] { new IPEndPoint(IPAddress.Loopback, 8000) }, dialer.Dialed);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::ffff:0.0.0.0")]
    public async Task Udp_datagram_to_an_unspecified_address_is_dropped_and_not_counted(string unspecified)
    {
        using var server = new TestServer();
        using var target = BoundUdp(IPAddress.Loopback);
        int port = ((IPEndPoint)target.LocalEndPoint!).Port;
        RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        IPEndPoint relay = (await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout())).Usable(server.EndPoint4);
        using var udp = BoundUdp(IPAddress.Loopback);

        // The relay handles its client's datagrams in order: once the second has arrived, the first was dealt with.
        await udp.SendToAsync(UdpDatagram(new IPEndPoint(IPAddress.Parse(unspecified), port), "unspecified"u8.ToArray()), relay);
        await udp.SendToAsync(UdpDatagram(new IPEndPoint(IPAddress.Loopback, port), "loopback"u8.ToArray()), relay);
        Assert.Equal("loopback"u8.ToArray(), await ReceiveAsync(target, Timeout()));

        client.Dispose();
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal("loopback".Length, report.BytesFromClient);
    }

    [Fact]
    public async Task Udp_datagram_to_the_servers_own_port_is_dropped()
    {
        int ownPort = Loopback.GetFreePort(udpToo: true);
        using var server = new TestServer(o =>
        {
            o.ListenEndPoints.Clear();
            o.ListenEndPoints.Add(new IPEndPoint(IPAddress.Loopback, ownPort));
        });
        // UDP and TCP ports are apart: a UDP socket on the listener's port number stands for "the server's own end point".
        using var own = BoundUdp(IPAddress.Loopback, ownPort);
        using var other = BoundUdp(IPAddress.Loopback);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        IPEndPoint relay = (await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout())).Usable(server.EndPoint4);
        using var udp = BoundUdp(IPAddress.Loopback);

        await udp.SendToAsync(UdpDatagram(new IPEndPoint(IPAddress.Loopback, ownPort), "own"u8.ToArray()), relay);
        await udp.SendToAsync(UdpDatagram((IPEndPoint)other.LocalEndPoint!, "other"u8.ToArray()), relay);
        Assert.Equal("other"u8.ToArray(), await ReceiveAsync(other, Timeout()));
        // A loopback send is queued at the receiver before sendto returns: had the first been sent, it would be there.
        Assert.Equal(0, own.Available);
    }

    public static TheoryData<string> NamedPeers => new() { "127.0.0.2", "::ffff:127.0.0.2", "peer.test" };

    [Theory]
    [MemberData(nameof(NamedPeers))]
    public async Task Bind_accepts_only_a_peer_from_the_address_the_client_named_and_keeps_waiting_for_it(string peerHost)
    {
        using var server = new TestServer(o => o.Resolver = (host, _) =>
            ValueTask.FromResult(host == "peer.test" ? new[] { IPAddress.Parse("127.0.0.2") } : Array.Empty<IPAddress>()));
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo first = await client.RequestAsync(Command.Bind, Destination(peerHost, 0), Timeout());
        Assert.Equal(ReplyCode.Succeeded, first.ReplyCode);
        IPEndPoint listening = first.Usable(server.EndPoint4);

        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); // from 127.0.0.1
        await stranger.ConnectAsync(listening, Timeout());
        Assert.True(await IsClosedAsync(stranger, Timeout(10)), "a peer from another address must be closed");

        using var expected = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        expected.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await expected.ConnectAsync(listening, Timeout());
        ReplyInfo second = await client.ReadReplyAsync(Timeout());
        Assert.Equal(ReplyCode.Succeeded, second.ReplyCode);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), second.Address);
        Assert.Equal(((IPEndPoint)expected.LocalEndPoint!).Port, second.Port);

        await expected.SendAsync("from the named peer"u8.ToArray(), SocketFlags.None);
        Assert.Equal("from the named peer"u8.ToArray(), await client.ReadExactlyAsync(19, Timeout()));
    }

    // A peer's source port is the kernel's choice and may equal a port the server listens on (on another address): once
    // in CI, the named peer was taken for the server itself, closed, and the client waited for ever. A BIND peer connects
    // to the server; it cannot be the server dialing itself, so the self-connect check has no business judging it.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bind_takes_a_named_peer_whose_source_port_equals_a_servers_listening_port(bool ipv6Listener)
    {
        using var server = new TestServer();
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo first = await client.RequestAsync(Command.Bind, Destination("127.0.0.2", 0), Timeout());
        Assert.Equal(ReplyCode.Succeeded, first.ReplyCode);

        int ownPort = (ipv6Listener ? server.EndPoint6 : server.EndPoint4).Port;
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        peer.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), ownPort)); // another address: no clash with the listener
        await peer.ConnectAsync(first.Usable(server.EndPoint4), Timeout());
        ReplyInfo second = await client.ReadReplyAsync(Timeout(10));
        Assert.Equal(ReplyCode.Succeeded, second.ReplyCode);
        Assert.Equal(ownPort, second.Port);
    }

    [Fact]
    public async Task Bind_runs_the_access_rule_on_the_peer_that_connected()
    {
        var refused = IPAddress.Parse("127.0.0.3");
        var seen = new ConcurrentQueue<Socks5AccessRequest>();
        using var server = new TestServer(o => o.AccessRule = (request, _) =>
        {
            seen.Enqueue(request);
            return ValueTask.FromResult(!request.Destination.Address.Equals(refused));
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo first = await client.RequestAsync(Command.Bind, new IPEndPoint(IPAddress.Any, 0), Timeout());
        Assert.Equal(ReplyCode.Succeeded, first.ReplyCode);
        IPEndPoint listening = first.Usable(server.EndPoint4);

        using var refusedPeer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusedPeer.Bind(new IPEndPoint(refused, 0));
        await refusedPeer.ConnectAsync(listening, Timeout());
        Assert.True(await IsClosedAsync(refusedPeer, Timeout(10)), "a peer the rule refuses must be closed");

        using var allowedPeer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await allowedPeer.ConnectAsync(listening, Timeout());
        ReplyInfo second = await client.ReadReplyAsync(Timeout());
        Assert.Equal(ReplyCode.Succeeded, second.ReplyCode);
        Assert.Equal(IPAddress.Loopback, second.Address);
        Assert.Equal(((IPEndPoint)allowedPeer.LocalEndPoint!).Port, second.Port);

        Assert.All(seen, r => Assert.Equal(Command.Bind, r.Command));
        Assert.Contains(seen, r => r.Destination.Equals(refusedPeer.LocalEndPoint));
        Assert.Contains(seen, r => r.Destination.Equals(allowedPeer.LocalEndPoint));
    }

    [Fact]
    public async Task Udp_datagrams_from_a_foreign_port_do_not_keep_an_association_alive()
    {
        using var server = new TestServer(o => o.UdpIdleTimeout = TimeSpan.FromSeconds(1));
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        IPEndPoint relay = (await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout())).Usable(server.EndPoint4);
        using var udp = BoundUdp(IPAddress.Loopback);
        Socks5Udp.Datagram answer = await Socks5Udp.RoundTripAsync(udp, relay, Targets.UdpEcho4, "first"u8.ToArray(), Timeout());
        Assert.Equal("echo:first"u8.ToArray(), answer.Data); // the association now belongs to udp's port

        using var foreign = BoundUdp(IPAddress.Loopback);
        using var stopJunk = new CancellationTokenSource();
        Task junk = Task.Run(async () =>
        {
            while (!stopJunk.IsCancellationRequested)
            {
                await foreign.SendToAsync(UdpDatagram(Targets.UdpEcho4, "junk"u8.ToArray()), relay);
                await Task.Delay(100);
            }
        });
        try
        {
            // The association ends on its idle timeout, junk or not, and its TCP connection with it.
            await client.AssertClosedWithoutReplyAsync(Timeout(10));
        }
        finally
        {
            stopJunk.Cancel();
            await junk;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Udp_bytes_are_counted_only_when_the_relay_could_send_them(bool clientOverIpv6)
    {
        // Over loopback, IPv6 carries up to 65,527 bytes of UDP payload and IPv4 65,507: a datagram that fits one family
        // cannot always be passed on in the other, with or without the SOCKS header.
        using var server = new TestServer();
        IPEndPoint proxy = clientOverIpv6 ? server.EndPoint6 : server.EndPoint4;
        RawSocks5Client client = await RawSocks5Client.OpenAsync(proxy, Timeout());
        IPEndPoint relay = (await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.IPv6Any, 0), Timeout())).Usable(proxy);
        using var udp = BoundUdp(proxy.Address);
        using var destination = BoundUdp(clientOverIpv6 ? IPAddress.Loopback : IPAddress.IPv6Loopback);
        var destinationEndPoint = (IPEndPoint)destination.LocalEndPoint!;

        if (clientOverIpv6)
        {
            await udp.SendToAsync(UdpDatagram(destinationEndPoint, new byte[65_510]), relay); // fits IPv6, not IPv4
        }

        await udp.SendToAsync(UdpDatagram(destinationEndPoint, "hello"u8.ToArray()), relay);
        var buffer = new byte[65_536];
        SocketReceiveFromResult received = await destination.ReceiveFromAsync(buffer, AnyOf(destination), Timeout());
        Assert.Equal("hello"u8.ToArray(), buffer[..received.ReceivedBytes]);

        if (!clientOverIpv6)
        {
            await destination.SendToAsync(new byte[65_512], received.RemoteEndPoint); // with its header, too big for IPv4
        }

        await destination.SendToAsync("small"u8.ToArray(), received.RemoteEndPoint);
        SocketReceiveFromResult back = await udp.ReceiveFromAsync(buffer, AnyOf(udp), Timeout());
        Assert.EndsWith("small", System.Text.Encoding.ASCII.GetString(buffer, 0, back.ReceivedBytes));

        client.Dispose();
        Socks5ConnectionReport report = (await server.WaitForReportsAsync(1)).Single();
        Assert.Equal(5, report.BytesFromClient);
        Assert.Equal(5, report.BytesToClient);
    }

    private static ValueTask<IPAddress[]> SelfResolver(string host, CancellationToken _) => ValueTask.FromResult(host switch
    {
        "self.test" => new[] { IPAddress.Loopback },
        "self6.test" => new[] { IPAddress.Parse("::ffff:127.0.0.1"), IPAddress.IPv6Loopback },
        "any4.test" => new[] { IPAddress.Any },
        "any6.test" => new[] { IPAddress.IPv6Any, IPAddress.Parse("::ffff:0.0.0.0") },
        _ => Array.Empty<IPAddress>(),
    });

    internal static EndPoint Destination(string host, int port) =>
        IPAddress.TryParse(host, out IPAddress? address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);

    internal static Socket BoundUdp(IPAddress address, int port = 0)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, port));
        return socket;
    }

    private static IPEndPoint AnyOf(Socket socket) =>
        new(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);

    internal static byte[] UdpDatagram(IPEndPoint target, byte[] payload) => ServerTests.UdpDatagram(0, target, payload);

    internal static async Task<byte[]> ReceiveAsync(Socket udp, CancellationToken ct)
    {
        var buffer = new byte[65_536];
        int read = await udp.ReceiveAsync(buffer, SocketFlags.None, ct);
        return buffer[..read];
    }

    /// <summary>True when the other side closed (EOF or reset); false when data came instead.</summary>
    internal static async Task<bool> IsClosedAsync(Socket socket, CancellationToken ct)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[1], SocketFlags.None, ct) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    /// <summary>A CONNECT over in-memory pipes through <see cref="Socks5Server.HandleConnectionAsync"/>; returns its REP.</summary>
    internal static async Task<ReplyCode> ConnectOverPipesAsync(Socks5Server server, IPEndPoint local, IPEndPoint destination)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        Task serving = server.HandleConnectionAsync(new DuplexPipe(toServer.Reader, toClient.Writer), new IPEndPoint(IPAddress.Loopback, 50000), local, Timeout());
        byte[] request = RawSocks5Client.Encode(destination, (e, span) => Socks5Request.TryWrite(Command.Connect, e, span, out int n) ? n : 0);
        await toServer.Writer.WriteAsync(new byte[] { 5, 1, 0 }.Concat(request).ToArray());
        await serving.WaitAsync(Timeout());
        ReadResult answer = await toClient.Reader.ReadAsync();
        byte[] bytes = System.Buffers.BuffersExtensions.ToArray(answer.Buffer);
        Assert.Equal(new byte[] { 5, 0 }, bytes[..2]);
        Assert.Equal(System.Buffers.OperationStatus.Done, Socks5Reply.TryParse(bytes.AsSpan(2), out Socks5Reply reply, out _, out _));
        return reply.ReplyCode;
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}

/// <summary>An injected dialer that records each address it is asked for and refuses it: nothing is ever dialed.</summary>
public sealed class DialRecorder
{
    private readonly ConcurrentQueue<IPEndPoint> _dialed = new();

    public IPEndPoint[] Dialed => _dialed.ToArray();

    public ValueTask<Socket> DialAsync(IPEndPoint destination, CancellationToken cancellationToken)
    {
        _dialed.Enqueue(destination);
        throw new SocketException((int)SocketError.ConnectionRefused);
    }
}
