using System.Buffers;
using System.Net;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>What the host behind a server engine decides.</summary>
public sealed record ServerPolicy(
    IReadOnlyList<AuthenticationMethod> Methods,
    bool AcceptCredentials = true,
    ReplyCode ReplyCode = ReplyCode.Succeeded,
    ReplyCode SecondReplyCode = ReplyCode.Succeeded,
    bool AllowUnknownCommands = false);

/// <summary>
/// A client engine and a server engine wired back to back in memory. Bytes cross in chunks whose sizes come from a list
/// (cycled), so a test or FsCheck can choose every split point in both directions.
/// </summary>
public sealed class EngineHarness
{
    public static readonly IPEndPoint BoundEndPoint = new(IPAddress.Parse("127.0.0.2"), 4112);
    public static readonly IPEndPoint PeerEndPoint = new(IPAddress.Parse("::1"), 5000);

    private readonly List<byte> _toServer = new();
    private readonly List<byte> _toClient = new();
    private readonly List<byte> _serverInbox = new();
    private readonly List<byte> _clientInbox = new();
    private readonly int[] _chunks;
    private int _chunkIndex;

    public EngineHarness(Socks5ClientEngine client, ServerPolicy policy, int[] chunkSizes, Func<AuthenticationMethod, ISocks5ServerAuthenticator?>? factory = null)
    {
        Client = client;
        Policy = policy;
        var options = new Socks5ServerEngineOptions { AuthenticatorFactory = factory, AllowUnknownCommands = policy.AllowUnknownCommands };
        options.Methods.Clear();
        foreach (AuthenticationMethod m in policy.Methods)
        {
            options.Methods.Add(m);
        }

        Server = new Socks5ServerEngine(options);
        _chunks = chunkSizes.Length == 0 ? new[] { int.MaxValue } : chunkSizes.Select(c => Math.Max(1, c)).ToArray();
    }

    public Socks5ClientEngine Client { get; }

    public Socks5ServerEngine Server { get; }

    public ServerPolicy Policy { get; }

    public List<ClientEvent> ClientEvents { get; } = new();

    public List<ServerEvent> ServerEvents { get; } = new();

    public string? UserSeen { get; private set; }

    public string? PasswordSeen { get; private set; }

    public string? RequestSeen { get; private set; }

    public Command CommandSeen { get; private set; }

    public string? BindAddressSeen { get; private set; }

    /// <summary>Bytes the client received after its handshake ended (tunnel data from the server).</summary>
    public List<byte> ClientTunnel { get; } = new();

    /// <summary>Bytes the server received after its handshake ended (tunnel data from the client).</summary>
    public List<byte> ServerTunnel { get; } = new();

    /// <summary>Runs the handshake; each side sends <paramref name="clientData"/>/<paramref name="serverData"/> as soon as its engine is established.</summary>
    /// <param name="optimistic">When true the client sends its data right after its request, before any reply (as Tor's optimistic data does).</param>
    public void Run(byte[] clientData, byte[] serverData, bool optimistic = false)
    {
        var writer = new ArrayBufferWriter<byte>();
        ClientEvents.Add(Client.Start(writer));
        Send(writer, _toServer);
        bool clientSentData = false, serverSentData = false;
        for (int round = 0; round < 100_000; round++)
        {
            bool toServer = Deliver(_toServer, _serverInbox);
            bool toClient = Deliver(_toClient, _clientInbox);

            // An engine is called again only when new bytes reach it: NeedMoreData promised that the bytes it kept
            // hold nothing it can act on, so an engine that breaks that promise stalls here as on a real connection.
            if (toServer)
            {
                PumpServer();
            }

            if (toClient)
            {
                PumpClient();
            }

            bool clientMaySend = Client.State == ClientEngineState.Established
                || (optimistic && Client.State is ClientEngineState.AwaitingReply or ClientEngineState.AwaitingSecondReply);
            if (clientMaySend && !clientSentData)
            {
                _toServer.AddRange(clientData);
                clientSentData = true;
            }

            if (Server.State == ServerEngineState.Established && !serverSentData)
            {
                _toClient.AddRange(serverData);
                serverSentData = true;
            }

            if (!toServer && !toClient && _toServer.Count == 0 && _toClient.Count == 0)
            {
                break; // nothing in flight: both done, one side closed, or stalled
            }
        }

        if (Client.State == ClientEngineState.Established)
        {
            ClientTunnel.AddRange(_clientInbox);
        }

        if (Server.State == ServerEngineState.Established)
        {
            ServerTunnel.AddRange(_serverInbox);
        }
    }

    private bool Deliver(List<byte> wire, List<byte> inbox)
    {
        if (wire.Count == 0)
        {
            return false;
        }

        int n = Math.Min(wire.Count, _chunks[_chunkIndex++ % _chunks.Length]);
        inbox.AddRange(wire.GetRange(0, n));
        wire.RemoveRange(0, n);
        return true;
    }

    private static void Send(ArrayBufferWriter<byte> writer, List<byte> wire)
    {
        wire.AddRange(writer.WrittenSpan.ToArray());
        writer.Clear();
    }

    private void PumpServer()
    {
        var writer = new ArrayBufferWriter<byte>();
        while (Server.State is not (ServerEngineState.Established or ServerEngineState.Closed))
        {
            ServerEvent e = Server.Process(_serverInbox.ToArray(), writer, out int used);
            _serverInbox.RemoveRange(0, used);
            ServerEvents.Add(e);
            if (e == ServerEvent.CredentialsReceived)
            {
                UserSeen = Encoding.UTF8.GetString(Server.UserName);
                PasswordSeen = Encoding.UTF8.GetString(Server.Password);
                ServerEvents.Add(Server.AcceptCredentials(Policy.AcceptCredentials, writer));
                continue;
            }

            if (e == ServerEvent.RequestReceived)
            {
                RequestSeen = Server.Request.Destination.ToString();
                CommandSeen = Server.Request.Command;
                Span<byte> buffer = stackalloc byte[16];
                e = Server.Reply(Policy.ReplyCode, Socks5EndPoint.FromIPEndPoint(BoundEndPoint, buffer), writer);
                ServerEvents.Add(e);
                if (e == ServerEvent.SecondReplyRequired)
                {
                    // The first reply goes out before the peer connects.
                    Send(writer, _toClient);
                    ServerEvents.Add(Server.Reply(Policy.SecondReplyCode, Socks5EndPoint.FromIPEndPoint(PeerEndPoint, buffer), writer));
                }

                continue;
            }

            break;
        }

        Send(writer, _toClient);
    }

    private void PumpClient()
    {
        var writer = new ArrayBufferWriter<byte>();
        while (Client.State is not (ClientEngineState.Established or ClientEngineState.Closed))
        {
            ClientEvent e = Client.Process(_clientInbox.ToArray(), writer, out int used);
            _clientInbox.RemoveRange(0, used);
            ClientEvents.Add(e);
            if (e == ClientEvent.FirstReplyReceived)
            {
                BindAddressSeen = Client.BindAddress.ToString();
                continue;
            }

            break;
        }

        Send(writer, _toServer);
    }
}
