using System.Net;
using System.Net.Sockets;

namespace Socks5.Protocol.EndToEnd;

/// <summary>
/// A listener on loopback whose accept loops hand each connection to <see cref="OnAccepted"/> until
/// <see cref="Dispose"/>: the plumbing the benchmark's targets share.
/// </summary>
internal abstract class LoopbackServer : IDisposable
{
    private readonly Socket _listener = Loopback.Listen();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    /// <summary>
    /// Starts the accept loops at once. A subclass keeps its state in field initializers, which run before this
    /// constructor, so the loops never see it unset.
    /// </summary>
    protected LoopbackServer(int acceptLoops = 1)
    {
        _loops = Enumerable.Range(0, acceptLoops).Select(_ => Task.Run(AcceptLoopAsync)).ToArray();
    }

    public IPEndPoint EndPoint => Loopback.EndPointOf(_listener);

    /// <summary>Cancelled by <see cref="Dispose"/>: for the work a subclass starts on its connections.</summary>
    protected CancellationToken Stopping => _stop.Token;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            Task.WaitAll(_loops, TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        OnStopped();
        _stop.Dispose();
    }

    /// <summary>Takes one accepted connection; runs on the accept loop, so anything slow goes on without awaiting.</summary>
    protected abstract void OnAccepted(Socket socket);

    /// <summary>Called once the accept loops have ended, before <see cref="Stopping"/>'s source is disposed.</summary>
    protected virtual void OnStopped()
    {
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // One failed accept (a client that gave up while queued) must not end the target; the loop condition
                // ends it when it is stopping.
                continue;
            }

            OnAccepted(accepted);
        }
    }
}
