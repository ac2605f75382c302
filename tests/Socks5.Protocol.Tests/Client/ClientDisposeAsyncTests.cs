using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Socks5.Protocol.Client;
using Socks5.Protocol.Transport;
using Xunit;

namespace Socks5.Protocol.Tests.Client;

/// <summary>
/// <c>await using</c> on everything of the client that owns a socket: a tunnel sends what was written and not flushed, then
/// a FIN, then closes; a pending BIND closes; a UDP association returns once it has ended.
/// </summary>
public class ClientDisposeAsyncTests
{
    private const string Greeting = "05 01 00";
    private const string ConnectRequest = "05 01 00 01 7f 00 00 01 1f 40"; // CONNECT 127.0.0.1:8000
    private const string Success = "05 00 00 01 00 00 00 00 00 00";
    private static readonly IPEndPoint Target = Loop.At(8000);

    [Fact]
    public Task Await_using_a_tunnel_sends_what_was_written_and_not_flushed_then_closes() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5Tunnel> connecting = proxy.Client().ConnectAsync(Target);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.SendAsync("05 00" + Success);
        await server.ExpectAsync(Greeting + ConnectRequest);

        Socks5Tunnel tunnel = await connecting;
        await using (tunnel)
        {
            tunnel.Output.Write("bye"u8); // never flushed
        }

        Assert.Equal("bye", Encoding.ASCII.GetString(await server.ReadToEndAsync()));
        tunnel.Dispose(); // a second dispose, of either kind, does nothing
        await tunnel.DisposeAsync();
    });

    [Fact]
    public Task Await_using_a_tunnel_through_a_chain_ends_every_hop() => Bounded.Run(async () =>
    {
        // One scripted connection carries both handshakes: A's, then B's (at 127.0.0.1:1081) inside A's tunnel.
        using var proxy = new FakeProxy();
        var second = new Socks5Client(new Socks5ClientOptions("127.0.0.1", 1081) { Via = proxy.Client() });
        Task<Socks5Tunnel> connecting = second.ConnectAsync(Target);
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 01 00 01 7f 00 00 01 04 39");
        await server.SendAsync(Success);
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        await server.ExpectAsync(ConnectRequest);
        await server.SendAsync(Success);

        await using (Socks5Tunnel tunnel = await connecting)
        {
            tunnel.Output.Write("bye"u8);
        }

        Assert.Equal("bye", Encoding.ASCII.GetString(await server.ReadToEndAsync()));
    });

    [Fact]
    public Task Await_using_a_tunnel_over_a_callers_transport_disposes_it_asynchronously() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<(Socks5Tunnel, AsyncOnlyTransport)> connecting = Task.Run(async () =>
        {
            var transport = new AsyncOnlyTransport(await SocketPipe.ConnectAsync(proxy.EndPoint));
            return (await new Socks5Client(Loop.At(1)).ConnectOverAsync(transport, Target), transport);
        });
        using FakeConnection server = await proxy.AcceptAsync();
        await server.SendAsync("05 00" + Success);
        await server.ExpectAsync(Greeting + ConnectRequest);

        (Socks5Tunnel tunnel, AsyncOnlyTransport transport) = await connecting;
        await using (tunnel)
        {
            tunnel.Output.Write("bye"u8);
        }

        Assert.True(transport.Disposed);
        Assert.Equal("bye", Encoding.ASCII.GetString(await server.ReadToEndAsync()));
    });

    [Fact]
    public Task Await_using_a_pending_bind_closes_the_connection() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5PendingBind> binding = proxy.Client().BindAsync();
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 02 00 01 00 00 00 00 00 00");
        await server.SendAsync("05 00 00 01 7f 00 00 01 30 39");

        Socks5PendingBind bind = await binding;
        await using (bind)
        {
            Assert.Equal(Loop.At(12345), bind.ListenAddress);
        }

        await server.AssertClientClosedAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => bind.AcceptAsync());
    });

    [Fact]
    public Task Await_using_a_udp_association_returns_once_it_has_ended() => Bounded.Run(async () =>
    {
        using var proxy = new FakeProxy();
        Task<Socks5UdpAssociation> associating = proxy.Client().AssociateUdpAsync();
        using FakeConnection server = await proxy.AcceptAsync();
        await server.ExpectAsync(Greeting);
        await server.SendAsync("05 00");
        await server.ExpectAsync("05 03 00 01");
        await server.ReadExactlyAsync(6);
        await server.SendAsync("05 00 00 01 7f 00 00 01 11 5c");

        Socks5UdpAssociation association = await associating;
        await using (association)
        {
            Assert.False(association.Completion.IsCompleted);
        }

        Assert.True(association.Completion.IsCompleted);
        await server.AssertClientClosedAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => association.SendToAsync(new byte[1], Target).AsTask());
    });

    /// <summary>A caller's connection that can only be disposed asynchronously (as ASP.NET Core's ConnectionContext).</summary>
    private sealed class AsyncOnlyTransport(SocketPipe inner) : IDuplexPipe, IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public PipeReader Input => inner.Input;

        public PipeWriter Output => inner.Output;

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            inner.Dispose();
            return default;
        }
    }
}
