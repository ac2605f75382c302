using System.Text;
using Socks5.Protocol.Tests.Client;
using Socks5.Protocol.Tests.Server;
using Socks5.Protocol.Tests.Interop;
using Xunit;

namespace Socks5.Protocol.Tests.Samples;

/// <summary>The sample client program (samples/Socks5.Client) against a scripted proxy on loopback.</summary>
public class ClientProgramTests
{
    [ClientProgramFact]
    public async Task Bind_prints_the_names_the_proxy_sent_escaped()
    {
        using var proxy = new FakeProxy();
        Task<ClientResult> running = SampleClientProgram.RunAsync(["--proxy", proxy.EndPoint.ToString(), "bind"]);
        using FakeConnection server = await proxy.AcceptAsync().WaitAsync(Bounded.Limit);
        await server.ExpectAsync("05 01 00");
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 02 00 01 00000000 0000");
        // A name that would clear the screen, then one that would reverse the rest of the line and start another.
        await server.SendAsync(NameReply("a\u001b[2Jb", 80));
        await server.SendAsync(NameReply("peer\u202E\u2028x", 81));
        server.ShutdownSend();

        ClientResult result = await running;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("listening a\\u001B[2Jb:80\npeer peer\\u202E\\u2028x:81\n", result.StdoutText);
    }

    [ClientProgramFact]
    public async Task Resolve_through_a_socks5h_uri_with_credentials_prints_the_address()
    {
        using var proxy = new FakeProxy();
        Task<ClientResult> running = SampleClientProgram.RunAsync(["--proxy", $"socks5h://u%40x:pw@127.0.0.1:{proxy.EndPoint.Port}", "resolve", "example.test"]);
        using FakeConnection server = await proxy.AcceptAsync().WaitAsync(Bounded.Limit);
        await server.ExpectAsync("05 02 00 02");
        await server.SendAsync("05 02");
        await server.ExpectAsync("01 03 75 40 78 02 70 77");
        await server.SendAsync("01 00");
        await server.ExpectAsync("05 f0 00 03 0c 6578616d706c652e74657374 0000");
        await server.SendAsync("05 00 00 01 7f 00 00 0a 00 00");

        ClientResult result = await running;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("127.0.0.10\n", result.StdoutText);
    }

    [ClientProgramFact]
    public async Task Connect_through_an_http_uri_sends_connect_and_copies_the_tunnel()
    {
        using var proxy = new FakeProxy();
        Task<ClientResult> running = SampleClientProgram.RunAsync(["--proxy", $"http://127.0.0.1:{proxy.EndPoint.Port}", "connect", "example.test", "443"]);
        using FakeConnection server = await proxy.AcceptAsync().WaitAsync(Bounded.Limit);
        byte[] head = Encoding.ASCII.GetBytes("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n");
        Assert.Equal(Encoding.ASCII.GetString(head), Encoding.ASCII.GetString(await server.ReadExactlyAsync(head.Length)));
        await server.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\nhello"));
        server.ShutdownSend();

        ClientResult result = await running;
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello", result.StdoutText);
    }

    [ClientProgramFact]
    public async Task A_proxy_uri_with_another_scheme_is_bad_usage()
    {
        ClientResult result = await SampleClientProgram.RunAsync(["--proxy", "ftp://127.0.0.1", "resolve", "x"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("ftp", result.Stderr);
    }

    private static byte[] NameReply(string name, int port)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        return [0x05, 0x00, 0x00, 0x03, (byte)bytes.Length, .. bytes, (byte)(port >> 8), (byte)port];
    }

    /// <summary>A fact that runs the built sample client; skipped, with the reason, when it is not built.</summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    private sealed class ClientProgramFactAttribute : FactAttribute
    {
        public ClientProgramFactAttribute() => Skip = SampleClientProgram.SkipReason;
    }
}
