using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Support;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>The UDP association against a scripted server and a hand-driven relay socket.</summary>
public class ClientUdpFakeTests
{
    [Fact]
    public Task Headers_are_exact_and_foreign_or_fragmented_datagrams_are_dropped() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        using var relay = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        relay.Bind(Loop.At(0));
        var relayEndPoint = (IPEndPoint)relay.LocalEndPoint!;

        Task<Socks5UdpAssociation> associating = proxy.Client().AssociateUdpAsync();
        using FakeConnection server = await proxy.AcceptAsync();
        IPEndPoint told = await AnswerAssociateAsync(server, relayEndPoint);

        using Socks5UdpAssociation association = await associating;
        // The request named the UDP socket's real address (danted and hpsockd relay only from it).
        Assert.Equal(IPAddress.Loopback, told.Address);
        Assert.Equal(association.LocalEndPoint, told);
        Assert.Equal(relayEndPoint, association.RelayEndPoint);

        Assert.Equal(4, await association.SendToAsync("ping"u8.ToArray(), Loop.At(9999)));
        byte[] datagram = new byte[100];
        SocketReceiveFromResult got = await relay.ReceiveFromAsync(datagram, SocketFlags.None, Loop.At(0));
        Assert.Equal(told, got.RemoteEndPoint);
        Assert.Equal(Hex.Format(Hex.Parse("000000 01 7f000001 270f 70696e67")), Hex.Format(datagram.AsSpan(0, got.ReceivedBytes)));

        // From someone other than the relay: dropped, even with a valid header.
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(Loop.At(0));
        await stranger.SendToAsync(Hex.Parse("000000 01 7f000001 270f").Concat("evil"u8.ToArray()).ToArray(), SocketFlags.None, told);
        // From the relay but a fragment, then malformed (RSV not 0): dropped.
        await relay.SendToAsync(Hex.Parse("000001 01 7f000001 270f").Concat("frag"u8.ToArray()).ToArray(), SocketFlags.None, told);
        await relay.SendToAsync(Hex.Parse("010000 01 7f000001 270f").Concat("bad!"u8.ToArray()).ToArray(), SocketFlags.None, told);
        // The real answer, from a domain-name source.
        await relay.SendToAsync(Hex.Parse("000000 03 09" + Hex.Format("localhost"u8) + "0035").Concat("pong"u8.ToArray()).ToArray(), SocketFlags.None, told);

        byte[] buffer = new byte[16];
        Socks5UdpReceiveResult result = await association.ReceiveFromAsync(buffer);
        Assert.Equal("pong", Encoding.ASCII.GetString(buffer, 0, result.ReceivedBytes));
        Assert.Equal(new DnsEndPoint("localhost", 53), result.RemoteEndPoint);

        // The proxy closes the control connection: the association ends, and a waiting receive fails.
        Task<Socks5UdpReceiveResult> waiting = association.ReceiveFromAsync(buffer).AsTask();
        server.ShutdownSend();
        await association.Completion;
        var ex = await Assert.ThrowsAsync<Socks5Exception>(() => waiting);
        Assert.Contains("proxy closed its control connection", ex.Message);
    });

    [Fact]
    public Task An_unspecified_relay_address_means_the_proxys_address_and_dispose_closes_both() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5UdpAssociation> associating = proxy.Client().AssociateUdpAsync();
        using FakeConnection server = await proxy.AcceptAsync();
        await AnswerAssociateAsync(server, new IPEndPoint(IPAddress.Any, 4444));

        Socks5UdpAssociation association = await associating;
        Assert.Equal(Loop.At(4444), association.RelayEndPoint);

        // A cancelled receive leaves the association usable.
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => association.ReceiveFromAsync(new byte[4], cancel.Token).AsTask());
        }

        Assert.False(association.Completion.IsCompleted);
        association.Dispose();
        await server.AssertClientClosedAsync();
        await association.Completion;
        await Assert.ThrowsAsync<ObjectDisposedException>(() => association.ReceiveFromAsync(new byte[4]).AsTask());
    });

    // Reads the greeting and the UDP ASSOCIATE request, answers with the relay's address, and returns DST of the request.
    private static async Task<IPEndPoint> AnswerAssociateAsync(FakeConnection server, IPEndPoint relay)
    {
        await server.ExpectAsync("05 01 00");
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 03 00 01");
        byte[] dst = await server.ReadExactlyAsync(6);
        byte[] reply = [0x05, 0x00, 0x00, 0x01, .. relay.Address.GetAddressBytes(), (byte)(relay.Port >> 8), (byte)relay.Port];
        await server.SendAsync(reply);
        return new IPEndPoint(new IPAddress(dst.AsSpan(0, 4)), BinaryPrimitives.ReadUInt16BigEndian(dst.AsSpan(4)));
    }
}
