using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Socks5.Protocol.EndToEnd;

/// <summary>Raw sockets on loopback: connecting, and a CONNECT handshake written byte for byte (the same for every proxy).</summary>
internal static class Loopback
{
    public static Socket NewSocket() => new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    public static Socket Listen(int backlog = 4096)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(backlog);
        return listener;
    }

    public static IPEndPoint EndPointOf(Socket listener) => (IPEndPoint)listener.LocalEndPoint!;

    /// <summary>Opens a tunnel: through <paramref name="proxy"/> when it speaks SOCKS5, straight to it otherwise (socat, or none).</summary>
    public static async Task<Socket> OpenAsync(Proxy? proxy, IPEndPoint target, CancellationToken cancellationToken)
    {
        if (proxy is null)
        {
            return await ConnectAsync(target, cancellationToken);
        }

        Socket socket = await ConnectAsync(proxy.EndPoint, cancellationToken);
        if (!proxy.SpeaksSocks)
        {
            return socket;
        }

        try
        {
            await HandshakeAsync(socket, target, new byte[16], cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        Socket socket = NewSocket();
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Greeting (no authentication), then CONNECT to an IPv4 literal, each step waiting for its answer (some servers,
    /// microsocks among them, drop bytes sent ahead of their turn).
    /// </summary>
    public static async Task HandshakeAsync(Socket socket, IPEndPoint target, byte[] scratch, CancellationToken cancellationToken)
    {
        scratch[0] = 5;
        scratch[1] = 1;
        scratch[2] = 0;
        await SendAllAsync(socket, scratch.AsMemory(0, 3), cancellationToken);
        await ReceiveExactlyAsync(socket, scratch.AsMemory(0, 2), cancellationToken);
        if (scratch[0] != 5 || scratch[1] != 0)
        {
            throw new IOException($"method selection {scratch[0]:X2} {scratch[1]:X2}");
        }

        scratch[0] = 5;
        scratch[1] = 1;
        scratch[2] = 0;
        scratch[3] = 1;
        target.Address.TryWriteBytes(scratch.AsSpan(4, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(scratch.AsSpan(8, 2), (ushort)target.Port);
        await SendAllAsync(socket, scratch.AsMemory(0, 10), cancellationToken);
        // Every server here answers CONNECT with an IPv4 BND: 10 bytes.
        await ReceiveExactlyAsync(socket, scratch.AsMemory(0, 10), cancellationToken);
        if (scratch[0] != 5 || scratch[1] != 0 || scratch[3] != 1)
        {
            throw new IOException($"CONNECT reply {scratch[0]:X2} {scratch[1]:X2} {scratch[2]:X2} {scratch[3]:X2}");
        }
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    public static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException("closed early");
            }

            buffer = buffer[read..];
        }
    }

    /// <summary>Closes with a reset, so that neither side keeps a TIME_WAIT entry (thousands of handshakes a second).</summary>
    public static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }

        socket.Dispose();
    }
}

/// <summary>The bulk target: accepts one connection at a time and reads and discards until it has seen the expected count.</summary>
internal sealed class BulkSink : IDisposable
{
    private readonly Socket _listener = Loopback.Listen();

    public IPEndPoint EndPoint => Loopback.EndPointOf(_listener);

    public Task<Socket> AcceptAsync(CancellationToken cancellationToken) => _listener.AcceptAsync(cancellationToken).AsTask();

    /// <summary>Reads until <paramref name="expected"/> bytes have arrived: the moment the transfer is complete.</summary>
    public async Task<long> DrainAsync(Socket socket, long expected, CancellationToken cancellationToken)
    {
        // A buffer per call: several tunnels drain at once in the scale runs.
        byte[] buffer = new byte[128 * 1024];
        long total = 0;
        while (total < expected)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"the sink saw the end after {total} of {expected} bytes");
            }

            total += read;
        }

        return total;
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>The handshake target: accepts and closes at once, on two accept loops.</summary>
internal sealed class AcceptCloseTarget : LoopbackServer
{
    public AcceptCloseTarget()
        : base(acceptLoops: 2)
    {
    }

    protected override void OnAccepted(Socket socket) => socket.Dispose();
}

/// <summary>
/// The idle-tunnel target: for each connection reads <see cref="ExchangeBytes"/>, echoes them, then holds the connection
/// open and silent until <see cref="CloseAll"/>.
/// </summary>
internal sealed class EchoOnceHoldTarget : LoopbackServer
{
    public const int ExchangeBytes = 1024;
    private readonly ConcurrentBag<Socket> _held = new();

    public void CloseAll()
    {
        while (_held.TryTake(out Socket? socket))
        {
            socket.Dispose();
        }
    }

    protected override void OnAccepted(Socket socket)
    {
        _held.Add(socket);
        _ = EchoOnceAsync(socket);
    }

    protected override void OnStopped() => CloseAll();

    private async Task EchoOnceAsync(Socket socket)
    {
        try
        {
            byte[] buffer = new byte[ExchangeBytes];
            await Loopback.ReceiveExactlyAsync(socket, buffer, Stopping);
            await Loopback.SendAllAsync(socket, buffer, Stopping);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            // Closed while the benchmark ended.
        }
    }
}
