using System.Globalization;

namespace Socks5.Protocol.EndToEnd;

/// <summary>The tables, on the console and as markdown.</summary>
internal sealed class Report
{
    private readonly List<string> _lines = new();

    public void Heading(string text)
    {
        Line("");
        Line("### " + text);
        Line("");
    }

    public void Line(string text)
    {
        _lines.Add(text);
        Console.WriteLine(text);
    }

    /// <summary>One row per series: median, spread, ratio to the limit row (if any), and ours ÷ this row.</summary>
    public void Table(IEnumerable<Series> rows, string unit, string? limitName, bool higherIsBetter, string format, (string Label, string Format)? cpu = null, string oursName = Proxy.Ours, (string Label, Func<Series, string> Cell)? extra = null)
    {
        List<Series> list = rows.ToList();
        Series? limit = limitName is null ? null : list.FirstOrDefault(s => s.Name == limitName);
        Series? ours = list.FirstOrDefault(s => s.Name == oursName);
        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);
        string R(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "n/a" : v.ToString("F2", CultureInfo.InvariantCulture) + "×";
        Line($"| | median {unit} | min – max |{(limit is null ? "" : " × limit |")} {(oursName == Proxy.Ours ? Proxy.Ours : "Socks5Client ÷ this")}{(oursName == Proxy.Ours ? " ÷ this" : "")}{(higherIsBetter ? "" : " (lower is better)")} |{(cpu is null ? "" : $" median {cpu.Value.Label} |")}{(extra is null ? "" : $" {extra.Value.Label} |")} notes |");
        Line($"| --- | ---: | ---: |{(limit is null ? "" : " ---: |")} ---: |{(cpu is null ? "" : " ---: |")}{(extra is null ? "" : " ---: |")} --- |");
        foreach (Series s in list)
        {
            string name = s == limit ? $"{s.Name} (the limit)" : s == ours ? $"**{s.Name}**" : s.Name;
            string vsLimit = limit is null ? "" : $" {R(s.Median / limit.Median)} |";
            string vsOurs = ours is null || s == ours ? "" : R(ours.Median / s.Median);
            string cpuCell = cpu is null ? "" : $" {(s.Cpu.Count == 0 ? "" : s.CpuMedian.ToString(cpu.Value.Format, CultureInfo.InvariantCulture))} |";
            string extraCell = extra is null ? "" : $" {extra.Value.Cell(s)} |";
            Line($"| {name} | {F(s.Median)} | {F(s.Min)} – {F(s.Max)} |{vsLimit} {vsOurs} |{cpuCell}{extraCell} {string.Join("; ", s.Notes)} |");
        }
    }

    /// <summary>
    /// A scale curve: one row per name, one column per scale value (clients, tunnels), each cell what
    /// <paramref name="cell"/> makes of that row's series at that value (empty where the row was not measured).
    /// </summary>
    public void Curve(string corner, IReadOnlyList<int> values, IEnumerable<string> names, Func<string, int, Series?> find, Func<Series, string> cell)
    {
        Line($"| {corner} |{string.Concat(values.Select(v => $" {v.ToString("N0", CultureInfo.InvariantCulture)} |"))}");
        Line($"| --- |{string.Concat(values.Select(_ => " ---: |"))}");
        foreach (string name in names)
        {
            string label = name == Proxy.Ours ? $"**{name}**" : name;
            Line($"| {label} |{string.Concat(values.Select(v => find(name, v) is { } s ? $" {cell(s)} |" : " |"))}");
        }
    }

    /// <summary>A number as the tables print it (invariant culture; n/a for NaN).</summary>
    public static string Number(double value, string format) =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    public string Write(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllLines(full, _lines);
        return full;
    }
}
