using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>Our wire codecs against Dante's danted: all three commands, both auth methods, IPv4 and IPv6.</summary>
[Collection(DantedCollection.Name)]
public sealed class DantedTests(DantedFixture danted) : InteropTest
{
    private const string User = Socks5PeerFixture.User;
    private const string Password = Socks5PeerFixture.Password;

    private LoopbackTargets Targets => danted.Targets;

    /// <summary>(IPv6?, username auth?): all four.</summary>
    public static TheoryData<bool, bool> FamilyAndAuth => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    private IPEndPoint OpenProxy(bool v6) => v6 ? danted.Proxy6 : danted.Proxy4;

    /// <summary>Connected and past the method negotiation: the open instance, or the username instance logged in.</summary>
    private Task<RawSocks5Client> OpenAsync(bool v6, bool auth) => auth
        ? RawSocks5Client.OpenAsync(v6 ? danted.AuthProxy6 : danted.AuthProxy4, Ct, User, Password)
        : RawSocks5Client.OpenAsync(OpenProxy(v6), Ct);

    [PeerTheory("danted", "dante-server")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_NoAuth_ReachesEchoThroughTunnel(bool v6)
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(OpenProxy(v6), Ct);
        ReplyInfo reply = await client.ConnectAndAssertEchoAsync(v6 ? Targets.Echo6 : Targets.Echo4, Ct);
        Assert.Equal(v6 ? AddressType.IPv6 : AddressType.IPv4, reply.AddressType);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Connect_DomainNameLocalhost_ReachesEcho()
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(danted.Proxy4, Ct);
        await client.ConnectAndAssertEchoAsync(new DnsEndPoint("localhost", Targets.EchoPort), Ct);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Connect_Ipv4ClientToIpv6Target_CrossFamily()
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(danted.Proxy4, Ct);
        await client.ConnectAndAssertEchoAsync(Targets.Echo6, Ct);
    }

    [PeerTheory("danted", "dante-server")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_UsernameAuth_ReachesEcho(bool v6)
    {
        using RawSocks5Client client = await OpenAsync(v6, auth: true);
        await client.ConnectAndAssertEchoAsync(Targets.Echo4, Ct);
    }

    [PeerFact("danted", "dante-server")]
    public async Task WrongPassword_GetsFailureStatus()
    {
        byte status = await RawSocks5Client.AuthStatusAsync(danted.AuthProxy4, User, "not-" + Password, Ct);
        Assert.NotEqual(UsernamePasswordReply.Success, status);
        Assert.Equal(1, status);
    }

    [PeerFact("danted", "dante-server")]
    public async Task UsernameOnlyServer_RefusesNoAuthOffer_WithFF()
    {
        using RawSocks5Client client = await RawSocks5Client.ConnectAsync(danted.AuthProxy4, Ct);
        Assert.Equal(AuthenticationMethod.NoAcceptableMethods, await client.GreetAsync([AuthenticationMethod.NoAuthenticationRequired], Ct));
    }

    [PeerFact("danted", "dante-server")]
    public async Task OfferedBoth_PicksFirstInItsSocksmethodOrder()
    {
        using RawSocks5Client client = await RawSocks5Client.ConnectAsync(danted.Proxy4, Ct);
        AuthenticationMethod chosen = await client.GreetAsync([AuthenticationMethod.NoAuthenticationRequired, AuthenticationMethod.UsernamePassword], Ct);
        Assert.Equal(AuthenticationMethod.UsernamePassword, chosen);
        Assert.Equal(UsernamePasswordReply.Success, await client.AuthenticateAsync(User, Password, Ct));
        await client.ConnectAndAssertEchoAsync(Targets.Echo4, Ct);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Connect_ClosedPort_GetsConnectionRefused()
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(danted.Proxy4, Ct);
        ReplyInfo reply = await client.RequestAsync(Command.Connect, new IPEndPoint(IPAddress.Loopback, Loopback.GetFreePort()), Ct);
        Assert.Equal(ReplyCode.ConnectionRefused, reply.ReplyCode);
    }

    [PeerFact("danted", "dante-server")]
    public async Task Bind_Ipv6UnspecifiedDestination_GetsNetworkUnreachable()
    {
        using RawSocks5Client binder = await RawSocks5Client.OpenAsync(danted.Proxy6, Ct);
        ReplyInfo reply = await binder.RequestAsync(Command.Bind, new IPEndPoint(IPAddress.IPv6Any, 0), Ct);
        Assert.Equal(ReplyCode.NetworkUnreachable, reply.ReplyCode);
        Assert.Equal(AddressType.IPv6, reply.AddressType);
    }

    [PeerFact("danted", "dante-server")]
    public async Task UnknownCommand_ClosedWithoutReply()
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(danted.Proxy4, Ct);
        await client.SendRequestAsync((Command)0x09, Targets.Echo4, Ct);
        await client.AssertClosedWithoutReplyAsync(Ct);
    }

    [PeerTheory("danted", "dante-server")]
    [MemberData(nameof(FamilyAndAuth))]
    public async Task Bind_BothRepliesAndDataBothWays(bool v6, bool auth)
    {
        using RawSocks5Client binder = await OpenAsync(v6, auth);
        IPEndPoint proxy = binder.Proxy;
        // Over IPv6, danted 1.4.2 answers DST [::]:0 with REP 3 (network unreachable); [::1]:0 works.
        ReplyInfo first = await binder.RequestAsync(Command.Bind, new IPEndPoint(v6 ? IPAddress.IPv6Loopback : IPAddress.Any, 0), Ct);
        Assert.True(first.ReplyCode == ReplyCode.Succeeded, first.ToString());
        Assert.NotEqual(0, first.Port);

        using var peer = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(first.Usable(proxy), Ct);
        ReplyInfo second = await binder.ReadReplyAsync(Ct);
        Assert.True(second.ReplyCode == ReplyCode.Succeeded, second.ToString());
        var peerLocal = (IPEndPoint)peer.LocalEndPoint!;
        Assert.Equal(peerLocal.Port, second.Port);
        Assert.Equal(peerLocal.Address, second.Address);

        using var peerStream = new NetworkStream(peer);
        byte[] fromPeer = "hello-from-peer"u8.ToArray();
        await peerStream.WriteAsync(fromPeer, Ct);
        Assert.Equal(fromPeer, await binder.ReadExactlyAsync(fromPeer.Length, Ct));
        byte[] fromBinder = "hello-from-binder"u8.ToArray();
        await binder.Stream.WriteAsync(fromBinder, Ct);
        var got = new byte[fromBinder.Length];
        await peerStream.ReadExactlyAsync(got, Ct);
        Assert.Equal(fromBinder, got);
    }

    [PeerTheory("danted", "dante-server")]
    [MemberData(nameof(FamilyAndAuth))]
    public async Task UdpAssociate_DatagramEchoedBack(bool v6, bool auth)
    {
        using RawSocks5Client client = await OpenAsync(v6, auth);
        await Socks5Udp.AssertEchoAsync(client, v6 ? Targets.UdpEcho6 : Targets.UdpEcho4, Ct);
    }
}
