using System.Buffers;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>
/// A GSSAPI context double whose establishment takes <c>legs</c> tokens, alternating from the client: "c1", "s1", "c2",
/// "s2", ... The side that sends the last token completes as it sends it; the other side completes on receiving it, with
/// no token. The default (two legs: "c1", then "s1") is Kerberos with mutual authentication; one leg ("c1" only) is a
/// context that completes in one step with a token. Each token may be padded to test long ones. Then the client sends
/// protection token "p1" and the server answers "p2".
/// </summary>
public sealed class FakeGssapiContext : IGssapiSecurityContext
{
    private readonly bool _isServer;
    private readonly bool _failOnServer;
    private readonly int _legs;
    private readonly int _padding;
    private int _calls;

    public FakeGssapiContext(bool isServer, bool failOnServer = false, int legs = 2, int padding = 0)
    {
        _isServer = isServer;
        _failOnServer = failOnServer;
        _legs = legs;
        _padding = padding;
    }

    public List<string> TokensSeen { get; } = new();

    /// <summary>The token of leg <paramref name="leg"/> (1-based): odd legs are the client's, even legs the server's.</summary>
    public static string Token(int leg, int padding = 0) => (leg % 2 == 1 ? "c" : "s") + ((leg + 1) / 2) + new string('.', padding);

    /// <summary>What <see cref="TokensSeen"/> holds after a successful exchange: every token of the peer, in order, then the protection-level tokens.</summary>
    public static IEnumerable<string> TokensSeenOnSuccess(bool isServer, int legs, int padding = 0)
    {
        IEnumerable<string> fromPeer = Enumerable.Range(1, legs).Where(leg => leg % 2 == (isServer ? 1 : 0)).Select(leg => Token(leg, padding));
        return isServer
            ? fromPeer.Append("protection:p1")
            : fromPeer.Prepend(string.Empty).Append("protection:").Append("protection:p2");
    }

    public GssapiContextStatus EstablishContext(ReadOnlySpan<byte> inputToken, IBufferWriter<byte> outputToken)
    {
        string input = System.Text.Encoding.ASCII.GetString(inputToken);
        TokensSeen.Add(input);
        _calls++;

        // The client's call k reads leg 2k-2 and writes leg 2k-1; the server's reads leg 2k-1 and writes leg 2k.
        int leg = _isServer ? 2 * _calls : 2 * _calls - 1;
        string expected = leg == 1 ? string.Empty : Token(leg - 1, _padding);
        if ((_isServer && _failOnServer) || input != expected || leg > _legs + 1)
        {
            return GssapiContextStatus.Failed;
        }

        if (leg <= _legs)
        {
            outputToken.Write(System.Text.Encoding.ASCII.GetBytes(Token(leg, _padding)));
        }

        return leg >= _legs ? GssapiContextStatus.Complete : GssapiContextStatus.ContinueNeeded;
    }

    public GssapiContextStatus NegotiateProtection(ReadOnlySpan<byte> inputToken, IBufferWriter<byte> outputToken)
    {
        string input = System.Text.Encoding.ASCII.GetString(inputToken);
        TokensSeen.Add("protection:" + input);
        if (_isServer)
        {
            if (input != "p1")
            {
                return GssapiContextStatus.Failed;
            }

            outputToken.Write("p2"u8);
            return GssapiContextStatus.Complete;
        }

        if (input.Length == 0)
        {
            outputToken.Write("p1"u8);
            return GssapiContextStatus.ContinueNeeded;
        }

        return input == "p2" ? GssapiContextStatus.Complete : GssapiContextStatus.Failed;
    }
}

/// <summary>
/// A private method X'80': the client sends a one-byte key, the server answers 1 (accepted) or 0 (refused).
/// </summary>
public sealed class PrivateKeyServerAuthenticator : ISocks5ServerAuthenticator
{
    public const AuthenticationMethod PrivateMethod = (AuthenticationMethod)0x80;
    private readonly byte _expected;

    public PrivateKeyServerAuthenticator(byte expected) => _expected = expected;

    public AuthenticationMethod Method => PrivateMethod;

    public AuthenticatorResult Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed)
    {
        bytesConsumed = 0;
        if (input.IsEmpty)
        {
            return AuthenticatorResult.NeedMoreData;
        }

        bytesConsumed = 1;
        bool ok = input[0] == _expected;
        output.Write(new[] { ok ? (byte)1 : (byte)0 });
        return ok ? AuthenticatorResult.Succeeded : AuthenticatorResult.Failed;
    }
}

/// <summary>The client half of <see cref="PrivateKeyServerAuthenticator"/>.</summary>
public sealed class PrivateKeyClientAuthenticator : ISocks5ClientAuthenticator
{
    private readonly byte _key;

    public PrivateKeyClientAuthenticator(byte key) => _key = key;

    public AuthenticationMethod Method => PrivateKeyServerAuthenticator.PrivateMethod;

    public AuthenticatorResult Start(IBufferWriter<byte> output)
    {
        output.Write(new[] { _key });
        return AuthenticatorResult.NeedMoreData;
    }

    public AuthenticatorResult Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed)
    {
        bytesConsumed = 0;
        if (input.IsEmpty)
        {
            return AuthenticatorResult.NeedMoreData;
        }

        bytesConsumed = 1;
        return input[0] == 1 ? AuthenticatorResult.Succeeded : AuthenticatorResult.Failed;
    }
}

/// <summary>A private method (X'80') whose peer never sends a whole message: it waits for ever, consuming nothing.</summary>
public sealed class StalledAuthenticator : ISocks5ClientAuthenticator, ISocks5ServerAuthenticator
{
    public const AuthenticationMethod PrivateMethod = (AuthenticationMethod)0x80;

    public AuthenticationMethod Method => PrivateMethod;

    public AuthenticatorResult Start(IBufferWriter<byte> output) => AuthenticatorResult.NeedMoreData;

    public AuthenticatorResult Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed)
    {
        bytesConsumed = 0;
        return AuthenticatorResult.NeedMoreData;
    }
}
