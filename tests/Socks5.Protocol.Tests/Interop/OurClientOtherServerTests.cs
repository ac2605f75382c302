using System.Net;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>The library's client against microsocks: CONNECT with and without auth; BIND and UDP get REP 7.</summary>
[Collection(MicrosocksCollection.Name)]
public sealed class OurClientMicrosocksTests(MicrosocksFixture microsocks) : OurClientTest
{
    [PeerTheory("microsocks", "microsocks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_EchoComesBack(bool auth)
    {
        IPEndPoint proxy = auth ? microsocks.AuthProxy4 : microsocks.Proxy4;
        using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(Client(proxy, auth), microsocks.Targets.Echo4);
        using Socks5Tunnel byName = await ConnectAndAssertEchoAsync(Client(proxy, auth), new DnsEndPoint("localhost", microsocks.Targets.EchoPort));
    }

    [PeerFact("microsocks", "microsocks")]
    public async Task WrongPassword_SurfacesStatus2() =>
        await AssertWrongPasswordAsync(microsocks.AuthProxy4, 2, microsocks.Targets.Echo4);

    [PeerTheory("microsocks", "microsocks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bind_SurfacesCommandNotSupported(bool auth)
    {
        Socks5Client client = Client(auth ? microsocks.AuthProxy4 : microsocks.Proxy4, auth);
        Socks5Exception e = await AssertFailsAsync(() => client.BindAsync(null, Ct), HandshakeFailure.RequestRejected, ReplyCode.CommandNotSupported);
        Assert.Contains("REP 0x07", e.Message, StringComparison.Ordinal);
    }

    [PeerTheory("microsocks", "microsocks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UdpAssociate_SurfacesCommandNotSupported(bool auth)
    {
        Socks5Client client = Client(auth ? microsocks.AuthProxy4 : microsocks.Proxy4, auth);
        await AssertFailsAsync(() => client.AssociateUdpAsync(Ct), HandshakeFailure.RequestRejected, ReplyCode.CommandNotSupported);
    }
}

/// <summary>The library's client against <c>ssh -D</c>: CONNECT; BIND and UDP are closed without a reply.</summary>
[Collection(SshCollection.Name)]
public sealed class OurClientSshDynamicForwardTests(SshDynamicForwardFixture ssh) : OurClientTest
{
    [PeerTheory("sshd", "openssh-server", "ssh", "openssh-client")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("localhost")]
    public async Task Connect_EchoComesBack(string host)
    {
        using Socks5Tunnel tunnel = await Client(ssh.Proxy4).ConnectAsync(host, ssh.Targets.EchoPort, Ct);
        await RawSocks5Client.AssertEchoAsync(tunnel.Stream, Ct);
    }

    [PeerFact("sshd", "openssh-server", "ssh", "openssh-client")]
    public async Task Bind_ClosedWithoutReply_SurfacesConnectionClosed()
    {
        Socks5Client client = Client(ssh.Proxy4);
        Socks5Exception e = await AssertFailsAsync(() => client.BindAsync(null, Ct), HandshakeFailure.ConnectionClosed, null);
        Assert.Contains("closed the connection", e.Message, StringComparison.Ordinal);
        Assert.Contains("BIND", e.Message, StringComparison.Ordinal);
    }

    [PeerFact("sshd", "openssh-server", "ssh", "openssh-client")]
    public async Task UdpAssociate_ClosedWithoutReply_SurfacesConnectionClosed()
    {
        Socks5Client client = Client(ssh.Proxy4);
        Socks5Exception e = await AssertFailsAsync(() => client.AssociateUdpAsync(Ct), HandshakeFailure.ConnectionClosed, null);
        Assert.Contains("closed the connection", e.Message, StringComparison.Ordinal);
        Assert.Contains("UDP ASSOCIATE", e.Message, StringComparison.Ordinal);
    }

    [PeerFact("sshd", "openssh-server", "ssh", "openssh-client")]
    public async Task CredentialsOffered_PicksNoAuth_EchoComesBack()
    {
        // Our client offers {00,02} when it has credentials; ssh -D picks 00 and never sees them.
        using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(Client(ssh.Proxy4, auth: true), ssh.Targets.Echo4);
    }
}

/// <summary>The library's client against shadowsocks-libev's ss-local (through ss-server): CONNECT and UDP.</summary>
[Collection(ShadowsocksCollection.Name)]
public sealed class OurClientShadowsocksTests(ShadowsocksFixture ss) : OurClientTest
{
    [PeerFact("ss-local", "shadowsocks-libev")]
    public async Task Connect_EchoComesBack()
    {
        using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(Client(ss.Proxy4), ss.Targets.Echo4);
    }

    [PeerFact("ss-local", "shadowsocks-libev")]
    public async Task Connect_ClosedPort_SucceedsThenEndsAtOnce()
    {
        // ss-local answers REP 0 before it connects: the client cannot know, and sees the tunnel end with no byte.
        await AssertClosedPortTunnelEndsAsync(Client(ss.Proxy4));
    }

    [PeerFact("ss-local", "shadowsocks-libev")]
    public async Task UdpAssociate_DatagramEchoedBack() =>
        await AssertUdpEchoAsync(Client(ss.Proxy4), ss.Targets.UdpEcho4);

    [PeerFact("ss-local", "shadowsocks-libev")]
    public async Task Bind_TruncatedReply_SurfacesConnectionClosedWithItsCode()
    {
        // ss-local sends 05 07 00 01 (no address) and closes: the client keeps the code it did get.
        Socks5Client client = Client(ss.Proxy4);
        Socks5Exception e = await AssertFailsAsync(() => client.BindAsync(null, Ct), HandshakeFailure.ConnectionClosed, ReplyCode.CommandNotSupported);
        Assert.Contains("REP 0x07", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>The library's client against v2ray's socks inbound: CONNECT and UDP, with and without auth.</summary>
[Collection(V2rayCollection.Name)]
public sealed class OurClientV2rayTests(V2rayFixture v2ray) : OurClientTest
{
    [PeerTheory("v2ray", "v2ray")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_EchoComesBack(bool auth)
    {
        using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(Client(auth ? v2ray.AuthProxy4 : v2ray.Proxy4, auth), v2ray.Targets.Echo4);
    }

    [PeerTheory("v2ray", "v2ray")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UdpAssociate_DatagramEchoedBack(bool auth) =>
        await AssertUdpEchoAsync(Client(auth ? v2ray.AuthProxy4 : v2ray.Proxy4, auth), v2ray.Targets.UdpEcho4);

    [PeerFact("v2ray", "v2ray")]
    public async Task Connect_ClosedPort_SucceedsThenEndsAtOnce()
    {
        // v2ray, too, answers REP 0 before it connects.
        await AssertClosedPortTunnelEndsAsync(Client(v2ray.Proxy4));
    }

    [PeerFact("v2ray", "v2ray")]
    public async Task WrongPassword_SurfacesStatusFF() =>
        await AssertWrongPasswordAsync(v2ray.AuthProxy4, 0xFF, v2ray.Targets.Echo4);

    [PeerFact("v2ray", "v2ray")]
    public async Task Bind_SurfacesCommandNotSupported()
    {
        Socks5Client client = Client(v2ray.Proxy4);
        await AssertFailsAsync(() => client.BindAsync(null, Ct), HandshakeFailure.RequestRejected, ReplyCode.CommandNotSupported);
    }

    private static Socks5Client ClientFor(Uri proxy)
    {
        Socks5ClientOptions options = Socks5ClientOptions.FromUri(proxy);
        options.ConnectTimeout = ClientTimeout;
        options.HandshakeTimeout = ClientTimeout;
        return new Socks5Client(options);
    }

    // v2ray's socks inbound speaks SOCKS4 and 4a as well.
    [PeerFact("v2ray", "v2ray")]
    public async Task Socks4a_ConnectByName_EchoComesBack()
    {
        using Socks5Tunnel tunnel = await ClientFor(new Uri($"socks4a://127.0.0.1:{v2ray.Port}")).ConnectAsync("localhost", v2ray.Targets.EchoPort, Ct);
        await RawSocks5Client.AssertEchoAsync(tunnel.Stream, Ct);
    }

    [PeerFact("v2ray", "v2ray")]
    public async Task HttpConnect_WithBasicCredentials_EchoComesBack()
    {
        using Socks5Tunnel tunnel = await ConnectAndAssertEchoAsync(ClientFor(new Uri($"http://{User}:{Password}@127.0.0.1:{v2ray.HttpPort}")), v2ray.Targets.Echo4);
    }

    [PeerTheory("v2ray", "v2ray")]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task HttpConnect_WithoutTheRightCredentials_Surfaces407(string? password)
    {
        string userInfo = password is null ? string.Empty : $"{User}:{password}@";
        Socks5Exception e = await Assert.ThrowsAsync<Socks5Exception>(() => ClientFor(new Uri($"http://{userInfo}127.0.0.1:{v2ray.HttpPort}")).ConnectAsync(v2ray.Targets.Echo4, Ct));
        Assert.Equal(HandshakeFailure.AuthenticationFailed, e.Failure);
        Assert.Equal(407, e.HttpStatusCode);
    }
}

/// <summary>The library's client against tor with no network: its error reply must surface.</summary>
[Collection(TorCollection.Name)]
public sealed class OurClientTorTests(TorFixture tor) : OurClientTest
{
    [PeerTheory("tor", "tor", "socat", "socat")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectToLoopback_SurfacesGeneralFailure(bool auth)
    {
        // tor accepts any credentials.
        Socks5Client client = auth ? Client(tor.Proxy4, "anyone", "anything") : Client(tor.Proxy4);
        Socks5Exception e = await AssertFailsAsync(() => client.ConnectAsync(tor.Targets.Echo4, Ct), HandshakeFailure.RequestRejected, ReplyCode.GeneralFailure);
        Assert.Equal(tor.Targets.Echo4, e.Destination);
        Assert.Contains("REP 0x01", e.Message, StringComparison.Ordinal);
    }

    [PeerFact("tor", "tor", "socat", "socat")]
    public async Task ConnectToLocalhostByName_SurfacesGeneralFailure()
    {
        // tor refuses the name localhost as it refuses private addresses: at once, with REP 1.
        Socks5Client client = Client(tor.Proxy4);
        Socks5Exception e = await AssertFailsAsync(() => client.ConnectAsync("localhost", tor.Targets.EchoPort, Ct), HandshakeFailure.RequestRejected, ReplyCode.GeneralFailure);
        Assert.Equal(new DnsEndPoint("localhost", tor.Targets.EchoPort), e.Destination);
    }

    // What tor answers with no network (its SocksPort has ExtendedErrors): an IP literal resolves at once, an onion name
    // or a private address fails at once with REP 4 and ATYP 0, and a malformed onion address gets X'F6'.
    [PeerTheory("tor", "tor", "socat", "socat")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Resolve_OfAnIpLiteral_AnswersTheAddress(string literal) =>
        Assert.Equal(IPAddress.Parse(literal), await Client(tor.Proxy4).ResolveAsync(literal, Ct));

    [PeerFact("tor", "tor", "socat", "socat")]
    public async Task Resolve_OfAnOnionName_SurfacesHostUnreachable()
    {
        Socks5Exception e = await AssertFailsAsync(() => Client(tor.Proxy4).ResolveAsync("aaaa.onion", Ct), HandshakeFailure.RequestRejected, ReplyCode.HostUnreachable);
        Assert.Contains("refused RESOLVE to aaaa.onion:0: host unreachable (REP 0x04)", e.Message, StringComparison.Ordinal);
    }

    [PeerFact("tor", "tor", "socat", "socat")]
    public async Task ResolvePtr_OfLoopback_SurfacesHostUnreachable() =>
        await AssertFailsAsync(() => Client(tor.Proxy4).ResolvePtrAsync(IPAddress.Loopback, Ct), HandshakeFailure.RequestRejected, ReplyCode.HostUnreachable);

    [PeerFact("tor", "tor", "socat", "socat")]
    public async Task ConnectToAMalformedOnionAddress_SurfacesTorsExtendedCodeByName()
    {
        Socks5Exception e = await AssertFailsAsync(() => Client(tor.Proxy4).ConnectAsync("aaaa.onion", 80, Ct), HandshakeFailure.RequestRejected, ReplyCode.OnionServiceInvalidAddress);
        Assert.Contains("onion service invalid address (REP 0xF6)", e.Message, StringComparison.Ordinal);
    }

    [PeerFact("tor", "tor", "socat", "socat")]
    public async Task Socks4a_ResolvesAnIpLiteral_AndSurfacesRefusalsAsCd91()
    {
        Socks5Client client = new(new Socks5ClientOptions(tor.Proxy4) { Protocol = ProxyProtocol.Socks4, ConnectTimeout = ClientTimeout, HandshakeTimeout = ClientTimeout });
        Assert.Equal(IPAddress.Loopback, await client.ResolveAsync("127.0.0.1", Ct));
        Socks5Exception e = await Assert.ThrowsAsync<Socks5Exception>(() => client.ConnectAsync("localhost", tor.Targets.EchoPort, Ct));
        Assert.Equal(Socks4ReplyCode.RequestRejectedOrFailed, e.Socks4ReplyCode);
        e = await Assert.ThrowsAsync<Socks5Exception>(() => client.ResolveAsync("aaaa.onion", Ct));
        Assert.Equal(Socks4ReplyCode.RequestRejectedOrFailed, e.Socks4ReplyCode);
    }
}

