using System.Net;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>Our wire codecs against microsocks: CONNECT only, BIND and UDP get REP 7.</summary>
[Collection(MicrosocksCollection.Name)]
public sealed class MicrosocksTests(MicrosocksFixture microsocks) : InteropTest
{
    [PeerTheory("microsocks", "microsocks")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_ReachesEcho(bool auth)
    {
        using RawSocks5Client client = auth
            ? await RawSocks5Client.OpenAsync(microsocks.AuthProxy4, Ct, Socks5PeerFixture.User, Socks5PeerFixture.Password)
            : await RawSocks5Client.OpenAsync(microsocks.Proxy4, Ct);
        await client.ConnectAndAssertEchoAsync(new DnsEndPoint("localhost", microsocks.Targets.EchoPort), Ct);
    }

    [PeerFact("microsocks", "microsocks")]
    public async Task WrongPassword_GetsStatus2()
    {
        Assert.Equal(2, await RawSocks5Client.AuthStatusAsync(microsocks.AuthProxy4, Socks5PeerFixture.User, "wrong", Ct));
    }

    [PeerTheory("microsocks", "microsocks")]
    [InlineData(Command.Bind)]
    [InlineData(Command.UdpAssociate)]
    public async Task BindAndUdp_GetCommandNotSupported(Command command)
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(microsocks.Proxy4, Ct);
        ReplyInfo reply = await client.RequestAsync(command, new IPEndPoint(IPAddress.Any, 0), Ct);
        Assert.Equal(ReplyCode.CommandNotSupported, reply.ReplyCode);
    }
}

/// <summary>Our wire codecs against OpenSSH's <c>ssh -D</c>: CONNECT; anything else is closed without a reply.</summary>
[Collection(SshCollection.Name)]
public sealed class SshDynamicForwardTests(SshDynamicForwardFixture ssh) : InteropTest
{
    [PeerTheory("sshd", "openssh-server", "ssh", "openssh-client")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("localhost")]
    public async Task Connect_ReachesEcho(string host)
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(ssh.Proxy4, Ct);
        EndPoint target = IPAddress.TryParse(host, out IPAddress? ip) ? new IPEndPoint(ip, ssh.Targets.EchoPort) : new DnsEndPoint(host, ssh.Targets.EchoPort);
        await client.ConnectAndAssertEchoAsync(target, Ct);
    }

    [PeerTheory("sshd", "openssh-server", "ssh", "openssh-client")]
    [InlineData(Command.Bind)]
    [InlineData(Command.UdpAssociate)]
    public async Task UnsupportedCommand_ClosedWithoutReply(Command command)
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(ssh.Proxy4, Ct);
        await client.SendRequestAsync(command, new IPEndPoint(IPAddress.Any, 0), Ct);
        await client.AssertClosedWithoutReplyAsync(Ct);
    }
}

/// <summary>Our wire codecs against shadowsocks-libev's ss-local (through ss-server): CONNECT and UDP.</summary>
[Collection(ShadowsocksCollection.Name)]
public sealed class ShadowsocksTests(ShadowsocksFixture ss) : InteropTest
{
    [PeerFact("ss-local", "shadowsocks-libev")]
    public async Task Connect_ReachesEcho()
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(ss.Proxy4, Ct);
        await client.ConnectAndAssertEchoAsync(ss.Targets.Echo4, Ct);
    }

    [PeerFact("ss-local", "shadowsocks-libev")]
    public async Task UdpAssociate_DatagramEchoedBack()
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(ss.Proxy4, Ct);
        await Socks5Udp.AssertEchoAsync(client, ss.Targets.UdpEcho4, Ct);
    }

    [PeerFact("ss-local", "shadowsocks-libev")]
    public async Task Bind_GetsTruncatedReplyThenClose()
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(ss.Proxy4, Ct);
        await client.SendRequestAsync(Command.Bind, new IPEndPoint(IPAddress.Any, 0), Ct);
        var e = await Assert.ThrowsAsync<EndOfStreamException>(() => client.ReadReplyAsync(Ct));
        Assert.Contains("05070001", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>Our wire codecs against v2ray's socks inbound: CONNECT and UDP, with and without auth.</summary>
[Collection(V2rayCollection.Name)]
public sealed class V2rayTests(V2rayFixture v2ray) : InteropTest
{
    [PeerTheory("v2ray", "v2ray")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_ReachesEcho(bool auth)
    {
        using RawSocks5Client client = await OpenAsync(auth);
        await client.ConnectAndAssertEchoAsync(v2ray.Targets.Echo4, Ct);
    }

    [PeerTheory("v2ray", "v2ray")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UdpAssociate_DatagramEchoedBack(bool auth)
    {
        using RawSocks5Client client = await OpenAsync(auth);
        await Socks5Udp.AssertEchoAsync(client, v2ray.Targets.UdpEcho4, Ct);
    }

    [PeerFact("v2ray", "v2ray")]
    public async Task WrongPassword_GetsStatusFF()
    {
        Assert.Equal(0xFF, await RawSocks5Client.AuthStatusAsync(v2ray.AuthProxy4, Socks5PeerFixture.User, "wrong", Ct));
    }

    [PeerFact("v2ray", "v2ray")]
    public async Task Bind_GetsCommandNotSupported()
    {
        using RawSocks5Client client = await OpenAsync(auth: false);
        ReplyInfo reply = await client.RequestAsync(Command.Bind, new IPEndPoint(IPAddress.Any, 0), Ct);
        Assert.Equal(ReplyCode.CommandNotSupported, reply.ReplyCode);
    }

    private Task<RawSocks5Client> OpenAsync(bool auth) => auth
        ? RawSocks5Client.OpenAsync(v2ray.AuthProxy4, Ct, Socks5PeerFixture.User, Socks5PeerFixture.Password)
        : RawSocks5Client.OpenAsync(v2ray.Proxy4, Ct);
}

/// <summary>tor, cut off in its own network namespace: an error-path peer whose failures use ATYP 4 <c>::</c>.</summary>
[Collection(TorCollection.Name)]
public sealed class TorTests(TorFixture tor) : InteropTest
{
    [PeerTheory("tor", "tor", "socat", "socat")]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectToLoopback_GetsGeneralFailureWithIpv6Unspecified(bool auth)
    {
        // tor accepts any credentials.
        using RawSocks5Client client = auth
            ? await RawSocks5Client.OpenAsync(tor.Proxy4, Ct, "anyone", "anything")
            : await RawSocks5Client.OpenAsync(tor.Proxy4, Ct);
        ReplyInfo reply = await client.RequestAsync(Command.Connect, tor.Targets.Echo4, Ct);
        Assert.Equal(ReplyCode.GeneralFailure, reply.ReplyCode);
        Assert.Equal(AddressType.IPv6, reply.AddressType);
        Assert.Equal(IPAddress.IPv6Any, reply.Address);
        Assert.Equal(0, reply.Port);
    }
}
