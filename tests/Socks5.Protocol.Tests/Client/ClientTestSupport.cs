using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;
using Socks5.Protocol.Tests.Support;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>Every client test runs under this bound, so a hang fails instead of stalling the suite.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    public static Task Run(Func<Task> body) => body().WaitAsync(Limit);
}

/// <summary>
/// A scripted SOCKS5 server: a loopback listener whose connections the test drives byte by byte, asserting exactly what the
/// client sends and choosing exactly what it gets back.
/// </summary>
internal sealed class FakeProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public FakeProxy() => _listener.Start();

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public Socks5Client Client(Action<Socks5ClientOptions>? configure = null)
    {
        var options = new Socks5ClientOptions(EndPoint);
        configure?.Invoke(options);
        return new Socks5Client(options);
    }

    public async Task<FakeConnection> AcceptAsync()
    {
        Socket socket = await _listener.AcceptSocketAsync();
        socket.NoDelay = true;
        return new FakeConnection(socket);
    }

    public void Dispose() => _listener.Stop();
}

internal sealed class FakeConnection : IDisposable
{
    public FakeConnection(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    /// <summary>Reads exactly as many bytes as <paramref name="hex"/> names and asserts they are those bytes.</summary>
    public async Task ExpectAsync(string hex)
    {
        byte[] expected = Hex.Parse(hex);
        byte[] actual = await ReadExactlyAsync(expected.Length);
        Assert.Equal(Hex.Format(expected), Hex.Format(actual));
    }

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        byte[] buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await Socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            Assert.True(n > 0, $"The client closed after {read} of {count} expected bytes.");
            read += n;
        }

        return buffer;
    }

    public Task SendAsync(string hex) => SendAsync(Hex.Parse(hex));

    public async Task SendAsync(byte[] bytes)
    {
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += await Socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>One byte per send, with a pause so each lands in its own segment.</summary>
    public async Task SendByteByByteAsync(string hex)
    {
        foreach (byte b in Hex.Parse(hex))
        {
            await SendAsync(new[] { b });
            await Task.Delay(2);
        }
    }

    /// <summary>Reads until the client closes (FIN or reset) and returns what came before.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        var all = new MemoryStream();
        byte[] buffer = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = await Socket.ReceiveAsync(buffer, SocketFlags.None);
            }
            catch (SocketException)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    }

    /// <summary>Asserts the client released its socket: nothing more arrives and the connection ends.</summary>
    public async Task AssertClientClosedAsync() => Assert.Empty(await ReadToEndAsync());

    public void ShutdownSend() => Socket.Shutdown(SocketShutdown.Send);

    public void Dispose() => Socket.Dispose();
}

/// <summary>Loopback helpers shared by the client tests.</summary>
internal static class Loop
{
    public static IPEndPoint At(int port) => new(IPAddress.Loopback, port);

    /// <summary>A loopback port nothing listens on (it was free a moment ago).</summary>
    public static IPEndPoint ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        listener.Stop();
        return endPoint;
    }

    public static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    public static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        var all = new MemoryStream();
        await stream.CopyToAsync(all);
        return all.ToArray();
    }

    /// <summary>A TCP echo server on loopback: echoes each connection until its client half-closes, then half-closes too.</summary>
    public static (IPEndPoint EndPoint, IDisposable Stop) StartEcho()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptSocketAsync();
                }
                catch (Exception)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (socket)
                    {
                        byte[] buffer = new byte[4096];
                        try
                        {
                            int n;
                            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                            {
                                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                            }

                            socket.Shutdown(SocketShutdown.Send);
                        }
                        catch (SocketException)
                        {
                        }
                    }
                });
            }
        });
        return ((IPEndPoint)listener.LocalEndpoint, new Stopper(listener.Stop));
    }

    private sealed class Stopper(Action stop) : IDisposable
    {
        public void Dispose() => stop();
    }
}

/// <summary>
/// A <see cref="Socks5ClientOptions.Resolver"/> that answers every name from a script and remembers what it was asked;
/// nothing reaches DNS.
/// </summary>
internal sealed class RecordingResolver(Func<string, IPAddress[]> answer)
{
    private readonly ConcurrentQueue<string> _asked = new();

    public string[] Asked => _asked.ToArray();

    public ValueTask<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        _asked.Enqueue(host);
        return ValueTask.FromResult(answer(host));
    }
}
