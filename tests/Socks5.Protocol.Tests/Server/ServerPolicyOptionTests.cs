using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;
using static Socks5.Protocol.Tests.Server.ServerDefectTests;

namespace Socks5.Protocol.Tests.Server;

/// <summary>
/// The options that loosen the server's fixed rules (<see cref="Socks5ServerOptions.AllowSelfConnect"/>,
/// <see cref="Socks5ServerOptions.LearnUdpClientAddress"/>) and <see cref="Socks5AccessRequest.IsLocalDestination"/>.
/// </summary>
public class ServerPolicyOptionTests
{
    private static readonly LoopbackTargets Targets = LoopbackTargets.Shared;

    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("self.test")]
    public async Task AllowSelfConnect_lets_a_connect_to_the_servers_own_port_be_dialed(string host)
    {
        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.AllowSelfConnect = true;
            o.Dialer = dialer.DialAsync;
            o.Resolver = (_, _) => ValueTask.FromResult(new[] { IPAddress.Loopback });
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, Destination(host, server.EndPoint4.Port), Timeout());
        Assert.Equal(ReplyCode.ConnectionRefused, reply.ReplyCode); // what the recorder answers
        Assert.Equal(new[] { server.EndPoint4 }, dialer.Dialed);
    }

    [Fact]
    public async Task AllowSelfConnect_does_not_allow_an_unspecified_address()
    {
        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.AllowSelfConnect = true;
            o.Dialer = dialer.DialAsync;
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, new IPEndPoint(IPAddress.Any, server.EndPoint4.Port), Timeout());
        Assert.Equal(ReplyCode.ConnectionNotAllowed, reply.ReplyCode);
        Assert.Empty(dialer.Dialed);
    }

    [Fact]
    public async Task AllowSelfConnect_lets_a_udp_datagram_reach_the_servers_own_port()
    {
        int ownPort = Loopback.GetFreePort(udpToo: true);
        using var server = new TestServer(o =>
        {
            o.AllowSelfConnect = true;
            o.ListenEndPoints.Clear();
            o.ListenEndPoints.Add(new IPEndPoint(IPAddress.Loopback, ownPort));
        });
        using var own = BoundUdp(IPAddress.Loopback, ownPort);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        IPEndPoint relay = (await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout())).Usable(server.EndPoint4);
        using var udp = BoundUdp(IPAddress.Loopback);
        await udp.SendToAsync(UdpDatagram(new IPEndPoint(IPAddress.Loopback, ownPort), "own"u8.ToArray()), relay);
        Assert.Equal("own"u8.ToArray(), await ReceiveAsync(own, Timeout()));
    }

    [Fact]
    public async Task By_default_an_association_that_names_no_address_belongs_to_the_clients_tcp_address()
    {
        using var server = new TestServer();
        Assert.False(server.Options.LearnUdpClientAddress);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout()); // from 127.0.0.1
        IPEndPoint relay = (await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout())).Usable(server.EndPoint4);

        using var elsewhere = BoundUdp(IPAddress.Parse("127.0.0.2"));
        await elsewhere.SendToAsync(UdpDatagram(Targets.UdpEcho4, "first"u8.ToArray()), relay);
        Assert.Null(await ServerTests.ReceiveOrNullAsync(elsewhere, TimeSpan.FromMilliseconds(500)));

        using var udp = BoundUdp(IPAddress.Loopback);
        Socks5Udp.Datagram answer = await Socks5Udp.RoundTripAsync(udp, relay, Targets.UdpEcho4, "second"u8.ToArray(), Timeout());
        Assert.Equal("echo:second"u8.ToArray(), answer.Data);
    }

    [Fact]
    public async Task LearnUdpClientAddress_gives_an_association_that_names_no_address_to_the_first_sender()
    {
        using var server = new TestServer(o => o.LearnUdpClientAddress = true);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout()); // from 127.0.0.1
        IPEndPoint relay = (await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout())).Usable(server.EndPoint4);

        using var first = BoundUdp(IPAddress.Parse("127.0.0.2"));
        Socks5Udp.Datagram answer = await Socks5Udp.RoundTripAsync(first, relay, Targets.UdpEcho4, "first"u8.ToArray(), Timeout());
        Assert.Equal("echo:first"u8.ToArray(), answer.Data);

        // The association is now 127.0.0.2's: even the TCP client's own address is foreign to it.
        using var tcpAddress = BoundUdp(IPAddress.Loopback);
        await tcpAddress.SendToAsync(UdpDatagram(Targets.UdpEcho4, "second"u8.ToArray()), relay);
        Assert.Null(await ServerTests.ReceiveOrNullAsync(tcpAddress, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public void IsLocalDestination_covers_loopback_mapped_and_interface_addresses_but_not_unspecified_or_others()
    {
        static bool IsLocal(IPAddress address) =>
            new Socks5AccessRequest { Command = Command.Connect, RequestedHost = address.ToString(), Destination = new IPEndPoint(address, 80) }.IsLocalDestination;

        Assert.True(IsLocal(IPAddress.Loopback));
        Assert.True(IsLocal(IPAddress.Parse("127.1.2.3")));
        Assert.True(IsLocal(IPAddress.IPv6Loopback));
        Assert.True(IsLocal(IPAddress.Parse("::ffff:127.0.0.1")));
        foreach (IPAddress address in InterfaceAddresses())
        {
            Assert.True(IsLocal(address), address.ToString());
        }

        Assert.False(IsLocal(IPAddress.Any));
        Assert.False(IsLocal(IPAddress.IPv6Any));
        Assert.False(IsLocal(IPAddress.Parse("198.51.100.1"))); // TEST-NET-2: documentation only
        Assert.False(IsLocal(IPAddress.Parse("2001:db8::1")));
    }

    [Fact]
    public async Task Readme_server_example_rule_allows_its_one_destination_in_any_spelling_and_nothing_else()
    {
        const string Rule = "request.Destination.Equals(new IPEndPoint(IPAddress.Loopback, 8000))";
        string readme = File.ReadAllText(Path.Combine(Repository.RequiredRoot, "README.md"));
        Assert.Contains("AccessRule = (request, ct) => new ValueTask<bool>(" + Rule + "),", readme);

        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.AccessRule = (request, ct) => new ValueTask<bool>(request.Destination.Equals(new IPEndPoint(IPAddress.Loopback, 8000))); // the README's rule
            o.Dialer = dialer.DialAsync;
            o.Resolver = (name, _) => ValueTask.FromResult(name == "web.test"
                ? new[] { IPAddress.Parse("::ffff:127.0.0.1") }
                : new[] { IPAddress.Any, IPAddress.Parse("127.0.0.2"), IPAddress.Parse("198.51.100.1") });
        });
        var refused = new List<EndPoint>
        {
            new IPEndPoint(IPAddress.Loopback, 22),
            new IPEndPoint(IPAddress.Parse("127.0.0.2"), 8000),
            new IPEndPoint(IPAddress.IPv6Loopback, 8000),
            new IPEndPoint(IPAddress.Any, 8000),
            new IPEndPoint(IPAddress.IPv6Any, 8000),
            new IPEndPoint(IPAddress.Parse("198.51.100.1"), 8000), // TEST-NET-2: only recorded, never dialed
            new DnsEndPoint("elsewhere.test", 8000),
        };
        refused.AddRange(InterfaceAddresses().Select(a => new IPEndPoint(a, 8000)));
        foreach (EndPoint destination in refused)
        {
            using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
            ReplyInfo reply = await client.RequestAsync(Command.Connect, destination, Timeout());
            Assert.True(reply.ReplyCode == ReplyCode.ConnectionNotAllowed, $"{destination}: {reply}");
        }

        Assert.Empty(dialer.Dialed);

        // The one destination, as a literal, in its IPv4-mapped form and behind a name, is dialed as 127.0.0.1:8000.
        foreach (EndPoint allowed in new EndPoint[] { new IPEndPoint(IPAddress.Loopback, 8000), new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 8000), new DnsEndPoint("web.test", 8000) })
        {
            using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
            await client.RequestAsync(Command.Connect, allowed, Timeout());
        }

        Assert.Equal(Enumerable.Repeat(new IPEndPoint(IPAddress.Loopback, 8000), 3), dialer.Dialed);
    }

    // The machine's own addresses, other than loopback (none in a container with only lo).
    private static IEnumerable<IPAddress> InterfaceAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .Where(a => !IPAddress.IsLoopback(a) && (a.AddressFamily == AddressFamily.InterNetwork || a.ScopeId == 0));
}
