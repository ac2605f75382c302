using System.Net;
using System.Net.Sockets;
using Socks5.Protocol.Tests.Interop;
using Xunit;

namespace Socks5.Protocol.Tests.Samples;

/// <summary>
/// samples/Socks5.Kestrel as a real process: Kestrel accepts on the SOCKS5 port and hands each connection to the
/// library, beside an HTTP endpoint on another port. A CONNECT in literal bytes reaches the loopback echo target.
/// </summary>
public sealed class KestrelSampleTests : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private SampleProcess? _app;

    private CancellationToken Ct => _timeout.Token;

    [PeerFact("env", "coreutils")]
    public async Task ServesSocks5Connect_BesideItsHttpEndpoint()
    {
        int socksPort = Loopback.GetFreePort();
        int httpPort = Loopback.GetFreePort();
        _app = SampleProcess.Start("Socks5.Kestrel", "--socks-port", socksPort.ToString(), "--http-port", httpPort.ToString());
        await _app.WaitForLineAsync(l => l.StartsWith($"socks5 listening on 127.0.0.1:{socksPort}", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "its listening line");

        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, socksPort), Ct);
            // Greeting (no authentication) and CONNECT 127.0.0.1:<echo port>, as literal bytes, sent in one write.
            int echo = LoopbackTargets.Shared.EchoPort;
            byte[] handshake = [0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, (byte)(echo >> 8), (byte)echo];
            await socket.SendAsync(handshake, Ct);

            byte[] answer = await ReceiveExactlyAsync(socket, 2 + 10);
            Assert.Equal([0x05, 0x00], answer[..2]); // method: no authentication
            Assert.Equal([0x05, 0x00, 0x00, 0x01], answer[2..6]); // reply: succeeded, BND is IPv4
            Assert.Equal([127, 0, 0, 1], answer[6..10]); // the server's end of its connection to the echo target

            byte[] payload = "through kestrel and back"u8.ToArray();
            await socket.SendAsync(payload, Ct);
            Assert.Equal(payload, await ReceiveExactlyAsync(socket, payload.Length));
        }

        await _app.WaitForLineAsync(l => l.Contains($"Connect 127.0.0.1:{LoopbackTargets.Shared.EchoPort} reply=Succeeded", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the tunnel's log line");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string status = await http.GetStringAsync($"http://127.0.0.1:{httpPort}/", Ct);
        Assert.StartsWith($"SOCKS5 on 127.0.0.1:{socksPort}: ", status, StringComparison.Ordinal);
        Assert.Contains("1 accepted, 0 failed", status, StringComparison.Ordinal); // "open" may not have dropped yet

        _app.Signal(SampleProcess.SigInt);
        Assert.Equal(0, await _app.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    public void Dispose()
    {
        _app?.Dispose();
        _timeout.Dispose();
    }

    private async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        int received = 0;
        while (received < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(received), Ct);
            Assert.True(n > 0, $"closed after {received} of {count} bytes: {Convert.ToHexString(buffer, 0, received)}\n{_app?.Log}");
            received += n;
        }

        return buffer;
    }
}
