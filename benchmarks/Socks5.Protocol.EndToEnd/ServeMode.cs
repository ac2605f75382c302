using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using System.Reflection;
using Socks5.Protocol.Client;
using Socks5.Protocol.Server;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.EndToEnd;

/// <summary>
/// <c>--serve PORT</c>: our server with default options on 127.0.0.1:PORT (0 picks one), as a process of its own. It prints
/// <c>LISTENING port</c>, then answers one line per command read from stdin, and stops when stdin ends (so it never outlives
/// the harness):
/// <c>heap</c> (full blocking GC, then the managed heap in bytes), <c>track</c> (start counting ArrayPool rents and
/// returns), <c>pool</c> (stop counting: rented, returned, still out), <c>stats</c>, <c>budget</c> (the relay buffer
/// budget: bytes charged now, the most ever charged, the limit).
/// </summary>
internal static class ServeMode
{
    public static async Task<int> RunAsync(string[] args)
    {
        int port = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        // SOCKS5_E2E_RELAY=splice (--ours-env): the relay splices bulk bursts on Linux, through the switch an operator would set.
        if (Environment.GetEnvironmentVariable("SOCKS5_E2E_RELAY") == "splice")
        {
            AppContext.SetSwitch("Socks5.Protocol.Relay.EnableSplice", true);
        }

        var options = new Socks5ServerOptions();
        options.ListenEndPoints.Add(new IPEndPoint(IPAddress.Loopback, port));
        // SOCKS5_E2E_MAX_BYTES_PER_SECOND_PER_USER and SOCKS5_E2E_MAX_CONNECTIONS_PER_USER (--ours-env): the per-user limits
        // set, to measure what they cost (the harness's clients are anonymous: each tunnel then has its own rate limit).
        options.MaxBytesPerSecondPerUser = long.Parse(Environment.GetEnvironmentVariable("SOCKS5_E2E_MAX_BYTES_PER_SECOND_PER_USER") ?? "0", CultureInfo.InvariantCulture);
        options.MaxConnectionsPerUser = int.Parse(Environment.GetEnvironmentVariable("SOCKS5_E2E_MAX_CONNECTIONS_PER_USER") ?? "0", CultureInfo.InvariantCulture);
        // SOCKS5_E2E_MAX_CONNECTIONS=N: the harness's memory section past the default MaxConnections (1,024).
        if (Environment.GetEnvironmentVariable("SOCKS5_E2E_MAX_CONNECTIONS") is { Length: > 0 } maxConnections)
        {
            options.MaxConnections = int.Parse(maxConnections, CultureInfo.InvariantCulture);
        }

        // SOCKS5_E2E_RELAY_BUDGET=BYTES (--ours-env): a relay buffer budget of this server's own (RelayBufferBudget).
        if (Environment.GetEnvironmentVariable("SOCKS5_E2E_RELAY_BUDGET") is { Length: > 0 } budget)
        {
            options.RelayBufferBudget = long.Parse(budget, CultureInfo.InvariantCulture);
        }

        using var server = new Socks5Server(options);
        // SOCKS5_E2E_METRICS=1 (--ours-env): measured with the library's metrics and traces listened to, as an exporter would.
        using IDisposable? telemetry = Environment.GetEnvironmentVariable("SOCKS5_E2E_METRICS") == "1" ? TelemetrySink.Start() : null;
        server.Start();
        using var pool = new ArrayPoolTracker();
        Console.Out.WriteLine($"LISTENING {server.LocalEndPoints[0].Port}");
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync() is { } line)
        {
            string answer = line.Trim() switch
            {
                "heap" => "HEAP " + FullGcHeapBytes().ToString(CultureInfo.InvariantCulture),
                "track" => pool.Start(),
                "pool" => pool.Stop(),
                "stats" => server.Statistics.ToString(),
                "budget" => Budget(server),
                "work" => Work(),
                _ => "ERROR unknown command " + line,
            };
            Console.Out.WriteLine(answer);
            Console.Out.Flush();
        }

        await server.StopAsync(TimeSpan.Zero);
        return 0;
    }

    /// <summary>
    /// <c>BUDGET inUse peak limit</c> of the server's relay buffer budget, or <c>BUDGET ?</c>. The budget is internal to
    /// the library (only its limit is an option), so the harness reads it by reflection, and says so when that breaks.
    /// </summary>
    private static string Budget(Socks5Server server)
    {
        object? budget = typeof(Socks5Server).GetProperty("RelayBudget", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(server);
        long? Read(string name) => budget?.GetType().GetProperty(name)?.GetValue(budget) as long?;
        return Read("InUse") is long inUse && Read("Peak") is long peak && Read("Limit") is long limit
            ? string.Create(CultureInfo.InvariantCulture, $"BUDGET {inUse} {peak} {limit}")
            : "BUDGET ?";
    }

    /// <summary>
    /// <c>WORK items bytes</c>: the thread-pool work items completed and the bytes allocated so far in this process. Asked
    /// before and after a round, the differences per handshake are the handshake profile's hand-offs and allocations.
    /// </summary>
    public static string Work() =>
        $"WORK {ThreadPool.CompletedWorkItemCount.ToString(CultureInfo.InvariantCulture)} {GC.GetTotalAllocatedBytes(precise: false).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The managed heap after full blocking collections (finalizers run, then collected again).</summary>
    public static long FullGcHeapBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}

/// <summary>
/// Listens to every instrument of the Socks5.Protocol meter and samples every activity of its source, adding each
/// measurement to a running total (the work an in-process aggregator does, without the export).
/// </summary>
internal sealed class TelemetrySink : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _meters = new();
    private readonly System.Diagnostics.ActivityListener _activities;
    private long _longs;
    private long _microseconds;
    private long _stopped;

    private TelemetrySink()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == Socks5.Protocol.Diagnostics.Socks5Diagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _longs, value));
        _meters.SetMeasurementEventCallback<double>((_, value, _, _) => Interlocked.Add(ref _microseconds, (long)(value * 1e6)));
        _meters.Start();
        _activities = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == Socks5.Protocol.Diagnostics.Socks5Diagnostics.ActivitySourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref _stopped),
        };
        System.Diagnostics.ActivitySource.AddActivityListener(_activities);
    }

    public static IDisposable Start() => new TelemetrySink();

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }
}

/// <summary>
/// Counts the buffers rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/> (which also backs
/// <see cref="System.Buffers.MemoryPool{T}.Shared"/>, the pipes' default pool) and not yet returned, through the runtime's
/// ArrayPoolEventSource (BufferRented = event 1, BufferReturned = event 3, both carrying the buffer's id).
/// </summary>
internal sealed class ArrayPoolTracker : EventListener
{
    private const string SourceName = "System.Buffers.ArrayPoolEventSource";
    private readonly object _gate = new();
    private readonly Dictionary<int, (int Count, int Size)> _out = new();
    private readonly Dictionary<int, string> _stacks = new();
    private readonly bool _recordStacks = Environment.GetEnvironmentVariable("SOCKS5_E2E_POOL_STACKS") == "1";
    private EventSource? _source;
    private long _rented;
    private long _returned;
    private bool _tracking;

    public string Start()
    {
        EventSource source = FindSource();
        lock (_gate)
        {
            _out.Clear();
            _stacks.Clear();
            _rented = 0;
            _returned = 0;
            _tracking = true;
        }

        EnableEvents(source, EventLevel.Verbose);
        return "OK";
    }

    /// <summary>Stops counting. Answers <c>POOL rented returned outstanding outstandingBytes largestOutstanding</c>.</summary>
    public string Stop()
    {
        DisableEvents(FindSource());
        lock (_gate)
        {
            _tracking = false;
            long count = 0;
            long bytes = 0;
            int largest = 0;
            foreach ((int n, int size) in _out.Values)
            {
                count += n;
                bytes += (long)n * size;
                largest = Math.Max(largest, size);
            }

            if (_recordStacks)
            {
                // Diagnostics: where each buffer still out was rented (to stderr, which the harness logs).
                foreach (int id in _out.Keys)
                {
                    Console.Error.WriteLine($"outstanding buffer {id}, rented at:{Environment.NewLine}{_stacks.GetValueOrDefault(id)}");
                }
            }

            return string.Create(CultureInfo.InvariantCulture, $"POOL {_rented} {_returned} {count} {bytes} {largest}");
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        // Runs from the base constructor too, before this class's fields are set: only remember the source here.
        if (eventSource.Name == SourceName)
        {
            _source = eventSource;
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.Payload is not { Count: >= 2 } payload || payload[0] is not int id || payload[1] is not int size)
        {
            return;
        }

        lock (_gate)
        {
            if (!_tracking)
            {
                return;
            }

            if (eventData.EventId == 1)
            {
                _rented++;
                _out[id] = _out.TryGetValue(id, out var held) ? (held.Count + 1, size) : (1, size);
                if (_recordStacks)
                {
                    _stacks[id] = Environment.StackTrace;
                }
            }
            else if (eventData.EventId == 3)
            {
                _returned++;
                // A buffer rented before tracking began and returned now is simply not in the table.
                if (_out.TryGetValue(id, out var held))
                {
                    if (held.Count <= 1)
                    {
                        _out.Remove(id);
                    }
                    else
                    {
                        _out[id] = (held.Count - 1, held.Size);
                    }
                }
            }
        }
    }

    private EventSource FindSource()
    {
        if (_source is null)
        {
            // The source is created with the pool: touch the pool once so that it exists.
            System.Buffers.ArrayPool<byte>.Shared.Return(System.Buffers.ArrayPool<byte>.Shared.Rent(16));
        }

        return _source ?? throw new InvalidOperationException(SourceName + " not found");
    }
}
