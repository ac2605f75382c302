using System.Collections.Concurrent;
using System.Net;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.Tests.Server;

/// <summary>A <see cref="Socks5Server"/> on free loopback ports (127.0.0.1 and ::1), with its reports collected.</summary>
public sealed class TestServer : IDisposable
{
    public TestServer(Action<Socks5ServerOptions>? configure = null)
    {
        Options = new Socks5ServerOptions();
        Options.ListenEndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        Options.ListenEndPoints.Add(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        Options.ConnectionClosed = Reports.Enqueue;
        configure?.Invoke(Options);
        Server = new Socks5Server(Options);
        Server.Start();
    }

    public Socks5ServerOptions Options { get; }

    public Socks5Server Server { get; }

    public ConcurrentQueue<Socks5ConnectionReport> Reports { get; } = new();

    public IPEndPoint EndPoint4 => Server.LocalEndPoints[0];

    public IPEndPoint EndPoint6 => Server.LocalEndPoints[1];

    /// <summary>Waits until <paramref name="count"/> connections have reported (reports come after the connection closes).</summary>
    public async Task<Socks5ConnectionReport[]> WaitForReportsAsync(int count, TimeSpan? timeout = null)
    {
        DateTime until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (Reports.Count < count && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        return Reports.ToArray();
    }

    public void Dispose() => Server.Dispose();
}
