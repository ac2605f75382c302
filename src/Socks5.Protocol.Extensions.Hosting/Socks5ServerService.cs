using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Socks5.Protocol.Server;

namespace Socks5.Protocol.Extensions.Hosting;

/// <summary>
/// The hosted service <c>AddSocks5Server</c> registers: it creates and starts a <see cref="Socks5Server"/> from the
/// validated <see cref="Socks5ServerOptions"/> when the host starts, and drains it when the host stops. Resolve it from
/// the container to read <see cref="Server"/> (its end points and statistics).
/// </summary>
public sealed class Socks5ServerService : IHostedService, IAsyncDisposable
{
    private readonly Socks5ServerOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates the service; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The server's options, bound and validated.</param>
    /// <param name="loggerFactory">Where the lifecycle events go (category <c>Socks5.Protocol.Server</c>).</param>
    public Socks5ServerService(IOptions<Socks5ServerOptions> options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Value;
        _logger = loggerFactory.CreateLogger(Log.Category);
    }

    /// <summary>The running server, or null before <see cref="StartAsync"/> (and after a failed start).</summary>
    public Socks5Server? Server { get; private set; }

    /// <summary>Creates the server and binds its end points.</summary>
    /// <param name="cancellationToken">Not used: binding does not wait.</param>
    /// <returns>A completed task once every end point listens.</returns>
    /// <exception cref="System.Net.Sockets.SocketException">An end point could not be bound (logged as event 4 too).</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var server = new Socks5Server(_options);
        try
        {
            server.Start();
        }
        catch (Exception ex)
        {
            Log.StartFailed(_logger, ex);
            server.Dispose();
            throw;
        }

        Server = server;
        Log.Started(_logger, string.Join(", ", server.LocalEndPoints.Select(e => e.ToString())));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Closes the listeners and lets open tunnels finish until <paramref name="cancellationToken"/> fires (the host
    /// cancels it when its shutdown timeout is over); the connections still open then are closed.
    /// </summary>
    /// <param name="cancellationToken">The host's shutdown deadline.</param>
    /// <returns>A task that completes when every connection has ended.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Server is not { } server)
        {
            return;
        }

        Log.Stopping(_logger, server.Statistics.Active);
        await server.StopAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        Socks5ServerStatistics stats = server.Statistics;
        Log.Stopped(_logger, stats.Accepted, stats.Rejected, stats.Failed);
    }

    /// <summary>Closes the server at once if the host did not stop it.</summary>
    /// <returns>A task that completes when it is closed.</returns>
    public ValueTask DisposeAsync() => Server?.DisposeAsync() ?? default;
}
