using Xunit;

namespace Socks5.Protocol.Tests.Interop;

/// <summary>The skip reasons PeerFact/PeerTheory put on tests whose peer is missing.</summary>
public sealed class PeerSkipTests
{
    [Fact]
    public void MissingProgram_NamesThePackageToInstall()
    {
        string? reason = Peers.SkipReason(("sh", "dash"), ("no-such-socks-peer", "no-such-package"));
        Assert.NotNull(reason);
        Assert.StartsWith("no-such-socks-peer not installed: apt-get install no-such-package", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingModuleFolder_IsMissingToo() =>
        Assert.NotNull(Peers.SkipReason(("/usr/share/nodejs/no-such-module", "node-no-such-module")));

    [Fact]
    public void PresentProgram_NoSkip() => Assert.Null(Peers.SkipReason(("sh", "dash")));

    [Fact]
    public void Attribute_SetsSkipAtConstruction()
    {
        Assert.NotNull(new PeerFactAttribute("no-such-socks-peer", "no-such-package").Skip);
        Assert.Null(new PeerTheoryAttribute("sh", "dash").Skip);
    }
}
