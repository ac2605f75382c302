using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.EndToEnd;

/// <summary>
/// The client side: how long opening a CONNECT tunnel takes with our <see cref="Socks5Client"/>, and a whole HTTP GET on a
/// new connection through HttpClient's built-in SOCKS5 versus HttpClient with our client plugged in as its
/// ConnectCallback, all against our server.
/// </summary>
internal static class ClientSide
{
    public const string RawTunnel = "tunnel: byte-for-byte handshake (the harness's own, the floor)";
    public const string OurTunnel = "tunnel: Socks5Client.ConnectAsync";
    public const string HttpBuiltIn = "HTTP GET: HttpClient built-in socks5:// proxy";
    public const string HttpOurs = "HTTP GET: HttpClient + Socks5Client ConnectCallback";

    /// <summary>The operations, each returning when done (and its connection closed).</summary>
    public static Dictionary<string, Func<Task>> Operations(Proxy ours, TinyHttpServer http, List<IDisposable> owned)
    {
        var socks = new Socks5Client(ours.EndPoint);
        var builtIn = new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy(new Uri($"socks5://{ours.EndPoint}")),
            UseProxy = true,
            // A new connection for every request: the tunnel is part of what is timed.
            PooledConnectionLifetime = TimeSpan.Zero,
        });
        var plugged = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }.UseSocks5(socks));
        owned.Add(builtIn);
        owned.Add(plugged);
        var url = new Uri($"http://{http.EndPoint}/");
        byte[] scratch = new byte[16];
        return new Dictionary<string, Func<Task>>
        {
            [RawTunnel] = async () =>
            {
                using Socket socket = await Loopback.ConnectAsync(ours.EndPoint, CancellationToken.None);
                await Loopback.HandshakeAsync(socket, http.EndPoint, scratch, CancellationToken.None);
            },
            [OurTunnel] = async () =>
            {
                using Socks5Tunnel tunnel = await socks.ConnectAsync(http.EndPoint);
            },
            [HttpBuiltIn] = async () => Check(await builtIn.GetStringAsync(url)),
            [HttpOurs] = async () => Check(await plugged.GetStringAsync(url)),
        };
    }

    /// <summary>Median time of one operation, in microseconds, over <paramref name="count"/> runs one after another.</summary>
    public static async Task<double> MedianMicrosecondsAsync(Func<Task> operation, int count, CancellationToken cancellationToken)
    {
        var times = new double[count];
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long start = Stopwatch.GetTimestamp();
            await operation();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000;
        }

        Array.Sort(times);
        return times[count / 2];
    }

    private static void Check(string body)
    {
        if (body != TinyHttpServer.Body)
        {
            throw new InvalidOperationException("unexpected HTTP body: " + body);
        }
    }
}

/// <summary>An HTTP/1.1 responder on loopback: reads a request head, answers <see cref="Body"/> and closes.</summary>
internal sealed class TinyHttpServer : LoopbackServer
{
    public const string Body = "ok";
    private static readonly byte[] Response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n{Body}");

    protected override void OnAccepted(Socket socket) => _ = AnswerAsync(socket);

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                byte[] buffer = new byte[4096];
                int filled = 0;
                while (filled < buffer.Length)
                {
                    int read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, Stopping);
                    if (read == 0)
                    {
                        return; // a tunnel opened and closed without a request
                    }

                    filled += read;
                    if (buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) >= 0)
                    {
                        await Loopback.SendAllAsync(socket, Response, Stopping);
                        socket.Shutdown(SocketShutdown.Send);
                        // Wait for the client's close so that the response is never cut by a reset.
                        while (await socket.ReceiveAsync(buffer, SocketFlags.None, Stopping) > 0)
                        {
                        }

                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
            {
            }
        }
    }
}
