using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Internal;
using Socks5.Protocol.Tests.Interop;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Server;

public sealed class KeepAliveTests
{
    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private static (bool On, int Idle, int Interval, int Count) Read(Socket socket) => (
        (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)! != 0,
        (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!,
        (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!,
        (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!);

    [Fact]
    public void SetKeepAlive_sets_the_probe_times_and_zero_or_infinite_leave_it_off()
    {
        using var on = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Platform.SetKeepAlive(on, TimeSpan.FromMinutes(5));
        Assert.Equal((true, 300, 60, 5), Read(on));

        foreach (TimeSpan off in new[] { TimeSpan.Zero, System.Threading.Timeout.InfiniteTimeSpan })
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            Platform.SetKeepAlive(socket, off);
            Assert.Equal(0, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        }
    }

    // The server sets NoDelay and keepalive once on its listeners where accepted sockets inherit them (Linux), and on each
    // accepted socket elsewhere: this is the kernel behaviour it counts on.
    [Fact]
    public async Task Where_the_platform_says_so_an_accepted_socket_has_the_listeners_nodelay_and_keepalive()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.NoDelay = true;
        Platform.SetKeepAlive(listener, TimeSpan.FromSeconds(170));
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, Timeout());
        using Socket accepted = await listener.AcceptAsync(Timeout());

        Assert.Equal(OperatingSystem.IsLinux(), Platform.AcceptedSocketsInheritOptions);
        if (Platform.AcceptedSocketsInheritOptions)
        {
            Assert.True(accepted.NoDelay);
            Assert.Equal((true, 170, 34, 5), Read(accepted));
        }
    }

    [Fact]
    public void Keepalive_is_on_by_default_for_five_minutes()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), new Socks5.Protocol.Server.Socks5ServerOptions().TcpKeepAlive);
    }

    [Theory]
    [InlineData(120, true)]
    [InlineData(0, false)]
    public async Task The_server_sets_keepalive_on_the_socket_a_custom_dialer_returns(int seconds, bool expected)
    {
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        target.Listen(1);
        Socket? dialed = null;
        using var server = new TestServer(o =>
        {
            o.TcpKeepAlive = TimeSpan.FromSeconds(seconds);
            o.Dialer = async (destination, ct) =>
            {
                // Loopback only: whatever was asked, the test's own listener is dialed.
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(target.LocalEndPoint!, ct);
                dialed = socket;
                return socket;
            };
        });

        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, (IPEndPoint)target.LocalEndPoint!, Timeout())).ReplyCode);
        using Socket accepted = await target.AcceptAsync(Timeout());
        Assert.NotNull(dialed);
        if (expected)
        {
            Assert.Equal((true, seconds, seconds / 5, 5), Read(dialed!));
        }
        else
        {
            Assert.Equal(0, (int)dialed!.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        }
    }

    // The kernel's view of an IPv4 socket of this process (Linux): its timer column, 2 while the keepalive timer is armed
    // and 0 when no timer is (an idle socket without keepalive). The server's own sockets cannot be reached otherwise.
    private static int? TimerOf(IPEndPoint local, IPEndPoint remote)
    {
        static string Hex(IPEndPoint e) => $"{BitConverter.ToUInt32(e.Address.GetAddressBytes()):X8}:{e.Port:X4}";
        foreach (string line in File.ReadLines("/proc/self/net/tcp").Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f[1] == Hex(local) && f[2] == Hex(remote))
            {
                return Convert.ToInt32(f[5].Split(':')[0], 16);
            }
        }

        return null;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Both_legs_of_a_CONNECT_get_keepalive_from_the_default_dialer_and_the_accept(bool on)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the check reads /proc
        }

        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        target.Listen(1);
        using var server = new TestServer(o => o.TcpKeepAlive = on ? TimeSpan.FromMinutes(5) : TimeSpan.Zero);
        using RawSocks5Client client = await RawSocks5Client.OpenAsync(server.EndPoint4, Timeout());
        Assert.Equal(ReplyCode.Succeeded, (await client.RequestAsync(Command.Connect, (IPEndPoint)target.LocalEndPoint!, Timeout())).ReplyCode);
        using Socket accepted = await target.AcceptAsync(Timeout());

        // The server's end of the client's connection, and its end of the target's.
        var clientLeg = (Local: (IPEndPoint)client.Socket.RemoteEndPoint!, Remote: (IPEndPoint)client.Socket.LocalEndPoint!);
        var targetLeg = (Local: (IPEndPoint)accepted.RemoteEndPoint!, Remote: (IPEndPoint)accepted.LocalEndPoint!);
        int expected = on ? 2 : 0;
        await ServerTests.WaitUntil(() => TimerOf(clientLeg.Local, clientLeg.Remote) == expected && TimerOf(targetLeg.Local, targetLeg.Remote) == expected);
    }
}
