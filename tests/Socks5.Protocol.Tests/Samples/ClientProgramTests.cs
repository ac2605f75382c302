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
