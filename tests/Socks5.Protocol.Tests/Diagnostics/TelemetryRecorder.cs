using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Socks5.Protocol.Diagnostics;
using Xunit;

namespace Socks5.Protocol.Tests.Diagnostics;

/// <summary>
/// The tests that listen to the library's Meter and ActivitySource run alone (after the parallel ones), so that no other
/// listener of theirs is active at the same time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DiagnosticsCollection
{
    public const string Name = "Diagnostics";
}

public sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public object? Tag(string name) => Tags.TryGetValue(name, out object? value) ? value : null;
}

/// <summary>
/// Listens to every instrument of the Socks5.Protocol meter and to its activities, and keeps only what happens in the
/// execution context of the test that created it: servers started and clients called after it inherit that context
/// (their accept loops, connections and relays flow it on), while any other test's traffic does not. Counts stay exact
/// even when something else runs at the same time.
/// </summary>
public sealed class TelemetryRecorder : IDisposable
{
    private static readonly AsyncLocal<TelemetryRecorder?> Scope = new();
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;
    private readonly string? _throwOn;

    /// <param name="throwOn">An instrument whose measurements make the listener throw (a broken exporter).</param>
    public TelemetryRecorder(string? throwOn = null)
    {
        _throwOn = throwOn;
        Scope.Value = this;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == Socks5Diagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.Start();
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Socks5Diagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Scope.Value == this)
                {
                    Activities.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public ConcurrentQueue<Measurement> Measurements { get; } = new();

    public ConcurrentQueue<Activity> Activities { get; } = new();

    public Measurement[] Of(string instrument) => Measurements.Where(m => m.Instrument == instrument).ToArray();

    public Measurement Single(string instrument) => Assert.Single(Of(instrument));

    public double Sum(string instrument, params (string Tag, object? Value)[] tags) =>
        Of(instrument).Where(m => tags.All(t => Equals(m.Tag(t.Tag), t.Value))).Sum(m => m.Value);

    public Activity SingleActivity(string operationName) => Assert.Single(Activities, a => a.OperationName == operationName);

    /// <summary>Waits (bounded) for what a connection records after its report, such as the end of its active count.</summary>
    public async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }
    }

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
        Scope.Value = null;
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Scope.Value == this)
        {
            var copy = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            Measurements.Enqueue(new Measurement(instrument.Name, value, copy));
            if (instrument.Name == _throwOn)
            {
                throw new InvalidOperationException("A listener that fails.");
            }
        }
    }
}
