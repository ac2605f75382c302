using System.Buffers;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>A whole no-auth CONNECT handshake through both engines allocates nothing once the engines exist.</summary>
public class EngineAllocationTests
{
    [Fact]
    public void Connect_handshake_through_both_engines_allocates_nothing_in_steady_state()
    {
        var options = new Socks5ServerEngineOptions();
        var server = new Socks5ServerEngine(options);
        var toServer = new ArrayBufferWriter<byte>(512);
        var toClient = new ArrayBufferWriter<byte>(512);
        byte[] ip = { 127, 0, 0, 1 };
        byte[] zero = new byte[4];
        var clients = new Socks5ClientEngine[1100];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = new Socks5ClientEngine(Command.Connect, new Socks5EndPoint(AddressType.IPv4, ip, 8000));
        }

        for (int i = 0; i < 100; i++)
        {
            Handshake(clients[i], server, toServer, toClient, zero);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 100; i < clients.Length; i++)
        {
            Handshake(clients[i], server, toServer, toClient, zero);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    private static void Handshake(Socks5ClientEngine client, Socks5ServerEngine server, ArrayBufferWriter<byte> toServer, ArrayBufferWriter<byte> toClient, byte[] zero)
    {
        server.Reset();
        toServer.Clear();
        toClient.Clear();
        client.Start(toServer);
        Assert.True(server.Process(toServer.WrittenSpan, toClient, out _) == ServerEvent.NeedMoreData);
        toServer.Clear();
        client.Process(toClient.WrittenSpan, toServer, out _);
        toClient.Clear();
        Assert.True(server.Process(toServer.WrittenSpan, toClient, out _) == ServerEvent.RequestReceived);
        Assert.True(server.Request.Command == Command.Connect);
        server.Reply(ReplyCode.Succeeded, new Socks5EndPoint(AddressType.IPv4, zero, 0), toClient);
        Assert.True(client.Process(toClient.WrittenSpan, toServer, out _) == ClientEvent.Established);
    }
}
