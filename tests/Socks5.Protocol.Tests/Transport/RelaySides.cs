using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Pipelines;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>
/// Two connected loopback socket pairs for relay tests: the relay's ends as <see cref="SocketPipe"/>s (the client's
/// connection and the target's) and the sockets the test talks through on the far side of each.
/// </summary>
internal sealed record RelaySides(SocketPipe First, SocketPipe Second, Socket ClientSide, Socket TargetSide) : IDisposable
{
    public static async Task<RelaySides> OpenAsync()
    {
        (Socket a, Socket clientSide) = await PairAsync();
        (Socket b, Socket targetSide) = await PairAsync();
        return new RelaySides(new SocketPipe(a), new SocketPipe(b), clientSide, targetSide);
    }

    /// <summary>A connected pair of loopback sockets: the one the relay owns and the one the test talks through.</summary>
    public static async Task<(Socket Relayed, Socket Outside)> PairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var outside = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task<Socket> accept = listener.AcceptAsync();
        await outside.ConnectAsync(listener.LocalEndPoint!);
        return (await accept, outside);
    }

    public void Dispose()
    {
        ClientSide.Dispose();
        TargetSide.Dispose();
        Second.Dispose();
        First.Dispose();
    }
}
