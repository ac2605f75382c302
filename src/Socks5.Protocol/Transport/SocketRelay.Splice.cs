#if NET
using System;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Socks5.Protocol.Transport;

/// <summary>
/// The relay's zero-copy path on Linux: a burst (a receive that filled the direction's buffer) continues through a kernel
/// pipe with splice(2), socket to pipe, pipe to socket, the bytes never entering this process. Interactive traffic never
/// fills the small buffer and stays on the copying path; an idle direction holds no pipe, since the pipe lives only for
/// its burst.
/// </summary>
internal sealed partial class SocketRelay
{
    // What goes through the buffer when splicing into the destination would block: the send waits for room, and then
    // splicing resumes with whatever room there is.
    private const int WaitChunk = 4 * 1024;

    // Moves bytes from one socket to the other until the source has nothing more for now (true is returned when it
    // ended). What sits in the pipe when the destination cannot take more is sent through the buffer with an ordinary
    // asynchronous send, which waits for room: the runtime offers no wait for writability alone, and nothing is lost.
    private async Task<bool> SpliceBurstAsync(Socket from, Socket to, byte[] buffer, bool forward)
    {
        if (!LinuxSplice.TryRentPipe(out int pipeRead, out int pipeWrite, out _))
        {
            return false; // out of descriptors, say: this burst goes on copying
        }

        // A reference on each socket's handle for the whole burst: a socket closed meanwhile keeps its descriptor until
        // the burst lets go, so the number can never be reused by another connection while we splice to it.
        SafeHandle fromHandle = from.SafeHandle;
        SafeHandle toHandle = to.SafeHandle;
        bool fromReferenced = false;
        bool toReferenced = false;
        int inPipe = 0; // bytes in the pipe: only an empty pipe may serve another burst
        try
        {
            fromHandle.DangerousAddRef(ref fromReferenced);
            toHandle.DangerousAddRef(ref toReferenced);
            int source = (int)fromHandle.DangerousGetHandle();
            int destination = (int)toHandle.DangerousGetHandle();
            while (true)
            {
                long moved = LinuxSplice.Splice(source, pipeWrite, LinuxSplice.PipeSize, out int errno);
                if (moved == 0)
                {
                    return true; // the peer's FIN
                }

                if (moved < 0)
                {
                    if (errno == LinuxSplice.EINTR)
                    {
                        continue;
                    }

                    if (errno == LinuxSplice.EAGAIN)
                    {
                        return false; // drained: back to waiting without a pipe
                    }

                    if (errno == LinuxSplice.EINVAL)
                    {
                        _splice = false; // this pair of sockets cannot be spliced (nothing moved): copy from now on
                        return false;
                    }

                    throw LinuxSplice.ToSocketException(errno);
                }

                // The pipe was empty, so it now holds exactly what was moved: pass all of it on before the next.
                inPipe = (int)moved;
                while (inPipe > 0)
                {
                    long sent = LinuxSplice.Splice(pipeRead, destination, inPipe, out errno);
                    if (sent > 0)
                    {
                        inPipe -= (int)sent;
                        Count(forward, (int)sent); // counted as delivered: a failure mid-chunk leaves no byte uncounted
                    }
                    else if (errno == LinuxSplice.EAGAIN)
                    {
                        // The destination is full. Send a little of the pipe's content the ordinary way, which waits
                        // for room; then splice the rest again. A little, since what goes this way is copied twice.
                        int read = LinuxSplice.Read(pipeRead, buffer.AsSpan(0, Math.Min(inPipe, WaitChunk)), out errno);
                        if (read <= 0)
                        {
                            throw LinuxSplice.ToSocketException(errno); // a pipe that holds bytes always yields some
                        }

                        Interlocked.Add(ref LinuxSplice.SentThroughBuffer, read); // before the wait: a test watches for it
                        await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None).ConfigureAwait(false);
                        inPipe -= read;
                        Count(forward, read);
                    }
                    else if (sent == 0 || errno != LinuxSplice.EINTR)
                    {
                        // 0 from a pipe that holds bytes cannot happen; were it to, waiting would spin for ever.
                        throw sent == 0 ? new SocketException((int)SocketError.Shutdown) : LinuxSplice.ToSocketException(errno);
                    }
                }

                Interlocked.Add(ref LinuxSplice.SplicedBytes, moved);
            }
        }
        finally
        {
            if (toReferenced)
            {
                toHandle.DangerousRelease();
            }

            if (fromReferenced)
            {
                fromHandle.DangerousRelease();
            }

            LinuxSplice.ReturnPipe(pipeRead, pipeWrite, empty: inPipe == 0);
        }
    }
}
#endif
