#if NET
using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Socks5.Protocol.Transport;

/// <summary>
/// splice(2) and the kernel pipe it moves bytes through, for <see cref="SocketRelay"/> on Linux: socket to pipe to socket,
/// the bytes never copied into this process. Only x64 and arm64, whose flag and errno values are the ones below.
/// </summary>
/// <remarks>
/// Off unless the AppContext switch <c>Socks5.Protocol.Relay.EnableSplice</c> is set (in the project file:
/// <c>&lt;RuntimeHostConfigurationOption Include="Socks5.Protocol.Relay.EnableSplice" Value="true" /&gt;</c>), read once:
/// on the 2-core loopback benchmark it moved bulk tunnels at 0.6 to 0.9 of the copying relay's speed (see
/// benchmarks/README.md), so the copying relay stays the default until a profile says why.
/// </remarks>
internal static partial class LinuxSplice
{
    /// <summary>The name of the switch that lets the relay splice where it can.</summary>
    public const string EnableSwitch = "Socks5.Protocol.Relay.EnableSplice";

    private const uint SPLICE_F_MOVE = 1;
    private const uint SPLICE_F_NONBLOCK = 2;
    private const int O_NONBLOCK = 0x800;
    private const int O_CLOEXEC = 0x80000;
    private const int F_SETPIPE_SZ = 1031;

    /// <summary>errno: nothing to read from the socket, or no room in the socket's send buffer.</summary>
    public const int EAGAIN = 11;

    /// <summary>errno: interrupted by a signal; try again.</summary>
    public const int EINTR = 4;

    /// <summary>errno: the descriptors cannot be spliced (not a socket splice supports): copy instead.</summary>
    public const int EINVAL = 22;

    /// <summary>The size asked for each pipe: a bulk burst then moves in large chunks, two calls per chunk.</summary>
    public const int PipeSize = 1024 * 1024;

    // What the relays of this process moved by splice, and of that what went out through a buffer because the
    // destination would have blocked: for tests, which must see that the path they test was taken.
    internal static long SplicedBytes;
    internal static long SentThroughBuffer;

    /// <summary>Whether the relay can splice here: Linux on x64 or arm64.</summary>
    public static bool IsSupported { get; } =
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Whether relays splice unless told otherwise: supported here, and <see cref="EnableSwitch"/> set.</summary>
    public static bool IsEnabledByDefault { get; } =
        IsSupported && AppContext.TryGetSwitch(EnableSwitch, out bool enabled) && enabled;

    /// <summary>Opens a non-blocking pipe; false (with errno) when it cannot, e.g. out of descriptors.</summary>
    private static unsafe bool TryOpenPipe(out int read, out int write, out int errno)
    {
        int* fds = stackalloc int[2];
        if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            read = write = -1;
            return false;
        }

        read = fds[0];
        write = fds[1];
        errno = 0;
        _ = fcntl(write, F_SETPIPE_SZ, PipeSize); // a smaller pipe (the default 64 KiB) works too, in smaller chunks
        return true;
    }

    // Empty pipes kept for the next burst, of any tunnel: a burst then costs no pipe2, fcntl and two closes, and an idle
    // tunnel still holds none. Bounded, so that a burst of bursts leaves at most this many behind. Each is read << 32 | write.
    private static readonly System.Collections.Concurrent.ConcurrentBag<long> Idle = new();
    private static readonly int MaxIdle = 4 * Environment.ProcessorCount;

    /// <summary>An empty pipe from the pool, or a new one; false (with errno) when none can be opened.</summary>
    public static bool TryRentPipe(out int read, out int write, out int errno)
    {
        if (Idle.TryTake(out long pair))
        {
            read = (int)(pair >> 32);
            write = (int)pair;
            errno = 0;
            return true;
        }

        return TryOpenPipe(out read, out write, out errno);
    }

    /// <summary>Gives back a pipe known to be empty (the pool may keep it), or closes one that may hold bytes.</summary>
    public static void ReturnPipe(int read, int write, bool empty)
    {
        if (empty && Idle.Count < MaxIdle)
        {
            Idle.Add(((long)read << 32) | (uint)write);
            return;
        }

        Close(read);
        Close(write);
    }

    /// <summary>Closes one end of a pipe that <see cref="TryOpenPipe"/> opened; -1 is ignored.</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }

    /// <summary>Moves up to <paramref name="length"/> bytes; the count, 0 at the end of input, or -1 with errno.</summary>
    public static long Splice(int from, int to, int length, out int errno)
    {
        long moved = splice(from, IntPtr.Zero, to, IntPtr.Zero, (nuint)length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        errno = moved < 0 ? Marshal.GetLastPInvokeError() : 0;
        return moved;
    }

    /// <summary>Reads from a pipe into <paramref name="buffer"/>: the count, or -1 with errno.</summary>
    public static unsafe int Read(int fd, Span<byte> buffer, out int errno)
    {
        fixed (byte* bytes = buffer)
        {
            long read = ReadNative(fd, bytes, (nuint)buffer.Length);
            errno = read < 0 ? Marshal.GetLastPInvokeError() : 0;
            return (int)read;
        }
    }

    /// <summary>The socket error an errno from splice stands for, as the copying relay would have seen it.</summary>
    public static SocketException ToSocketException(int errno) => new((int)(errno switch
    {
        32 => SocketError.Shutdown, // EPIPE
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        107 => SocketError.NotConnected,
        110 => SocketError.TimedOut,
        101 => SocketError.NetworkUnreachable,
        113 => SocketError.HostUnreachable,
        12 or 105 => SocketError.NoBufferSpaceAvailable, // ENOMEM, ENOBUFS
        _ => SocketError.SocketError,
    }));

    [LibraryImport("libc", SetLastError = true)]
    private static partial long splice(int fd_in, IntPtr off_in, int fd_out, IntPtr off_out, nuint len, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int pipe2(int* pipefd, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial long ReadNative(int fd, byte* buffer, nuint count);
}
#endif
