using Socks5.Server;
using Xunit;

namespace Socks5.Protocol.Tests.Samples;

/// <summary>The sample server's <c>--idle-timeout SECONDS</c>.</summary>
public class ServerIdleTimeoutArgumentsTests
{
    [Fact]
    public void IdleTimeout_is_passed_to_the_options()
    {
        ServerArguments? a = ServerArguments.Parse(["--idle-timeout", "90"], out string? error);
        Assert.Null(error);
        Assert.Equal(TimeSpan.FromSeconds(90), a!.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), a.ToOptions().IdleTimeout);
        Assert.Contains("--idle-timeout SECONDS", ServerArguments.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_it_tunnels_have_no_idle_limit()
    {
        ServerArguments? a = ServerArguments.Parse([], out string? error);
        Assert.Null(error);
        Assert.Equal(Timeout.InfiniteTimeSpan, a!.ToOptions().IdleTimeout);
    }

    [Theory]
    [InlineData("--idle-timeout 0:", "--idle-timeout", "0")]
    [InlineData("--idle-timeout ten:", "--idle-timeout", "ten")]
    [InlineData("--idle-timeout needs a value", "--idle-timeout")]
    public void Bad_values_are_refused_with_one_line(string expectedStart, params string[] args)
    {
        Assert.Null(ServerArguments.Parse(args, out string? error));
        Assert.StartsWith(expectedStart, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error!);
    }
}
