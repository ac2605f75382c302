using System.Buffers;
using Socks5.Protocol.Engine;
using Socks5.Protocol.Wire;

namespace Socks5.Protocol.Tests.Engine;

/// <summary>
/// A GSSAPI context double: the client sends "c1", the server answers "s1" and is established; the client is established
/// on "s1"; then the client sends protection token "p1" and the server answers "p2".
/// </summary>
public sealed class FakeGssapiContext : IGssapiSecurityContext
{
    private readonly bool _isServer;
    private readonly bool _failOnServer;

    public FakeGssapiContext(bool isServer, bool failOnServer = false)
    {
        _isServer = isServer;
        _failOnServer = failOnServer;
    }

    public List<string> TokensSeen { get; } = new();

    public GssapiContextStatus EstablishContext(ReadOnlySpan<byte> inputToken, IBufferWriter<byte> outputToken)
    {
        string input = System.Text.Encoding.ASCII.GetString(inputToken);
        TokensSeen.Add(input);
        if (_isServer)
        {
            if (_failOnServer || input != "c1")
            {
                return GssapiContextStatus.Failed;
            }

            outputToken.Write("s1"u8);
            return GssapiContextStatus.Complete;
        }

        if (input.Length == 0)
        {
            outputToken.Write("c1"u8);
            return GssapiContextStatus.ContinueNeeded;
        }

        return input == "s1" ? GssapiContextStatus.Complete : GssapiContextStatus.Failed;
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

    public AuthenticationStatus Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed)
    {
        bytesConsumed = 0;
        if (input.IsEmpty)
        {
            return AuthenticationStatus.NeedMoreData;
        }

        bytesConsumed = 1;
        bool ok = input[0] == _expected;
        output.Write(new[] { ok ? (byte)1 : (byte)0 });
        return ok ? AuthenticationStatus.Succeeded : AuthenticationStatus.Failed;
    }
}

/// <summary>The client half of <see cref="PrivateKeyServerAuthenticator"/>.</summary>
public sealed class PrivateKeyClientAuthenticator : ISocks5ClientAuthenticator
{
    private readonly byte _key;

    public PrivateKeyClientAuthenticator(byte key) => _key = key;

    public AuthenticationMethod Method => PrivateKeyServerAuthenticator.PrivateMethod;

    public AuthenticationStatus Start(IBufferWriter<byte> output)
    {
        output.Write(new[] { _key });
        return AuthenticationStatus.NeedMoreData;
    }

    public AuthenticationStatus Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output, out int bytesConsumed)
    {
        bytesConsumed = 0;
        if (input.IsEmpty)
        {
            return AuthenticationStatus.NeedMoreData;
        }

        bytesConsumed = 1;
        return input[0] == 1 ? AuthenticationStatus.Succeeded : AuthenticationStatus.Failed;
    }
}
