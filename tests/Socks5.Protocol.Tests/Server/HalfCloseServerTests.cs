using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Server;

/// <summary>The server ends a tunnel whose one direction finished while the other never does, after HalfCloseTimeout.</summary>
public sealed class HalfCloseServerTests
{
    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task A_tunnel_the_target_never_finishes_ends_60_seconds_after_the_clients_FIN_by_default()
    {
        var clock = new ManualTimeProvider();
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        target.Listen(1);
        using var server = new TestServer(o => o.TimeProvider = clock);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, (IPEndPoint)target.LocalEndPoint!, Timeout())).ReplyCode);
        using Socket accepted = await target.AcceptAsync(Timeout());
        await ServerTests.WaitUntil(() => clock.PendingTimers == 0); // the handshake's and the dial's are over

        // The client finishes; the target reads the FIN and never finishes its own direction.
        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await accepted.ReceiveAsync(new byte[1], SocketFlags.None, Timeout()));
        await ServerTests.WaitUntil(() => clock.PendingTimers == 1); // the half-close bound's

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, server.Server.Statistics.Active);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(await client.ReadToEndAsync(Timeout())); // closed by the server
        Assert.Single(await server.WaitForReportsAsync(1));
    }
}
