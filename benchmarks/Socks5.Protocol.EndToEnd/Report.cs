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
    public void Table(IEnumerable<Series> rows, string unit, string? limitName, bool higherIsBetter, string format, (string Label, string Format)? cpu = null, string oursName = Proxy.Ours)
    {
        List<Series> list = rows.ToList();
        Series? limit = limitName is null ? null : list.FirstOrDefault(s => s.Name == limitName);
        Series? ours = list.FirstOrDefault(s => s.Name == oursName);
        string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString(format, CultureInfo.InvariantCulture);
        string R(double v) => double.IsNaN(v) || double.IsInfinity(v) ? "n/a" : v.ToString("F2", CultureInfo.InvariantCulture) + "×";
        Line($"| | median {unit} | min – max |{(limit is null ? "" : " × limit |")} {(oursName == Proxy.Ours ? Proxy.Ours : "Socks5Client ÷ this")}{(oursName == Proxy.Ours ? " ÷ this" : "")}{(higherIsBetter ? "" : " (lower is better)")} |{(cpu is null ? "" : $" median {cpu.Value.Label} |")} notes |");
        Line($"| --- | ---: | ---: |{(limit is null ? "" : " ---: |")} ---: |{(cpu is null ? "" : " ---: |")} --- |");
        foreach (Series s in list)
        {
            string name = s == limit ? $"{s.Name} (the limit)" : s == ours ? $"**{s.Name}**" : s.Name;
            string vsLimit = limit is null ? "" : $" {R(s.Median / limit.Median)} |";
            string vsOurs = ours is null || s == ours ? "" : R(ours.Median / s.Median);
            string cpuCell = cpu is null ? "" : $" {(s.Cpu.Count == 0 ? "" : s.CpuMedian.ToString(cpu.Value.Format, CultureInfo.InvariantCulture))} |";
            Line($"| {name} | {F(s.Median)} | {F(s.Min)} – {F(s.Max)} |{vsLimit} {vsOurs} |{cpuCell} {string.Join("; ", s.Notes)} |");
        }
    }

    public string Write(string path)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllLines(full, _lines);
        return full;
    }
}
