using System.Text;
using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>What a real client's run must show: the HTTP target's body, or the script's own OK line after its own check.</summary>
public static class ClientAssert
{
    /// <summary>Exit 0 and stdout ending with the HTTP target's body (curl, ncat and the like print what came through).</summary>
    public static void Body(ClientResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.EndsWith(LoopbackTargets.HttpBody, Encoding.ASCII.GetString(result.Stdout), StringComparison.Ordinal);
    }

    /// <summary>Exit 0 and the script's OK line (CONNECT-OK, BIND-OK, UDP-OK), printed only after it checked the bytes.</summary>
    public static void Ok(ClientResult result, string okLine)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(okLine, result.StdoutText, StringComparison.Ordinal);
    }
}
