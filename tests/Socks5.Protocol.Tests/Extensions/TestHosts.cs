using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Socks5.Protocol.Client;
using Socks5.Protocol.Extensions.Hosting;
using Xunit;

namespace Socks5.Protocol.Tests.Extensions;

/// <summary>A generic host with an in-memory configuration, no default sources, and a log the test can read.</summary>
internal static class TestHosts
{
    public static IHost Build(IDictionary<string, string?> configuration, Action<IServiceCollection>? services = null, LogCapture? log = null, TimeSpan? shutdownTimeout = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (log is not null)
        {
            builder.Logging.AddProvider(log);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(30));
        services?.Invoke(builder.Services);
        builder.Services.AddSocks5Server(builder.Configuration);
        return builder.Build();
    }

    /// <summary>A host listening on a free loopback port: started, with the port it got.</summary>
    public static async Task<(IHost Host, IPEndPoint Proxy)> StartAsync(Dictionary<string, string?>? configuration = null, Action<IServiceCollection>? services = null, LogCapture? log = null, TimeSpan? shutdownTimeout = null)
    {
        configuration ??= [];
        configuration.TryAdd("Socks5:Listen:0", "127.0.0.1:0");
        IHost host = Build(configuration, services, log, shutdownTimeout);
        await host.StartAsync();
        return (host, ProxyOf(host));
    }

    public static IPEndPoint ProxyOf(IHost host) =>
        host.Services.GetRequiredService<Socks5ServerService>().Server!.LocalEndPoints[0];

    /// <summary>Sends a line through the tunnel and reads it back from the echo target.</summary>
    public static async Task AssertEchoesAsync(Socks5Tunnel tunnel, string text)
    {
        byte[] sent = Encoding.ASCII.GetBytes(text);
        await tunnel.Stream.WriteAsync(sent);
        byte[] received = new byte[sent.Length];
        await tunnel.Stream.ReadExactlyAsync(received).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(text, Encoding.ASCII.GetString(received));
    }

    /// <summary>The messages of an exception and of every exception inside it.</summary>
    public static string AllMessages(Exception ex) =>
        ex is AggregateException aggregate
            ? string.Join("\n", aggregate.Flatten().InnerExceptions.Select(AllMessages))
            : ex.Message + (ex.InnerException is { } inner ? "\n" + AllMessages(inner) : "");
}

/// <summary>Keeps every log entry, for tests that wait for one.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>The first server event <paramref name="eventId"/> that <paramref name="match"/> accepts, waiting for it.</summary>
    public async Task<Entry> WaitForAsync(int eventId, Func<Entry, bool>? match = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            Entry? found = _entries.FirstOrDefault(e => e.Category == "Socks5.Protocol.Server" && e.EventId == eventId && (match is null || match(e)));
            if (found is not null)
            {
                return found;
            }

            if (cts.IsCancellationRequested)
            {
                throw new TimeoutException($"no log event {eventId}; the log:\n{string.Join("\n", _entries)}");
            }

            await Task.Delay(20);
        }
    }

    internal sealed record Entry(string Category, LogLevel Level, int EventId, string Message, IReadOnlyDictionary<string, object?> State, Exception? Exception);

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (KeyValuePair<string, object?> pair in pairs)
                {
                    values[pair.Key] = pair.Value;
                }
            }

            owner._entries.Enqueue(new Entry(category, logLevel, eventId.Id, formatter(state, exception), values, exception));
        }
    }
}
