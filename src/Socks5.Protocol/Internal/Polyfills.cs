// The platform differences, in one place: on netstandard2.0 these stand in for what .NET (net10.0) has, with the same
// names and shapes, so the code that calls them needs no #if. What remains as #if elsewhere is a feature that exists on
// .NET only (the socket-to-socket relay, HttpClient's connect callback) or an override of a member the netstandard2.0
// base type lacks.
using System;
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Internal
{
    /// <summary>What both targets have under different names.</summary>
    internal static class Platform
    {
        /// <summary>A delay on <paramref name="clock"/> (Task.Delay with a TimeProvider on .NET, the package's extension on netstandard2.0).</summary>
        public static Task DelayAsync(this TimeProvider clock, TimeSpan delay, CancellationToken cancellationToken) =>
#if NET
            Task.Delay(delay, clock, cancellationToken);
#else
            clock.Delay(delay, cancellationToken);
#endif

        /// <summary>Dns.GetHostAddressesAsync(host, cancellationToken); on netstandard2.0 the lookup itself cannot be cancelled.</summary>
        public static async Task<IPAddress[]> GetHostAddressesAsync(string host, CancellationToken cancellationToken)
        {
#if NET
            return await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
#else
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return addresses;
#endif
        }

        /// <summary>
        /// Turns TCP keepalive on, probing after <paramref name="idle"/> of silence (then every 1/5 of it, at least 1 s, up
        /// to 5 probes); with <see cref="TimeSpan.Zero"/> or <see cref="Timeout.InfiniteTimeSpan"/> it is left off.
        /// netstandard2.0 has no portable way to set the times: only SO_KEEPALIVE is set there (the system's times apply).
        /// </summary>
        public static void SetKeepAlive(Socket socket, TimeSpan idle)
        {
            if (idle <= TimeSpan.Zero)
            {
                return;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
#if NET
            int seconds = (int)Math.Min(int.MaxValue, Math.Max(1, idle.TotalSeconds));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, seconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Math.Max(1, seconds / 5));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 5);
#endif
        }

        /// <summary>
        /// True where a socket accepted from a listener starts with the listener's TCP_NODELAY and keepalive settings:
        /// Linux copies them into the connection it creates, so a server sets them once on the listener instead of with
        /// five system calls per connection. Elsewhere (Windows and the BSDs do not promise it) they are set per socket.
        /// </summary>
        public static bool AcceptedSocketsInheritOptions =>
#if NET
            OperatingSystem.IsLinux();
#else
            System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux);
#endif

        /// <summary>new IPAddress(ReadOnlySpan&lt;byte&gt;).</summary>
        public static IPAddress CreateIPAddress(ReadOnlySpan<byte> address) =>
#if NET
            new(address);
#else
            new(address.ToArray());
#endif

        /// <summary>
        /// The bytes the GC may use (its heap hard limit, else the container's or machine's memory); 0 on netstandard2.0,
        /// which cannot tell (and whose pipe relay does not grow its buffers).
        /// </summary>
        public static long TotalAvailableMemoryBytes() =>
#if NET
            GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
#else
            0;
#endif
    }
}

#if !NET

namespace System.Diagnostics.CodeAnalysis
{
    [AttributeUsage(AttributeTargets.Method, Inherited = false)]
    internal sealed class DoesNotReturnAttribute : Attribute
    {
    }

    [AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
    internal sealed class NotNullWhenAttribute : Attribute
    {
        public NotNullWhenAttribute(bool returnValue) => ReturnValue = returnValue;

        public bool ReturnValue { get; }
    }

    [AttributeUsage(AttributeTargets.Parameter, Inherited = false)]
    internal sealed class MaybeNullWhenAttribute : Attribute
    {
        public MaybeNullWhenAttribute(bool returnValue) => ReturnValue = returnValue;

        public bool ReturnValue { get; }
    }
}

namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}

namespace Socks5.Protocol.Internal
{
    /// <summary>Members .NET has and netstandard2.0 lacks, as extension methods of the same names.</summary>
    internal static class Polyfills
    {
        /// <summary>MemoryExtensions.IndexOfAnyExcept(span, value).</summary>
        public static int IndexOfAnyExcept(this ReadOnlySpan<byte> span, byte value)
        {
            for (int i = 0; i < span.Length; i++)
            {
                if (span[i] != value)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Encoding.GetString(ReadOnlySpan&lt;byte&gt;).</summary>
        public static string GetString(this Encoding encoding, ReadOnlySpan<byte> bytes) => encoding.GetString(bytes.ToArray());

        /// <summary>IPAddress.TryWriteBytes(Span&lt;byte&gt;, out int).</summary>
        public static bool TryWriteBytes(this IPAddress address, Span<byte> destination, out int bytesWritten)
        {
            byte[] bytes = address.GetAddressBytes();
            bytesWritten = bytes.Length <= destination.Length ? bytes.Length : 0;
            return bytes.AsSpan().TryCopyTo(destination);
        }

        /// <summary>
        /// Socket.ConnectAsync(EndPoint, CancellationToken). netstandard2.0 has no cancellable connect: closing the socket
        /// is what stops it, and the failure that follows is reported as the cancellation it is.
        /// </summary>
        public static async ValueTask ConnectAsync(this Socket socket, EndPoint endPoint, CancellationToken cancellationToken)
        {
            try
            {
                using (cancellationToken.Register(static s => ((Socket)s!).Dispose(), socket))
                {
                    await Task.Factory.FromAsync(socket.BeginConnect, socket.EndConnect, endPoint, null).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        /// <summary>Socket.SendToAsync(ReadOnlyMemory&lt;byte&gt;, SocketFlags, EndPoint).</summary>
        public static async ValueTask<int> SendToAsync(this Socket socket, ReadOnlyMemory<byte> buffer, SocketFlags socketFlags, EndPoint remoteEP)
        {
            if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(buffer, out ArraySegment<byte> segment))
            {
                return await socket.SendToAsync(segment, socketFlags, remoteEP).ConfigureAwait(false);
            }

            byte[] copy = ArrayPool<byte>.Shared.Rent(buffer.Length);
            try
            {
                buffer.CopyTo(copy);
                return await socket.SendToAsync(new ArraySegment<byte>(copy, 0, buffer.Length), socketFlags, remoteEP).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }

        /// <summary>Stream.ReadAsync(Memory&lt;byte&gt;, CancellationToken), for the zero-byte reads that wait for readability.</summary>
        public static ValueTask<int> ReadAsync(this System.IO.Stream stream, Memory<byte> buffer, CancellationToken cancellationToken) =>
            System.Runtime.InteropServices.MemoryMarshal.TryGetArray((ReadOnlyMemory<byte>)buffer, out ArraySegment<byte> segment)
                ? new ValueTask<int>(stream.ReadAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken))
                : throw new NotSupportedException("Only array-backed memory is read on netstandard2.0.");
    }
}
#endif
