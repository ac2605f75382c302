using SharpFuzz;
using Socks5.Protocol.Fuzz;

// Usage: Socks5.Protocol.Fuzz <target>              under afl-fuzz (or one input on stdin)
//        Socks5.Protocol.Fuzz <target> <file>...    replays inputs, e.g. a crash AFL found
if (args.Length == 0 || Array.IndexOf(Targets.Names, args[0]) < 0)
{
    Console.Error.WriteLine("usage: Socks5.Protocol.Fuzz <target> [input files]; targets: " + string.Join(", ", Targets.Names));
    return 2;
}

var target = Targets.Get(args[0]);
if (args.Length > 1)
{
    foreach (var file in args.AsSpan(1))
        target(File.ReadAllBytes(file));
    Console.WriteLine($"{args.Length - 1} input(s): no finding");
    return 0;
}

// In-process persistent mode: AFL++ feeds inputs through the forkserver; the stream is read whole each time.
Fuzzer.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target(copy.ToArray());
});
return 0;
