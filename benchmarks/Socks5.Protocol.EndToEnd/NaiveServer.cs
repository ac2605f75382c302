using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Socks5.Protocol.EndToEnd;

/// <summary>
/// <c>--serve-naive PORT</c>: the simplest SOCKS5 server this runtime allows, as a floor for the handshake rows. One accept
/// loop, raw <see cref="Socket"/> calls awaited one after another, no authentication, CONNECT only, 16 KiB buffers copied
/// both ways; no pipelines, no policy, no limits, no timeouts, no reports. Whatever our server does on top of this has to
/// pay for itself: the target is handshakes at 1.1× this one or better.
/// </summary>
internal static class NaiveServer
{
    private const int BufferSize = 16 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        int port = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(512);
        _ = AcceptLoopAsync(listener);
        Console.Out.WriteLine($"LISTENING {((IPEndPoint)listener.LocalEndPoint!).Port}");
        Console.Out.Flush();

        // The harness's control channel: it ends when the harness closes it; this server answers only "work".
        while (await Console.In.ReadLineAsync() is { } line)
        {
            Console.Out.WriteLine(line.Trim() == "work" ? ServeMode.Work() : "ERROR the naive server answers only work");
            Console.Out.Flush();
        }

        return 0;
    }

    private static async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private static async Task ServeAsync(Socket client)
    {
        Socket? remote = null;
        try
        {
            byte[] buffer = new byte[BufferSize];
            await ReadAsync(client, buffer, 2); // VER NMETHODS
            await ReadAsync(client, buffer, buffer[1]); // METHODS: whatever they are, no authentication
            await client.SendAsync(new byte[] { 5, 0 }, SocketFlags.None);
            await ReadAsync(client, buffer, 4); // VER CMD RSV ATYP
            EndPoint target;
            switch (buffer[3])
            {
                case 1:
                    await ReadAsync(client, buffer, 6);
                    target = new IPEndPoint(new IPAddress(buffer.AsSpan(0, 4)), (buffer[4] << 8) | buffer[5]);
                    break;
                case 4:
                    await ReadAsync(client, buffer, 18);
                    target = new IPEndPoint(new IPAddress(buffer.AsSpan(0, 16)), (buffer[16] << 8) | buffer[17]);
                    break;
                case 3:
                    await ReadAsync(client, buffer, 1);
                    int length = buffer[0];
                    await ReadAsync(client, buffer, length + 2);
                    target = new DnsEndPoint(Encoding.ASCII.GetString(buffer, 0, length), (buffer[length] << 8) | buffer[length + 1]);
                    break;
                default:
                    return;
            }

            remote = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await remote.ConnectAsync(target);
            }
            catch (SocketException)
            {
                await client.SendAsync(new byte[] { 5, 5, 0, 1, 0, 0, 0, 0, 0, 0 }, SocketFlags.None);
                return;
            }

            await client.SendAsync(new byte[] { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 }, SocketFlags.None);
            await Task.WhenAll(CopyAsync(client, remote, buffer), CopyAsync(remote, client, new byte[BufferSize]));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or EndOfStreamException)
        {
            // The client or the target went away: close both.
        }
        finally
        {
            remote?.Dispose();
            client.Dispose();
        }
    }

    private static async Task ReadAsync(Socket socket, byte[] buffer, int count)
    {
        int read = 0;
        while (read < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read, count - read), SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            read += n;
        }
    }

    // One direction; a failure closes both sockets, which ends the other direction too.
    private static async Task CopyAsync(Socket from, Socket to, byte[] buffer)
    {
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
