using System.Net;
using System.Text;
using FsCheck.Xunit;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>
/// A client engine and a server engine talking to each other, for every method, command, address type and reply code,
/// with the split points of both directions chosen by FsCheck. Both sides must agree, and tunnel bytes must arrive intact.
/// </summary>
public class BackToBackTests
{
    public enum Method { None, UsernamePasswordAccepted, UsernamePasswordRejected, Private, PrivateRefused, Gssapi, GssapiOneLeg, GssapiThreeLegs, GssapiFourLegs }

    private static readonly Method[] Methods = Enum.GetValues<Method>();

    private static readonly Command[] Commands = { Command.Connect, Command.Bind, Command.UdpAssociate };
    private static readonly string[] Hosts = { "127.0.0.1", "::1", "localhost", new string('a', 255) };
    private static readonly ReplyCode[] Replies =
    {
        ReplyCode.Succeeded, ReplyCode.GeneralFailure, ReplyCode.ConnectionNotAllowed, ReplyCode.NetworkUnreachable,
        ReplyCode.HostUnreachable, ReplyCode.ConnectionRefused, ReplyCode.TtlExpired, ReplyCode.CommandNotSupported,
        ReplyCode.AddressTypeNotSupported, (ReplyCode)0xF3,
    };

    [Property(MaxTest = 300)]
    public void Client_and_server_agree_for_any_split(byte method, byte command, byte host, byte reply, int[] chunks, bool optimistic)
    {
        Check(Methods[method % Methods.Length], Commands[command % Commands.Length], Hosts[host % Hosts.Length], Replies[reply % Replies.Length], chunks ?? Array.Empty<int>(), optimistic);
    }

    [Theory]
    [MemberData(nameof(AllCombinations))]
    public void Every_combination_agrees_whole_and_one_byte_at_a_time(Method method, Command command, string host, ReplyCode reply)
    {
        Check(method, command, host, reply, Array.Empty<int>(), optimistic: false);
        Check(method, command, host, reply, new[] { 1 }, optimistic: false);
        Check(method, command, host, reply, Array.Empty<int>(), optimistic: true);
        Check(method, command, host, reply, new[] { 1 }, optimistic: true);
    }

    public static IEnumerable<object[]> AllCombinations()
    {
        foreach (Method m in Methods)
        {
            foreach (Command c in Commands)
            {
                foreach (string h in Hosts.Take(3))
                {
                    foreach (ReplyCode r in new[] { ReplyCode.Succeeded, ReplyCode.ConnectionRefused, (ReplyCode)0xF3 })
                    {
                        yield return new object[] { m, c, h, r };
                    }
                }
            }
        }
    }

    private static int GssapiLegs(Method method) => method switch
    {
        Method.GssapiOneLeg => 1,
        Method.GssapiThreeLegs => 3,
        Method.GssapiFourLegs => 4,
        _ => 2,
    };

    private static void Check(Method method, Command command, string host, ReplyCode reply, int[] chunks, bool optimistic)
    {
        FakeGssapiContext? clientGss = null, serverGss = null;
        var clientAuth = new List<ISocks5ClientAuthenticator>();
        var serverMethods = new List<AuthenticationMethod>();
        bool offerNone = method == Method.None;
        switch (method)
        {
            case Method.None:
                serverMethods.Add(AuthenticationMethod.NoAuthenticationRequired);
                break;
            case Method.UsernamePasswordAccepted:
            case Method.UsernamePasswordRejected:
                clientAuth.Add(new UsernamePasswordClientAuthenticator("socksuser", "sockspass"));
                serverMethods.Add(AuthenticationMethod.UsernamePassword);
                break;
            case Method.Private:
            case Method.PrivateRefused:
                clientAuth.Add(new PrivateKeyClientAuthenticator(method == Method.Private ? (byte)0x42 : (byte)0x41));
                serverMethods.Add(PrivateKeyServerAuthenticator.PrivateMethod);
                break;
            case Method.Gssapi or Method.GssapiOneLeg or Method.GssapiThreeLegs or Method.GssapiFourLegs:
                clientGss = new FakeGssapiContext(isServer: false, legs: GssapiLegs(method));
                serverGss = new FakeGssapiContext(isServer: true, legs: GssapiLegs(method));
                clientAuth.Add(new GssapiClientAuthenticator(clientGss));
                serverMethods.Add(AuthenticationMethod.Gssapi);
                break;
        }

        var buffer = new byte[Socks5EndPoint.MaxAddressLength];
        var client = new Socks5ClientEngine(command, Socks5EndPoint.FromHost(host, 8000, buffer), clientAuth, offerNone);
        var policy = new ServerPolicy(serverMethods, AcceptCredentials: method != Method.UsernamePasswordRejected, ReplyCode: command == Command.Bind ? ReplyCode.Succeeded : reply, SecondReplyCode: reply);
        var harness = new EngineHarness(client, policy, chunks, m => m switch
        {
            AuthenticationMethod.Gssapi => new GssapiServerAuthenticator(serverGss!),
            PrivateKeyServerAuthenticator.PrivateMethod => new PrivateKeyServerAuthenticator(0x42),
            _ => null,
        });

        byte[] up = Encoding.ASCII.GetBytes("client->server tunnel bytes");
        byte[] down = Encoding.ASCII.GetBytes("server->client tunnel bytes");
        harness.Run(up, down, optimistic);

        bool authFails = method is Method.UsernamePasswordRejected or Method.PrivateRefused;
        if (authFails)
        {
            Assert.Equal(ClientEngineState.Closed, client.State);
            Assert.Equal(HandshakeFailure.AuthenticationFailed, client.Failure);
            Assert.Equal(ServerEngineState.Closed, harness.Server.State);
            Assert.Equal(HandshakeFailure.AuthenticationFailed, harness.Server.Failure);
            Assert.Null(harness.RequestSeen);
            return;
        }

        Assert.Equal(Socks5EndPoint.FromHost(host, 8000, new byte[255]).ToString(), harness.RequestSeen);
        Assert.Equal(command, harness.CommandSeen);
        if (method is Method.UsernamePasswordAccepted)
        {
            Assert.Equal("socksuser", harness.UserSeen);
            Assert.Equal("sockspass", harness.PasswordSeen);
        }

        if (clientGss is not null)
        {
            Assert.Equal(FakeGssapiContext.TokensSeenOnSuccess(isServer: false, GssapiLegs(method)), clientGss.TokensSeen);
            Assert.Equal(FakeGssapiContext.TokensSeenOnSuccess(isServer: true, GssapiLegs(method)), serverGss!.TokensSeen);
        }

        Assert.Equal(reply, client.ReplyCode);
        if (command == Command.Bind)
        {
            Assert.Equal(EngineHarness.BoundEndPoint.ToString(), harness.BindAddressSeen);
        }

        if (reply != ReplyCode.Succeeded)
        {
            Assert.Equal(ClientEngineState.Closed, client.State);
            Assert.Equal(HandshakeFailure.RequestRejected, client.Failure);
            Assert.Equal(ServerEngineState.Closed, harness.Server.State);
            Assert.Equal(HandshakeFailure.RequestRejected, harness.Server.Failure);
            return;
        }

        Assert.Equal(ClientEngineState.Established, client.State);
        Assert.Equal(ServerEngineState.Established, harness.Server.State);
        IPEndPoint expectedBound = command == Command.Bind ? EngineHarness.PeerEndPoint : EngineHarness.BoundEndPoint;
        Assert.Equal(expectedBound, client.BoundAddress.ToEndPoint());
        Assert.Equal(up, harness.ServerTunnel.ToArray());
        Assert.Equal(down, harness.ClientTunnel.ToArray());
    }
}
