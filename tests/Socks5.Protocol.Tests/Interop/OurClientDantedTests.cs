using System.Net;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>The library's <see cref="Socks5Client"/> against Dante's danted: all three commands, both auth methods, IPv4 and IPv6.</summary>
[Collection(DantedCollection.Name)]
public sealed class OurClientDantedTests(DantedFixture danted) : OurClientTest
{
    /// <summary>(IPv6?, username auth?): all four.</summary>
    public static TheoryData<bool, bool> FamilyAndAuth => DantedTests.FamilyAndAuth;

    private LoopbackTargets Targets => danted.Targets;

    /// <summary>The open instance (which prefers username when offered both), or the username-only one, on v4 or v6.</summary>
    private Socks5Client Client(bool v6, bool auth) => auth
        ? Client(v6 ? danted.AuthProxy6 : danted.AuthProxy4, User, Password)
        : Client(v6 ? danted.Proxy6 : danted.Proxy4);

    [PeerTheory("danted", "dante-server")]
    [MemberData(nameof(FamilyAndAuth))]
    public async Task Connect_EchoComesBack(bool v6, bool auth)
    {
        using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(Client(v6, auth), v6 ? Targets.Echo6 : Targets.Echo4);
        Assert.Equal(v6 ? Targets.Echo6 : Targets.Echo4, tunnel.Destination);
    }

    [PeerTheory("danted", "dante-server")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_LocalhostAsName_EchoComesBack(bool auth)
    {
        using Socks5Tunnel tunnel = await Client(v6: false, auth).ConnectAsync("localhost", Targets.EchoPort, Ct);
        Assert.Equal(new DnsEndPoint("localhost", Targets.EchoPort), tunnel.Destination);
        await RawSocks5Client.AssertEchoAsync(tunnel.Stream, Ct);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Connect_Ipv4ProxyToIpv6Target_EchoComesBack()
    {
        using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(Client(v6: false, auth: false), Targets.Echo6);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Connect_ShutdownWrite_TargetSeesEndAndAnswersInFull()
    {
        // The HTTP target answers once the request is complete and then closes: the whole response arrives, then EOF.
        using Socks5Tunnel tunnel = await Client(v6: false, auth: false).ConnectAsync(new IPEndPoint(IPAddress.Loopback, Targets.HttpPort), Ct);
        await tunnel.Stream.WriteAsync(LoopbackTargets.HttpRequest, Ct);
        await tunnel.Stream.FlushAsync(Ct);
        tunnel.ShutdownWrite();
        var all = new MemoryStream();
        await tunnel.Stream.CopyToAsync(all, Ct);
        Assert.Equal(LoopbackTargets.HttpResponse, all.ToArray());
    }

    [PeerFact("danted", "dante-server")]
    public async Task Connect_OneMebibyteBothWaysAtOnce_EchoedInOrder()
    {
        using Socks5Tunnel tunnel = await Client(v6: false, auth: false).ConnectAsync(Targets.Echo4, Ct);
        byte[] sent = new byte[1 << 20];
        new Random(1928).NextBytes(sent);
        Task write = Task.Run(async () =>
        {
            await tunnel.Stream.WriteAsync(sent, Ct);
            await tunnel.Stream.FlushAsync(Ct);
        });
        var back = new byte[sent.Length];
        await tunnel.Stream.ReadExactlyAsync(back, Ct);
        await write;
        Assert.True(sent.AsSpan().SequenceEqual(back), "the echo differs from what was sent");
    }

    [PeerFact("danted", "dante-server")]
    public async Task Connect_ResolveNamesLocally_SendsAddress_EchoComesBack()
    {
        var options = new Socks5ClientOptions(danted.Proxy4) { ResolveNamesLocally = true, ConnectTimeout = ClientTimeout, HandshakeTimeout = ClientTimeout };
        using Socks5Tunnel tunnel = await new Socks5Client(options).ConnectAsync("localhost", Targets.EchoPort, Ct);
        await RawSocks5Client.AssertEchoAsync(tunnel.Stream, Ct);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Connect_ClosedPort_SurfacesConnectionRefused()
    {
        Socks5Client client = Client(v6: false, auth: false);
        var closed = new IPEndPoint(IPAddress.Loopback, Loopback.GetFreePort());
        Socks5Exception e = await AssertFailsAsync(() => client.ConnectAsync(closed, Ct), HandshakeFailure.RequestRejected, ReplyCode.ConnectionRefused);
        Assert.Equal(closed, e.Destination);
        Assert.Contains("REP 0x05", e.Message, StringComparison.Ordinal);
    }

    [PeerTheory("danted", "dante-server")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WrongPassword_SurfacesAuthenticationFailedWithStatus1(bool v6) =>
        await AssertWrongPasswordAsync(v6 ? danted.AuthProxy6 : danted.AuthProxy4, 1, Targets.Echo4);

    [PeerFact("danted", "dante-server")]
    public async Task UsernameOnlyServer_WithoutCredentials_SurfacesNoAcceptableMethod()
    {
        Socks5Client client = Client(danted.AuthProxy4);
        Socks5Exception e = await AssertFailsAsync(() => client.ConnectAsync(Targets.Echo4, Ct), HandshakeFailure.NoAcceptableMethod, null);
        Assert.Equal(AuthenticationMethod.NoAcceptableMethods, e.SelectedMethod);
    }

    [PeerTheory("danted", "dante-server")]
    [MemberData(nameof(FamilyAndAuth))]
    public async Task Bind_BothRepliesAndDataBothWays(bool v6, bool auth)
    {
        // danted 1.4.2 answers a BIND naming [::]:0 with REP 3 (README, quirks); [::1]:0 works. Over IPv4 the client's
        // default DST 0.0.0.0:0 works.
        await AssertBindAsync(Client(v6, auth), v6 ? new IPEndPoint(IPAddress.IPv6Loopback, 0) : null);
    }

    [PeerTheory("danted", "dante-server")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bind_PeerSpeaksBeforeAccept_NoByteLost(bool v6) =>
        await AssertBindAsync(Client(v6, auth: false), null, peerSpeaksFirst: true);

    [PeerFact("danted", "dante-server")]
    public async Task Bind_Ipv6Proxy_DefaultDestination_Works()
    {
        // The client's default DST is 0.0.0.0:0 whatever the proxy's family; danted takes it over IPv6 too.
        await AssertBindAsync(Client(v6: true, auth: false), null);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Bind_AcceptCancelled_ThrowsPromptly()
    {
        using Socks5PendingBind bind = await Client(v6: false, auth: false).BindAsync(null, Ct);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bind.AcceptAsync(cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), clock.Elapsed.ToString());
    }

    [PeerFact("danted", "dante-server")]
    public async Task Bind_Ipv6UnspecifiedPeer_SurfacesNetworkUnreachable()
    {
        Socks5Client client = Client(v6: true, auth: false);
        await AssertFailsAsync(() => client.BindAsync(new IPEndPoint(IPAddress.IPv6Any, 0), Ct), HandshakeFailure.RequestRejected, ReplyCode.NetworkUnreachable);
    }

    [PeerTheory("danted", "dante-server")]
    [MemberData(nameof(FamilyAndAuth))]
    public async Task UdpAssociate_DatagramEchoedBack(bool v6, bool auth) =>
        await AssertUdpEchoAsync(Client(v6, auth), v6 ? Targets.UdpEcho6 : Targets.UdpEcho4);

    [PeerTheory("danted", "dante-server")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UdpAssociate_CrossFamily_DatagramEchoedBack(bool v6Proxy) =>
        await AssertUdpEchoAsync(Client(v6Proxy, auth: false), v6Proxy ? Targets.UdpEcho4 : Targets.UdpEcho6);

    [PeerFact("danted", "dante-server")]
    public async Task UdpAssociate_65000ByteDatagram_EchoedWhole()
    {
        using Socks5UdpAssociation association = await Client(v6: false, auth: false).AssociateUdpAsync(Ct);
        byte[] payload = new byte[65_000];
        new Random(1928).NextBytes(payload);
        (byte[] answer, IPEndPoint source) = await UdpRoundTripAsync(association, Targets.UdpEcho4, payload);
        Assert.Equal(Targets.UdpEcho4, source);
        Assert.True(answer.AsSpan().SequenceEqual([.. "echo:"u8, .. payload]), $"{answer.Length} bytes back, not the {payload.Length + 5} sent + echo:");
    }

    [PeerFact("danted", "dante-server")]
    public async Task UdpAssociate_DatagramToName_EchoedBackFromAddress()
    {
        // DST of the datagram is ATYP 3 localhost; danted resolves it (to 127.0.0.1 here) and names the address in the answer.
        using Socks5UdpAssociation association = await Client(v6: false, auth: false).AssociateUdpAsync(Ct);
        (byte[] answer, IPEndPoint source) = await UdpRoundTripAsync(association, new DnsEndPoint("localhost", Targets.UdpEchoPort), "by-name"u8.ToArray());
        Assert.Equal("echo:by-name"u8.ToArray(), answer);
        Assert.True(IPAddress.IsLoopback(source.Address), source.ToString());
        Assert.Equal(Targets.UdpEchoPort, source.Port);
    }

    [PeerFact("danted", "dante-server")]
    public async Task ProxyGivenByName_AllThreeCommandsWork()
    {
        // Options.Proxy a DnsEndPoint: the UDP socket and BIND's listen address follow whichever family localhost gave.
        var proxy = new DnsEndPoint("localhost", danted.Port);
        (await ConnectAndAssertEchoAsync(Client(proxy), Targets.Echo4)).Dispose();
        await AssertBindAsync(Client(proxy), null);
        await AssertUdpEchoAsync(Client(proxy), Targets.UdpEcho4);
    }

    [PeerFact("danted", "dante-server")]
    public async Task OneClientSharedByTwentyConcurrentTunnels_EachEchoes()
    {
        // danted forks a process per connection: twenty authenticated handshakes at once on a loaded 2-core machine once
        // took longer than the other tests' 5 s, so this one waits up to 12 s (the test's own bound is 15 s).
        var shared = new Socks5Client(new Socks5ClientOptions(danted.AuthProxy4)
        {
            UserName = User,
            Password = Password,
            ConnectTimeout = TimeSpan.FromSeconds(12),
            HandshakeTimeout = TimeSpan.FromSeconds(12),
        });
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(shared, i % 2 == 0 ? Targets.Echo4 : Targets.Echo6);
        }));
    }

    [PeerTheory("danted", "dante-server")]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task HttpClient_UseSocks5_FetchesBody(bool auth, bool byName)
    {
        using var http = new HttpClient(new SocketsHttpHandler().UseSocks5(Client(v6: false, auth)));
        string body = await http.GetStringAsync(byName ? Targets.HttpUrlLocalhost : Targets.HttpUrl4, Ct);
        Assert.Equal(LoopbackTargets.HttpBody, body);
    }

    [PeerFact("danted", "dante-server")]
    public async Task HttpClient_UseSocks5_Ipv6ProxyAndTarget_FetchesBody()
    {
        using var http = new HttpClient(new SocketsHttpHandler().UseSocks5(Client(v6: true, auth: false)));
        Assert.Equal(LoopbackTargets.HttpBody, await http.GetStringAsync(Targets.HttpUrl6, Ct));
    }

    [PeerFact("danted", "dante-server")]
    public async Task HttpClient_UseSocks5_WrongPassword_SurfacesInsideHttpRequestException()
    {
        using var http = new HttpClient(new SocketsHttpHandler().UseSocks5(Client(danted.AuthProxy4, User, "wrong")));
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(Targets.HttpUrl4, Ct));
        var socks = Assert.IsType<Socks5Exception>(e.InnerException);
        Assert.Equal(HandshakeFailure.AuthenticationFailed, socks.Failure);
        Assert.Equal((byte)1, socks.UsernamePasswordStatus);
    }

    private Socks5Client Socks4Client(EndPoint proxy, bool resolveLocally = false) =>
        new(new Socks5ClientOptions(proxy) { Protocol = ProxyProtocol.Socks4, ResolveNamesLocally = resolveLocally, ConnectTimeout = ClientTimeout, HandshakeTimeout = ClientTimeout });

    // danted speaks SOCKS4 too (no "protocol:" line limits it) on the instance whose socksmethod is none.
    [PeerFact("danted", "dante-server")]
    public async Task Socks4_Connect_EchoComesBack()
    {
        using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(Socks4Client(danted.Proxy4), Targets.Echo4);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Socks4_NameResolvedHere_EchoComesBack()
    {
        // socks4:// resolves names on the client: localhost comes from the hosts file, never from DNS.
        using Socks5Tunnel tunnel = await Socks4Client(danted.Proxy4, resolveLocally: true).ConnectAsync("localhost", Targets.EchoPort, Ct);
        await RawSocks5Client.AssertEchoAsync(tunnel.Stream, Ct);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Socks4a_Name_RefusedWithCd91()
    {
        // danted does not implement SOCKS4a: a name (DSTIP 0.0.0.1) is refused, and the code reaches the caller.
        Socks5Exception e = await Assert.ThrowsAsync<Socks5Exception>(() => Socks4Client(danted.Proxy4).ConnectAsync("localhost", Targets.EchoPort, Ct));
        Assert.Equal(Socks4ReplyCode.RequestRejectedOrFailed, e.Socks4ReplyCode);
        Assert.Equal(HandshakeFailure.RequestRejected, e.Failure);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Socks4_UsernameOnlyInstance_RefusesWithCd91()
    {
        // SOCKS4 has no username method, so the instance that requires one refuses every SOCKS4 request.
        Socks5Exception e = await Assert.ThrowsAsync<Socks5Exception>(() => Socks4Client(danted.AuthProxy4).ConnectAsync(Targets.Echo4, Ct));
        Assert.Equal(Socks4ReplyCode.RequestRejectedOrFailed, e.Socks4ReplyCode);
    }
}

/// <summary>
/// A chain: danted first, then microsocks (<see cref="Socks5ClientOptions.Via"/>), to the echo target. A test class
/// belongs to one xunit collection and xunit 2 has no assembly fixtures, so this class takes danted from its collection
/// and microsocks as a class fixture (its own two microsocks processes, a few ms to start).
/// </summary>
[Collection(DantedCollection.Name)]
public sealed class OurClientChainTests(DantedFixture danted, MicrosocksFixture microsocks) : OurClientTest, IClassFixture<MicrosocksFixture>
{
    [PeerTheory("danted", "dante-server", "microsocks", "microsocks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DantedThenMicrosocks_EchoComesBack(bool auth)
    {
        Socks5Client first = auth ? Client(danted.AuthProxy4, User, Password) : Client(danted.Proxy4);
        Socks5Client second = auth ? Client(microsocks.AuthProxy4, User, Password, via: first) : Client(microsocks.Proxy4, via: first);
        using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(second, new DnsEndPoint("localhost", danted.Targets.EchoPort));
    }

    [PeerFact("danted", "dante-server", "microsocks", "microsocks")]
    public async Task DantedThenMicrosocks_HttpClient_FetchesBody()
    {
        Socks5Client chained = Client(microsocks.Proxy4, via: Client(danted.Proxy6));
        using var http = new HttpClient(new SocketsHttpHandler().UseSocks5(chained));
        Assert.Equal(LoopbackTargets.HttpBody, await http.GetStringAsync(danted.Targets.HttpUrl4, Ct));
    }

    [PeerFact("danted", "dante-server", "microsocks", "microsocks")]
    public async Task SecondHopRefusal_SurfacesItsReplyCode()
    {
        // microsocks answers BIND with REP 7; through danted the code still reaches the caller.
        Socks5Client chained = Client(microsocks.Proxy4, via: Client(danted.Proxy4));
        await AssertFailsAsync(() => chained.BindAsync(null, Ct), HandshakeFailure.RequestRejected, ReplyCode.CommandNotSupported);
    }
}
