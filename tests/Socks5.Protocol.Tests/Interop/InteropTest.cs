namespace Socks5.Protocol.Tests.Interop;

/// <summary>Shared by the interop test classes: every test is bounded by one token.</summary>
public abstract class InteropTest : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(15));

    /// <summary>Cancels after 15 s: no interop test may hang.</summary>
    protected CancellationToken Ct => _timeout.Token;

    public void Dispose()
    {
        _timeout.Dispose();
        GC.SuppressFinalize(this);
    }
}
