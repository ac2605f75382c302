using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Socks5.Protocol.Server;

namespace Socks5.Protocol.Chaos;

/// <summary>Which end of a tunnel the run resets mid-transfer.</summary>
internal enum Kill
{
    None,
    Client,
    Target,
}

/// <summary>
/// One tunnel: its plan (sizes each way, which end is reset and when) and what both ends saw (counts and SHA-256 of the
/// bytes sent and received each way), filled in by <see cref="RunClientAsync"/> and <see cref="ServeTargetAsync"/>.
/// </summary>
internal sealed class Tunnel
{
    /// <summary>The client's first bytes: the tunnel id and both sizes, so that the target knows whose stream to send.</summary>
    public const int HeaderSize = 20;

    private const int ChunkSize = 16 * 1024;

    public Tunnel(int id, long toTarget, long toClient, Kill kill, double killAt)
    {
        Id = id;
        ToTarget = toTarget;
        ToClient = toClient;
        Kill = kill;
        KillAt = killAt;
    }

    public int Id { get; }

    public long ToTarget { get; }

    public long ToClient { get; }

    public Kill Kill { get; }

    /// <summary>The fraction of its bytes the killed end moves before its reset.</summary>
    public double KillAt { get; }

    public byte[]? SentToTarget { get; private set; }

    public byte[]? ReceivedAtTarget { get; private set; }

    public long ReceivedAtTargetCount { get; private set; }

    public byte[]? SentToClient { get; private set; }

    public byte[]? ReceivedAtClient { get; private set; }

    public long ReceivedAtClientCount { get; private set; }

    /// <summary>When the killed end was reset (Stopwatch timestamp), 0 before.</summary>
    public long KilledAt { get; private set; }

    /// <summary>What went wrong on the harness's side of a tunnel that was not reset (a failed handshake, an exception).</summary>
    public string? Problem { get; set; }

    /// <summary>The server's report of this tunnel's connection, with when it came.</summary>
    public TaskCompletionSource<(Socks5ConnectionReport Report, long At)> Report { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Survives => Kill == Kill.None;

    /// <summary>
    /// Connects through the proxy (one of <paramref name="connecting"/>'s slots for the handshake), reports the client's
    /// port, waits for <paramref name="go"/>, then sends this tunnel's stream to the target and takes the target's.
    /// </summary>
    public async Task RunClientAsync(IPEndPoint proxy, IPEndPoint target, SemaphoreSlim connecting, Action<int> established, Task go, int seed, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        bool counted = false;
        try
        {
            await connecting.WaitAsync(cancellationToken);
            try
            {
                await socket.ConnectAsync(proxy, cancellationToken);
                established(((IPEndPoint)socket.LocalEndPoint!).Port);
                counted = true;
                await HandshakeAsync(socket, target, cancellationToken);
            }
            finally
            {
                connecting.Release();
            }

            await go.WaitAsync(cancellationToken);
            byte[] header = new byte[HeaderSize];
            BinaryPrimitives.WriteInt32BigEndian(header, Id);
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(4), ToTarget);
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(12), ToClient);
            long killAfter = Kill == Kill.Client ? (long)(ToTarget * KillAt) : -1;
            Task<byte[]?> sending = SendStreamAsync(socket, new SeededStream(Id, 0, seed), ToTarget, header, killAfter, cancellationToken);
            Task<(long, byte[]?)> receiving = ReceiveStreamAsync(socket, -1, cancellationToken);
            SentToTarget = await sending;
            (ReceivedAtClientCount, ReceivedAtClient) = await receiving;
        }
        catch (Exception ex) when (Kill == Kill.None)
        {
            Problem ??= "client: " + ex.GetType().Name + ": " + ex.Message;
        }
        catch (Exception)
        {
            // A tunnel that is reset ends with failures at either end; only the server's notice of it is checked.
        }
        finally
        {
            if (!counted)
            {
                established(0);
            }
        }
    }

    /// <summary>The target's end of a tunnel, on a connection the proxy made: reads the header, then both ways at once.</summary>
    public static async Task ServeTargetAsync(Socket socket, Tunnel[] tunnels, int seed, Action<string> violation, CancellationToken cancellationToken)
    {
        using (socket)
        {
            Tunnel? tunnel = null;
            try
            {
                byte[] header = new byte[HeaderSize];
                await ReceiveExactlyAsync(socket, header, cancellationToken);
                int id = BinaryPrimitives.ReadInt32BigEndian(header);
                tunnel = (uint)id < (uint)tunnels.Length ? tunnels[id] : null;
                if (tunnel is null
                    || BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(4)) != tunnel.ToTarget
                    || BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(12)) != tunnel.ToClient)
                {
                    violation($"a target got a header that is no tunnel's (id {id})");
                    return;
                }

                long killAfter = tunnel.Kill == Kill.Target ? (long)(tunnel.ToTarget * tunnel.KillAt) : -1;
                Task<byte[]?> sending = tunnel.SendStreamAsync(socket, new SeededStream(id, 1, seed), tunnel.ToClient, null, -1, cancellationToken);
                Task<(long, byte[]?)> receiving = tunnel.ReceiveStreamAsync(socket, killAfter, cancellationToken);
                (tunnel.ReceivedAtTargetCount, tunnel.ReceivedAtTarget) = await receiving;
                tunnel.SentToClient = await sending;
            }
            catch (Exception ex) when (tunnel is { Kill: Kill.None })
            {
                tunnel.Problem ??= "target: " + ex.GetType().Name + ": " + ex.Message;
            }
            catch (Exception)
            {
                // A reset tunnel, or a connection that never sent a header (its client failed; counted there).
            }
        }
    }

    // The SOCKS5 handshake by hand: no authentication, CONNECT to an IPv4 address; the reply names an IPv4 address.
    private static async Task HandshakeAsync(Socket socket, IPEndPoint target, CancellationToken cancellationToken)
    {
        await socket.SendAsync(new byte[] { 5, 1, 0 }, SocketFlags.None, cancellationToken);
        byte[] reply = new byte[10];
        await ReceiveExactlyAsync(socket, reply.AsMemory(0, 2), cancellationToken);
        if (reply[0] != 5 || reply[1] != 0)
        {
            throw new InvalidDataException($"method reply {reply[0]:X2} {reply[1]:X2}");
        }

        byte[] request = new byte[10];
        request[0] = 5;
        request[1] = 1; // CONNECT
        request[3] = 1; // IPv4
        target.Address.TryWriteBytes(request.AsSpan(4, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(8), (ushort)target.Port);
        await socket.SendAsync(request, SocketFlags.None, cancellationToken);
        await ReceiveExactlyAsync(socket, reply, cancellationToken);
        if (reply[1] != 0)
        {
            throw new InvalidDataException($"CONNECT reply X'{reply[1]:X2}'");
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (buffer.Length > 0)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("the connection ended early");
            }

            buffer = buffer[read..];
        }
    }

    // Sends count bytes of the stream (after the prefix, which is not hashed), then a FIN; or, with killAfter, resets the
    // connection once that many have been sent. Returns the SHA-256 of what was sent, null when reset.
    private async Task<byte[]?> SendStreamAsync(Socket socket, SeededStream stream, long count, byte[]? prefix, long killAfter, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (prefix is not null)
        {
            await socket.SendAsync(prefix, SocketFlags.None, cancellationToken);
        }

        byte[] buffer = new byte[ChunkSize];
        for (long sent = 0; sent < count;)
        {
            if (killAfter >= 0 && sent >= killAfter)
            {
                Reset(socket);
                return null;
            }

            stream.Fill(buffer);
            int n = (int)Math.Min(ChunkSize, count - sent);
            hash.AppendData(buffer, 0, n);
            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cancellationToken);
            sent += n;
        }

        if (killAfter >= 0)
        {
            Reset(socket);
            return null;
        }

        socket.Shutdown(SocketShutdown.Send);
        return hash.GetHashAndReset();
    }

    // Receives up to the peer's FIN, or resets the connection once killAfter bytes have come. Returns the count and the
    // SHA-256 of what came.
    private async Task<(long Count, byte[]? Hash)> ReceiveStreamAsync(Socket socket, long killAfter, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[ChunkSize];
        long count = 0;
        while (true)
        {
            if (killAfter >= 0 && count >= killAfter)
            {
                Reset(socket);
                return (count, null);
            }

            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return (count, hash.GetHashAndReset());
            }

            hash.AppendData(buffer, 0, read);
            count += read;
        }
    }

    // An abortive close: SO_LINGER with a zero time makes close(2) send an RST instead of a FIN.
    private void Reset(Socket socket)
    {
        KilledAt = Stopwatch.GetTimestamp();
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
