using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Server;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;
using static Socks5.Protocol.Tests.Server.ServerDefectTests;

namespace Socks5.Protocol.Tests.Server;

/// <summary>
/// <see cref="Socks5ServerOptions.Egress"/>. Addresses other than loopback are only ever handed to a recording dialer
/// and a fake resolver: nothing here sends a packet beyond loopback.
/// </summary>
public class EgressPolicyTests
{
    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static EgressRules Preset()
    {
        var policy = new Socks5EgressPolicy { DenyPrivate = true };
        return EgressRules.Parse(policy)!;
    }

    [Theory]
    [InlineData("0.0.0.0", false)]
    [InlineData("0.1.2.3", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.255.255.254", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("100.128.0.1", true)]
    [InlineData("169.254.169.254", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("198.51.100.7", true)]
    [InlineData("::", false)]
    [InlineData("::1", false)]
    [InlineData("fc00::1", false)]
    [InlineData("fd12:3456::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("2001:db8::1", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("::ffff:127.0.0.1", false)] // IPv4-mapped
    [InlineData("::ffff:169.254.169.254", false)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("::127.0.0.1", false)] // IPv4-compatible
    [InlineData("::10.0.0.1", false)]
    [InlineData("::a9fe:a9fe", false)] // ::169.254.169.254
    public void The_private_preset_judges_the_table(string address, bool allowed)
    {
        IPAddress ip = IPAddress.Parse(address);
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4(); // the server unmaps before it checks
        }
        Assert.Equal(allowed, Preset().IsAllowed(ip));
    }

    [Theory]
    [InlineData("198.51.100.7", true)]
    [InlineData("198.51.100.200", false)] // in both lists: deny wins
    [InlineData("203.0.113.1", false)] // not in the allow list
    [InlineData("2001:db8::5", true)]
    [InlineData("2001:db9::5", false)]
    [InlineData("::c633:6407", true)] // ::198.51.100.7, IPv4-compatible
    public void Allow_list_admits_only_its_ranges_and_deny_wins(string address, bool allowed)
    {
        var policy = new Socks5EgressPolicy();
        policy.Allow.Add("198.51.100.0/24");
        policy.Allow.Add("2001:db8::/32");
        policy.Deny.Add("198.51.100.128/25");
        Assert.Equal(allowed, EgressRules.Parse(policy)!.IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public void An_empty_policy_refuses_nothing() => Assert.Null(EgressRules.Parse(new Socks5EgressPolicy()));

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/")]
    [InlineData("example.com/8")]
    [InlineData("::/129")]
    [InlineData("10.0.0.0/-1")]
    public void A_bad_range_makes_the_server_constructor_throw_naming_it(string range)
    {
        var options = new Socks5ServerOptions();
        options.Egress.Deny.Add(range);
        var ex = Assert.Throws<ArgumentException>(() => new Socks5Server(options));
        Assert.Contains(range, ex.Message);
    }

    [Fact]
    public void A_check_does_not_allocate()
    {
        EgressRules rules = Preset();
        IPAddress v4 = IPAddress.Parse("198.51.100.7");
        IPAddress v6 = IPAddress.Parse("2001:db8::1");
        rules.IsAllowed(v4);
        rules.IsAllowed(v6);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            rules.IsAllowed(v4);
            rules.IsAllowed(v6);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("fd00::1")]
    [InlineData("private.test")]
    public async Task Connect_to_a_denied_address_or_name_gets_rep_2_and_dials_nothing(string host)
    {
        var dialer = new DialRecorder();
        using var server = new TestServer(o =>
        {
            o.Egress.DenyPrivate = true;
            o.Dialer = dialer.DialAsync;
            o.Resolver = (_, _) => ValueTask.FromResult(new[] { IPAddress.Parse("10.9.9.9"), IPAddress.Parse("fd00::9") });
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, Destination(host, 443), Timeout());
        Assert.Equal(ReplyCode.ConnectionNotAllowed, reply.ReplyCode);
        Assert.Empty(dialer.Dialed);
    }

    [Fact]
    public async Task A_name_with_mixed_addresses_dials_only_the_allowed_ones()
    {
        var dialer = new DialRecorder();
        var ruled = new List<IPEndPoint>();
        using var server = new TestServer(o =>
        {
            o.Egress.DenyPrivate = true;
            o.Egress.Deny.Add("203.0.113.0/24");
            o.Dialer = dialer.DialAsync;
            o.Resolver = (_, _) => ValueTask.FromResult(new[]
            {
                IPAddress.Parse("127.0.0.1"), IPAddress.Parse("198.51.100.7"), IPAddress.Parse("::ffff:169.254.169.254"),
                IPAddress.Parse("2001:db8::7"), IPAddress.Parse("203.0.113.9"), IPAddress.Parse("0.0.0.0"),
            });
            o.AccessRule = (request, _) =>
            {
                lock (ruled)
                {
                    ruled.Add(request.Destination);
                }
                return ValueTask.FromResult(true);
            };
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, Destination("mixed.test", 443), Timeout());
        Assert.Equal(ReplyCode.ConnectionRefused, reply.ReplyCode); // what the recorder answers
        var expected = new[] { new IPEndPoint(IPAddress.Parse("198.51.100.7"), 443), new IPEndPoint(IPAddress.Parse("2001:db8::7"), 443) };
        Assert.Equal(expected, dialer.Dialed);
        Assert.Equal(expected, ruled); // the policy runs before the access rule
    }

    [Fact]
    public async Task A_udp_datagram_to_a_name_goes_to_its_first_allowed_address()
    {
        using var target = BoundUdp(IPAddress.Loopback);
        int port = ((IPEndPoint)target.LocalEndPoint!).Port;
        using var server = new TestServer(o =>
        {
            o.Egress.Deny.Add("10.0.0.0/8");
            o.Resolver = (_, _) => ValueTask.FromResult(new[] { IPAddress.Parse("10.0.0.1"), IPAddress.Loopback });
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        IPEndPoint relay = (await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout())).Usable(server.EndPoint4);
        using var udp = BoundUdp(IPAddress.Loopback);
        byte[] header = RawSocks5Client.Encode(new DnsEndPoint("mixed.test", port), (e, span) => Socks5UdpHeader.TryWrite(0, e, span, out int n) ? n : 0);
        byte[] datagram = [.. header, .. "hi"u8.ToArray()];
        await udp.SendToAsync(datagram, relay);
        Assert.Equal("hi"u8.ToArray(), await ReceiveAsync(target, Timeout()));
    }

    [Fact]
    public async Task A_udp_datagram_to_a_denied_address_is_dropped()
    {
        using var denied = BoundUdp(IPAddress.Loopback);
        using var allowed = BoundUdp(IPAddress.Parse("127.0.0.3"));
        using var server = new TestServer(o => o.Egress.Deny.Add("127.0.0.1"));
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        IPEndPoint relay = (await client.RequestAsync(Command.UdpAssociate, new IPEndPoint(IPAddress.Any, 0), Timeout())).Usable(server.EndPoint4);
        using var udp = BoundUdp(IPAddress.Loopback);
        await udp.SendToAsync(UdpDatagram((IPEndPoint)denied.LocalEndPoint!, "no"u8.ToArray()), relay);
        await udp.SendToAsync(UdpDatagram((IPEndPoint)allowed.LocalEndPoint!, "ok"u8.ToArray()), relay);
        // The relay handles a client's datagrams in order: once the second arrived, the first was judged.
        Assert.Equal("ok"u8.ToArray(), await ReceiveAsync(allowed, Timeout()));
        Assert.Equal(0, denied.Available);
    }
    // BIND opens nothing toward DST.ADDR, but a peer from a denied address would be relayed to the client: refusing it at
    // once spares the client the wait for a peer that would only be closed.
    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("127.0.0.2")]
    [InlineData("private.test")]
    public async Task Bind_naming_a_denied_peer_gets_rep_2_at_once(string host)
    {
        using var server = new TestServer(o =>
        {
            o.Egress.DenyPrivate = true;
            o.Resolver = (_, _) => ValueTask.FromResult(new[] { IPAddress.Parse("10.9.9.9") });
        });
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo reply = await client.RequestAsync(Command.Bind, Destination(host, 0), Timeout());
        Assert.Equal(ReplyCode.ConnectionNotAllowed, reply.ReplyCode);
    }

    [Fact]
    public async Task Bind_for_any_peer_closes_one_from_a_denied_address_and_takes_an_allowed_one()
    {
        using var server = new TestServer(o => o.Egress.Deny.Add("127.0.0.3/32"));
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        ReplyInfo first = await client.RequestAsync(Command.Bind, new IPEndPoint(IPAddress.Any, 0), Timeout());
        Assert.Equal(ReplyCode.Succeeded, first.ReplyCode);
        IPEndPoint listening = first.Usable(server.EndPoint4);

        using var denied = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        denied.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0));
        await denied.ConnectAsync(listening, Timeout());
        Assert.True(await ServerDefectTests.IsClosedAsync(denied, Timeout(10)), "a peer the egress policy denies must be closed");

        using var allowed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await allowed.ConnectAsync(listening, Timeout());
        ReplyInfo second = await client.ReadReplyAsync(Timeout());
        Assert.Equal(ReplyCode.Succeeded, second.ReplyCode);
        Assert.Equal(((IPEndPoint)allowed.LocalEndPoint!).Port, second.Port);
    }

    // The preset's "this machine": a listen address at every port, and for a wildcard listener every interface address.
    // Judged on the policy itself, so no address but loopback is ever listened on or dialed.
    [Fact]
    public void The_preset_denies_the_listen_addresses_at_every_port_and_the_machine_for_a_wildcard_listener()
    {
        var listenAddress = IPAddress.Parse("198.51.100.7");
        var other = IPAddress.Parse("198.51.100.8");
        DestinationPolicy Policy(bool denyPrivate, params IPEndPoint[] listening)
        {
            var options = new Socks5ServerOptions();
            options.Egress.DenyPrivate = denyPrivate;
            options.Egress.Deny.Add("203.0.113.0/24"); // so that the rules exist without the preset too
            var policy = new DestinationPolicy(options, EgressRules.Parse(options.Egress));
            policy.SetListening(listening);
            return policy;
        }

        DestinationPolicy specific = Policy(true, new IPEndPoint(listenAddress, 1080));
        Assert.False(specific.IsEgressAllowed(listenAddress, null));
        Assert.True(specific.IsEgressAllowed(other, null));
        Assert.False(specific.IsEgressAllowed(other, new IPEndPoint(other, 1080))); // where a host-accepted connection came in
        Assert.True(Policy(false, new IPEndPoint(listenAddress, 1080)).IsEgressAllowed(listenAddress, null));

        DestinationPolicy wildcard = Policy(true, new IPEndPoint(IPAddress.IPv6Any, 1080));
        Assert.True(wildcard.IsEgressAllowed(other, null));
        foreach (IPAddress machine in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address).Where(a => a.AddressFamily == AddressFamily.InterNetwork || a.ScopeId == 0))
        {
            Assert.False(wildcard.IsEgressAllowed(machine, null), machine.ToString());
            Assert.True(Policy(false, new IPEndPoint(IPAddress.IPv6Any, 1080)).IsEgressAllowed(machine, null), machine.ToString());
        }
    }
}
