using System.Net.Sockets;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Tests.Transport;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Server;

/// <summary>
/// The whole server when the relay's buffer rents fail (memory running out): tunnels through it end, but no byte ever
/// reaches another tunnel's peer, and each failed tunnel's report says why. And the server's relay buffer budget, which
/// keeps memory from running short in the first place.
/// </summary>
public class ServerMemoryPressureTests
{
    private static CancellationToken Failsafe() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    [Fact]
    public async Task Tunnels_through_a_server_whose_rents_fail_never_cross_and_their_reports_say_why()
    {
        var pool = new FailingPool(failEvery: 3);
        using var server = new TestServer(o =>
        {
            o.RelayBufferPool = pool;
            o.RelaySplice = false; // the failing rents are the copying path's growing buffers
        });
        const int tunnels = 16;
        (string?[] foreign, Socks5ConnectionReport[] reports) = await EchoTaggedTunnelsAsync(server, tunnels);

        Assert.All(foreign, f => Assert.Null(f));
        Assert.True(pool.Failures > 0, "the pool never failed a rent: the test proved nothing");
        Assert.Empty(pool.Violations);
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(tunnels, reports.Length);
        Assert.All(reports, r => Assert.Equal(ReplyCode.Succeeded, r.ReplyCode));
        Assert.Contains(reports, r => r.Error is OutOfMemoryException);
        Assert.All(reports, r => Assert.True(r.Error is null or OutOfMemoryException or SocketException, r.Error?.ToString()));
    }

    [Fact]
    public async Task A_servers_tunnels_charge_its_own_relay_budget_within_its_limit_and_give_it_all_back()
    {
        using var server = new TestServer(o =>
        {
            o.RelayBufferBudget = 256 * 1024;
            o.RelaySplice = false; // the budget bounds the copying path's growing buffers; spliced bursts hold none
        });
        (string?[] foreign, Socks5ConnectionReport[] reports) = await EchoTaggedTunnelsAsync(server, 8);

        Assert.All(foreign, f => Assert.Null(f));
        Assert.All(reports, r => Assert.True(r.Succeeded, r.Error?.ToString()));
        RelayBufferBudget budget = server.Server.RelayBudget;
        Assert.NotSame(RelayBufferBudget.Shared, budget);
        Assert.True(budget.Peak > 0, "no tunnel grew its buffer: the server's tunnels did not charge its budget");
        Assert.True(budget.Peak <= 256 * 1024);
        Assert.Equal(0, budget.InUse);
    }

    // Tunnels at once, each through EchoTaggedAsync; then the server's reports of them all.
    private static async Task<(string?[] Foreign, Socks5ConnectionReport[] Reports)> EchoTaggedTunnelsAsync(TestServer server, int tunnels)
    {
        var runs = new Task<string?>[tunnels];
        for (int i = 0; i < tunnels; i++)
        {
            runs[i] = EchoTaggedAsync(server, i);
        }

        string?[] foreign = await Task.WhenAll(runs).WaitAsync(Failsafe());
        return (foreign, await server.WaitForReportsAsync(tunnels, TimeSpan.FromSeconds(60)));
    }

    // A CONNECT to the loopback echo server, then a tagged megabyte sent while the echo is read back and compared.
    // Returns null when every byte that came back was this tunnel's own, in order (all of them, or a prefix when the
    // tunnel was closed under it).
    private static async Task<string?> EchoTaggedAsync(TestServer server, int id)
    {
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Failsafe());
        ReplyInfo reply = await client.RequestAsync(Command.Connect, LoopbackTargets.Shared.Echo4, Failsafe());
        Assert.Equal(ReplyCode.Succeeded, reply.ReplyCode);
        byte[] sent = RelayFailureTests.Tagged(id, 0);
        Task sending = SendAsync(client.Socket, sent);
        byte[] buffer = new byte[64 * 1024];
        int count = 0;
        try
        {
            int read;
            while (count < sent.Length && (read = await client.Socket.ReceiveAsync(buffer, SocketFlags.None, Failsafe())) > 0)
            {
                if (count + read > sent.Length || !buffer.AsSpan(0, read).SequenceEqual(sent.AsSpan(count, read)))
                {
                    return $"tunnel {id}: bytes at offset {count} are not the ones it sent";
                }

                count += read;
            }
        }
        catch (SocketException)
        {
            // Reset under the read: what came before was checked.
        }

        await sending;
        return null;
    }

    private static async Task SendAsync(Socket socket, byte[] data)
    {
        try
        {
            await socket.SendAsync(data, SocketFlags.None, Failsafe());
        }
        catch (SocketException)
        {
            // The server closed the tunnel under the send.
        }
    }
}
