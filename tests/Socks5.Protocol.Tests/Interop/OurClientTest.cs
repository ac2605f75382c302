using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// Base of the tests that drive the library's own <see cref="Socks5Client"/> against real SOCKS5 servers: clients with
/// short timeouts, and the checks each case ends with (the echo's bytes, the UDP echo's datagram, BIND's two replies and
/// data both ways, a failure's <see cref="Socks5Exception"/>). Every wait is bounded by <see cref="InteropTest.Ct"/>.
/// </summary>
public abstract class OurClientTest : InteropTest
{
    public const string User = Socks5PeerFixture.User;
    public const string Password = Socks5PeerFixture.Password;

    /// <summary>The connect and handshake timeouts of every client here: well inside the test's 15 s.</summary>
    protected static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A client for <paramref name="proxy"/>, with credentials when <paramref name="user"/> is set.</summary>
    protected static Socks5Client Client(EndPoint proxy, string? user = null, string? password = null, Socks5Client? via = null) =>
        new(new Socks5ClientOptions(proxy)
        {
            UserName = user,
            Password = password,
            ConnectTimeout = ClientTimeout,
            HandshakeTimeout = ClientTimeout,
            Via = via,
        });

    /// <summary>A client for <paramref name="proxy"/> with socksuser/sockspass when <paramref name="auth"/>.</summary>
    protected static Socks5Client Client(EndPoint proxy, bool auth) => auth ? Client(proxy, User, Password) : Client(proxy);

    /// <summary>CONNECT to the echo target and assert random bytes come back unchanged.</summary>
    protected async Task<Socks5Tunnel> ConnectAndAssertEchoAsync(Socks5Client client, EndPoint echo)
    {
        Socks5Tunnel tunnel = await client.ConnectAsync(echo, Ct);
        try
        {
            await RawSocks5Client.AssertEchoAsync(tunnel.Stream, Ct);
            return tunnel;
        }
        catch
        {
            tunnel.Dispose();
            throw;
        }
    }

    /// <summary>
    /// CONNECT to a closed port through a server that answers REP 0 before it connects (ss-local, v2ray): the tunnel opens,
    /// then ends without a byte.
    /// </summary>
    protected async Task AssertClosedPortTunnelEndsAsync(Socks5Client client)
    {
        using Socks5Tunnel tunnel = await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Loopback.GetFreePort()), Ct);
        Assert.Equal(0, await tunnel.Stream.ReadAsync(new byte[16], Ct));
    }

    /// <summary>
    /// UDP ASSOCIATE, then one datagram to <paramref name="echo"/>; asserts the answer names the target as its source and
    /// carries "echo:" + what was sent.
    /// </summary>
    protected async Task AssertUdpEchoAsync(Socks5Client client, IPEndPoint echo)
    {
        using Socks5UdpAssociation association = await client.AssociateUdpAsync(Ct);
        byte[] payload = Encoding.ASCII.GetBytes("udp-" + Guid.NewGuid().ToString("N"));
        (byte[] answer, IPEndPoint source) = await UdpRoundTripAsync(association, echo, payload);
        Assert.Equal([.. "echo:"u8.ToArray(), .. payload], answer);
        Assert.Equal(echo.Address, source.Address);
        Assert.Equal(echo.Port, source.Port);
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to <paramref name="destination"/> through the association (resent every 500 ms: UDP
    /// may drop) and returns the first answer's payload and the source its header names.
    /// </summary>
    protected async Task<(byte[] Payload, IPEndPoint Source)> UdpRoundTripAsync(Socks5UdpAssociation association, EndPoint destination, byte[] payload)
    {
        var buffer = new byte[65_536];
        while (true)
        {
            await association.SendToAsync(payload, destination, Ct);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(500));
            try
            {
                Socks5UdpReceiveResult received = await association.ReceiveFromAsync(buffer, wait.Token);
                return (buffer.AsSpan(0, received.ReceivedBytes).ToArray(), Assert.IsType<IPEndPoint>(received.RemoteEndPoint));
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                // Not back yet: send again.
            }
        }
    }

    /// <summary>
    /// BIND; a peer socket connects to <see cref="Socks5PendingBind.ListenAddress"/>; asserts the second reply names the
    /// peer's own address and port, then sends bytes each way and asserts they arrive, then half-closes each way. With
    /// <paramref name="peerSpeaksFirst"/> the peer writes before <see cref="Socks5PendingBind.AcceptAsync"/> is called, so
    /// its bytes may arrive with the second reply: none may be lost to the handshake.
    /// </summary>
    protected async Task AssertBindAsync(Socks5Client client, EndPoint? expectedPeer, bool peerSpeaksFirst = false)
    {
        using Socks5PendingBind bind = await client.BindAsync(expectedPeer, Ct);
        var listening = Assert.IsType<IPEndPoint>(bind.ListenAddress);
        Assert.NotEqual(0, listening.Port);

        using var peer = new Socket(listening.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(listening, Ct);
        using var peerStream = new NetworkStream(peer);
        byte[] fromPeer = Encoding.ASCII.GetBytes("hello-from-peer-" + Guid.NewGuid().ToString("N"));
        if (peerSpeaksFirst)
        {
            await peerStream.WriteAsync(fromPeer, Ct);
            await Task.Delay(100, Ct);
        }

        using Socks5Tunnel tunnel = await bind.AcceptAsync(Ct);
        var peerLocal = (IPEndPoint)peer.LocalEndPoint!;
        var announced = Assert.IsType<IPEndPoint>(tunnel.BoundAddress);
        Assert.Equal(peerLocal.Address, announced.Address);
        Assert.Equal(peerLocal.Port, announced.Port);

        if (!peerSpeaksFirst)
        {
            await peerStream.WriteAsync(fromPeer, Ct);
        }

        var got = new byte[fromPeer.Length];
        await tunnel.Stream.ReadExactlyAsync(got, Ct);
        Assert.Equal(fromPeer, got);

        byte[] fromBinder = Encoding.ASCII.GetBytes("hello-from-binder-" + Guid.NewGuid().ToString("N"));
        await tunnel.Stream.WriteAsync(fromBinder, Ct);
        await tunnel.Stream.FlushAsync(Ct);
        got = new byte[fromBinder.Length];
        await peerStream.ReadExactlyAsync(got, Ct);
        Assert.Equal(fromBinder, got);

        // Half-close each way: the binder's FIN reaches the peer, which can still answer; then the peer's FIN.
        tunnel.ShutdownWrite();
        Assert.Equal(0, await peerStream.ReadAsync(new byte[16], Ct));
        await peerStream.WriteAsync("after-fin"u8.ToArray(), Ct);
        got = new byte["after-fin".Length];
        await tunnel.Stream.ReadExactlyAsync(got, Ct);
        Assert.Equal("after-fin"u8.ToArray(), got);
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await tunnel.Stream.ReadAsync(new byte[16], Ct));
    }

    /// <summary>
    /// Asserts <paramref name="action"/> fails with a <see cref="Socks5Exception"/> of <paramref name="failure"/> and
    /// <paramref name="replyCode"/>, and promptly: well before the client's own handshake timeout, so no hang was hidden.
    /// </summary>
    protected static async Task<Socks5Exception> AssertFailsAsync(Func<Task> action, HandshakeFailure failure, ReplyCode? replyCode)
    {
        var clock = Stopwatch.StartNew();
        Socks5Exception e = await Assert.ThrowsAsync<Socks5Exception>(action);
        Assert.True(clock.Elapsed < ClientTimeout / 2, $"took {clock.Elapsed.TotalSeconds:0.00} s: {e.Message}");
        Assert.True(e.Failure == failure, $"{e.Failure} ≠ {failure}: {e.Message}");
        Assert.True(e.ReplyCode == replyCode, $"REP {e.ReplyCode} ≠ {replyCode}: {e.Message}");
        return e;
    }

    /// <summary>A wrong password: <see cref="HandshakeFailure.AuthenticationFailed"/> with the server's RFC 1929 status.</summary>
    protected async Task AssertWrongPasswordAsync(IPEndPoint proxy, byte status, EndPoint target)
    {
        Socks5Client client = Client(proxy, User, "not-" + Password);
        Socks5Exception e = await AssertFailsAsync(() => client.ConnectAsync(target, Ct), HandshakeFailure.AuthenticationFailed, null);
        Assert.Equal(status, e.UsernamePasswordStatus);
        Assert.Equal(AuthenticationMethod.UsernamePassword, e.SelectedMethod);
        Assert.Contains($"status 0x{status:X2}", e.Message, StringComparison.Ordinal);
    }
}
