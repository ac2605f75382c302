using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>
/// The destinations the peers are asked to reach, all in this process, each on one free port on both 127.0.0.1 and
/// ::1 (so that <c>localhost</c> works whichever family a peer resolves it to): a TCP echo, an HTTP/1.0 server that
/// answers every request with <see cref="HttpBody"/> and closes, and a UDP echo that answers <c>echo:</c> + payload.
/// The client scripts in Interop/Clients check for exactly these answers. Started once per test run; they die with
/// the test process.
/// </summary>
public sealed class LoopbackTargets : IDisposable
{
    public const string HttpBody = "hello-from-loopback-http\n";

    private static readonly Lazy<LoopbackTargets> LazyShared = new(() => new LoopbackTargets());

    private readonly CancellationTokenSource _stop = new();
    private readonly List<IDisposable> _sockets = [];

    private LoopbackTargets()
    {
        EchoPort = StartTcp(HandleEchoAsync);
        HttpPort = StartTcp(HandleHttpAsync);
        UdpEchoPort = StartUdpEcho();
    }

    public static LoopbackTargets Shared => LazyShared.Value;

    public int EchoPort { get; }

    public int HttpPort { get; }

    public int UdpEchoPort { get; }

    public IPEndPoint Echo4 => new(IPAddress.Loopback, EchoPort);

    public IPEndPoint Echo6 => new(IPAddress.IPv6Loopback, EchoPort);

    public IPEndPoint UdpEcho4 => new(IPAddress.Loopback, UdpEchoPort);

    public IPEndPoint UdpEcho6 => new(IPAddress.IPv6Loopback, UdpEchoPort);

    public string HttpUrl4 => $"http://127.0.0.1:{HttpPort}/hello.txt";

    public string HttpUrl6 => $"http://[::1]:{HttpPort}/hello.txt";

    public string HttpUrlLocalhost => $"http://localhost:{HttpPort}/hello.txt";

    /// <summary>A raw HTTP/1.0 request for the HTTP target, for clients that pipe stdin into the tunnel.</summary>
    public static byte[] HttpRequest => "GET /hello.txt HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray();

    /// <summary>The whole answer of the HTTP target (head and <see cref="HttpBody"/>), to every request.</summary>
    public static byte[] HttpResponse { get; } = Encoding.ASCII.GetBytes(
        $"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {HttpBody.Length}\r\nConnection: close\r\n\r\n{HttpBody}");

    public void Dispose()
    {
        _stop.Cancel();
        foreach (IDisposable socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private static async Task HandleEchoAsync(Socket connection, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await connection.ReceiveAsync(buffer, ct)) > 0)
        {
            await connection.SendAsync(buffer.AsMemory(0, read), ct);
        }
    }

    private static async Task HandleHttpAsync(Socket connection, CancellationToken ct)
    {
        var request = new List<byte>();
        var buffer = new byte[4096];
        while (!request.ToArray().AsSpan().EndsWith("\r\n\r\n"u8) && request.Count < 64 * 1024)
        {
            int read = await connection.ReceiveAsync(buffer, ct);
            if (read == 0)
            {
                return;
            }

            request.AddRange(buffer.AsSpan(0, read));
        }

        await connection.SendAsync(HttpResponse, ct);
        connection.Shutdown(SocketShutdown.Send);
    }

    private int StartTcp(Func<Socket, CancellationToken, Task> handler)
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = Loopback.GetFreePort(ipv6Too: true);
            try
            {
                foreach (IPAddress address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
                {
                    var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    _sockets.Add(listener);
                    listener.Bind(new IPEndPoint(address, port));
                    listener.Listen(64);
                    _ = AcceptLoopAsync(listener, handler);
                }

                return port;
            }
            catch (SocketException) when (attempt < 10)
            {
                // Taken between the probe and the bind: try another.
            }
        }
    }

    private async Task AcceptLoopAsync(Socket listener, Func<Socket, CancellationToken, Task> handler)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (connection)
                {
                    try
                    {
                        await handler(connection, _stop.Token);
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                    {
                        // The test side went away.
                    }
                }
            });
        }
    }

    private int StartUdpEcho()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = Loopback.GetFreePort(ipv6Too: true, udpToo: true);
            try
            {
                foreach (IPAddress address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    _sockets.Add(socket);
                    socket.Bind(new IPEndPoint(address, port));
                    _ = UdpEchoLoopAsync(socket);
                }

                return port;
            }
            catch (SocketException) when (attempt < 10)
            {
                // Taken between the probe and the bind: try another.
            }
        }
    }

    private async Task UdpEchoLoopAsync(Socket socket)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                SocketReceiveFromResult result = await socket.ReceiveFromAsync(buffer, any, _stop.Token);
                byte[] reply = "echo:"u8.ToArray().Concat(buffer.AsSpan(0, result.ReceivedBytes).ToArray()).ToArray();
                await socket.SendToAsync(reply, result.RemoteEndPoint, _stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (_stop.IsCancellationRequested || e is ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }
}
