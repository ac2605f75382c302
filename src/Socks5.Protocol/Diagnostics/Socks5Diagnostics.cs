namespace Socks5.Protocol.Diagnostics;

/// <summary>
/// The names a host subscribes to for the library's metrics and traces, e.g.
/// <c>AddMeter(Socks5Diagnostics.MeterName)</c> and <c>AddSource(Socks5Diagnostics.ActivitySourceName)</c> with
/// OpenTelemetry, or <c>dotnet-counters monitor --counters Socks5.Protocol</c>.
/// </summary>
/// <remarks>
/// Instruments and activities cost nothing but a flag test while nobody listens. Tag values are low-cardinality: no
/// addresses and no user names. The repository's README lists every instrument, its unit and its tags.
/// </remarks>
public static class Socks5Diagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> all instruments belong to: <c>Socks5.Protocol</c>.</summary>
    public const string MeterName = "Socks5.Protocol";

    /// <summary>
    /// The name of the <see cref="System.Diagnostics.ActivitySource"/> of the activities <c>socks5.server.handshake</c> and
    /// <c>socks5.client.connect</c>: <c>Socks5.Protocol</c>.
    /// </summary>
    public const string ActivitySourceName = "Socks5.Protocol";
}
