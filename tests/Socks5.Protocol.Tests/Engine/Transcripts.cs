using System.Buffers;
using System.Text;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>
/// A whole handshake as the bytes each side puts on the wire, tunnel data excluded: <paramref name="Method"/> (for GSSAPI
/// with a <see cref="FakeGssapiContext"/> of <paramref name="GssapiLegs"/> tokens, each padded by <paramref name="Padding"/>),
/// then <paramref name="Command"/> to <paramref name="Host"/>:<see cref="Transcripts.Port"/>.
/// </summary>
public sealed record Transcript(AuthenticationMethod Method, int GssapiLegs, int Padding, Command Command, string Host, byte[] FromClient, byte[] FromServer)
{
    /// <summary>A server engine that offers this transcript's method; <paramref name="context"/> is its GSSAPI context, if any.</summary>
    public Socks5ServerEngine CreateServer(out FakeGssapiContext? context)
    {
        FakeGssapiContext? gssapi = Method == AuthenticationMethod.Gssapi ? new FakeGssapiContext(isServer: true, legs: GssapiLegs, padding: Padding) : null;
        var options = new Socks5ServerEngineOptions { AuthenticatorFactory = _ => gssapi is null ? null : new GssapiServerAuthenticator(gssapi) };
        options.Methods.Clear();
        options.Methods.Add(Method);
        context = gssapi;
        return new Socks5ServerEngine(options);
    }

    /// <summary>A client engine that offers only this transcript's method; <paramref name="context"/> is its GSSAPI context, if any.</summary>
    public Socks5ClientEngine CreateClient(out FakeGssapiContext? context)
    {
        context = null;
        var authenticators = new List<ISocks5ClientAuthenticator>();
        if (Method == AuthenticationMethod.Gssapi)
        {
            context = new FakeGssapiContext(isServer: false, legs: GssapiLegs, padding: Padding);
            authenticators.Add(new GssapiClientAuthenticator(context));
        }
        else if (Method == AuthenticationMethod.UsernamePassword)
        {
            authenticators.Add(new UsernamePasswordClientAuthenticator(Transcripts.User, Transcripts.Password));
        }

        var destination = Socks5EndPoint.FromHost(Host, Transcripts.Port, new byte[Socks5EndPoint.MaxAddressLength]);
        return new Socks5ClientEngine(Command, destination, authenticators, offerNoAuthentication: Method == AuthenticationMethod.NoAuthenticationRequired);
    }

    public override string ToString() =>
        $"{Method}{(Method == AuthenticationMethod.Gssapi ? $" ({GssapiLegs} legs, tokens of {Padding + 2} bytes)" : "")}, {Command} to a {Host.Length}-byte host";
}

/// <summary>
/// Whole handshakes built by hand from the RFCs with the wire writers (never recorded from our engines, so an engine bug
/// cannot hide in the expected bytes): the greeting, the method's sub-negotiation, the request and its reply (two for
/// BIND). Every reply names <see cref="EngineHarness.BoundEndPoint"/>.
/// </summary>
public static class Transcripts
{
    public const ushort Port = 8000;
    // The longest RFC 1929 allows: a 513-byte request, longer than a greeting's 257.
    public static readonly string User = new('u', 255);
    public static readonly string Password = new('p', 255);

    public static readonly string LongHost = new('h', 255);

    /// <summary>Tunnel data the client sends right behind its handshake.</summary>
    public static readonly byte[] Up = Encoding.ASCII.GetBytes("client->server early data");

    /// <summary>Tunnel data the server sends right behind its handshake.</summary>
    public static readonly byte[] Down = Encoding.ASCII.GetBytes("server->client early data");

    /// <summary>RFC 1961 with a <see cref="FakeGssapiContext"/> of <paramref name="legs"/> tokens.</summary>
    public static Transcript Gssapi(int legs, Command command, string host, int padding = 0) =>
        Build(AuthenticationMethod.Gssapi, legs, padding, command, host, (client, server) =>
        {
            for (int leg = 1; leg <= legs; leg++)
            {
                string token = FakeGssapiContext.Token(leg, padding);
                GssapiMessage.Write(leg % 2 == 1 ? client : server, GssapiMessageType.Authentication, Encoding.ASCII.GetBytes(token));
            }

            // RFC 1961 §3: a server context that completes with no token of its own still answers the client's last
            // token, with an empty one, to say it is ready for the protection-level message.
            if (legs % 2 == 1)
            {
                GssapiMessage.Write(server, GssapiMessageType.Authentication, ReadOnlySpan<byte>.Empty);
            }

            GssapiMessage.Write(client, GssapiMessageType.ProtectionLevelNegotiation, "p1"u8);
            GssapiMessage.Write(server, GssapiMessageType.ProtectionLevelNegotiation, "p2"u8);
        });

    /// <summary>No authentication.</summary>
    public static Transcript NoAuthentication(Command command, string host) =>
        Build(AuthenticationMethod.NoAuthenticationRequired, 0, 0, command, host, (_, _) => { });

    /// <summary>RFC 1929 with <see cref="User"/> and <see cref="Password"/>, accepted.</summary>
    public static Transcript UsernamePassword(Command command, string host) =>
        Build(AuthenticationMethod.UsernamePassword, 0, 0, command, host, (client, server) =>
        {
            UsernamePasswordRequest.Write(client, Encoding.ASCII.GetBytes(User), Encoding.ASCII.GetBytes(Password));
            UsernamePasswordReply.Write(server, UsernamePasswordReply.Success);
        });

    private static Transcript Build(AuthenticationMethod method, int legs, int padding, Command command, string host, Action<IBufferWriter<byte>, IBufferWriter<byte>> subnegotiation)
    {
        var client = new ArrayBufferWriter<byte>();
        var server = new ArrayBufferWriter<byte>();
        Socks5Greeting.Write(client, new[] { method });
        Socks5MethodSelection.Write(server, method);
        subnegotiation(client, server);
        Socks5Request.Write(client, command, Socks5EndPoint.FromHost(host, Port, new byte[Socks5EndPoint.MaxAddressLength]));
        Socks5EndPoint bound = Socks5EndPoint.FromIPEndPoint(EngineHarness.BoundEndPoint, new byte[Socks5EndPoint.MaxAddressLength]);
        Socks5Reply.Write(server, ReplyCode.Succeeded, bound);
        if (command == Command.Bind)
        {
            Socks5Reply.Write(server, ReplyCode.Succeeded, bound);
        }

        return new Transcript(method, legs, padding, command, host, client.WrittenSpan.ToArray(), server.WrittenSpan.ToArray());
    }
}
