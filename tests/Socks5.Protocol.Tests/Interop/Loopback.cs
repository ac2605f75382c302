using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>Free loopback ports, and waiting for a peer to listen.</summary>
public static class Loopback
{
    /// <summary>
    /// A port that was free just now on 127.0.0.1 (and on ::1 when <paramref name="ipv6Too"/>, and for UDP as well
    /// when <paramref name="udpToo"/>): bind port 0, read the port, close.
    /// </summary>
    public static int GetFreePort(bool ipv6Too = false, bool udpToo = false)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)first.LocalEndPoint!).Port;
            if ((!ipv6Too || CanBind(IPAddress.IPv6Loopback, port, SocketType.Stream))
                && (!udpToo || CanBind(IPAddress.Loopback, port, SocketType.Dgram))
                && (!udpToo || !ipv6Too || CanBind(IPAddress.IPv6Loopback, port, SocketType.Dgram)))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no free loopback port found");
    }

    /// <summary>
    /// Polls until something accepts TCP connections on <paramref name="address"/>:<paramref name="port"/>.
    /// Fails early, with the peer's log, when <paramref name="process"/> exits first.
    /// </summary>
    public static async Task WaitForTcpAsync(IPAddress address, int port, TimeSpan timeout, PeerProcess? process = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using (var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
            using (var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
            {
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, port), attempt.Token);
                    return;
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    // Not yet.
                }
            }

            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"{process.Name} exited before listening on {address}:{port}\n{process.LogTail()}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"nothing listens on {address}:{port} after {timeout.TotalSeconds} s\n{process?.LogTail()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Polls until <paramref name="path"/> exists (a unix socket, a pid file).</summary>
    public static async Task WaitForFileAsync(string path, TimeSpan timeout, PeerProcess? process = null)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(path))
        {
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"{process.Name} exited before creating {path}\n{process.LogTail()}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{path} did not appear after {timeout.TotalSeconds} s\n{process?.LogTail()}");
            }

            await Task.Delay(50);
        }
    }

    private static bool CanBind(IPAddress address, int port, SocketType type)
    {
        using var socket = new Socket(address.AddressFamily, type, type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
