using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

/// <summary>Tor's extensions to SOCKS5 (socks-extensions: "Name lookup" and "Extended error codes").</summary>
public class TorExtensionTests
{
    [Theory]
    [InlineData(Command.Resolve, 0xF0)]
    [InlineData(Command.ResolvePtr, 0xF1)]
    public void Commands_have_Tor_values(Command command, int value) => Assert.Equal(value, (int)command);

    [Theory]
    [InlineData(ReplyCode.OnionServiceDescriptorCannotBeFound, 0xF0)]
    [InlineData(ReplyCode.OnionServiceDescriptorIsInvalid, 0xF1)]
    [InlineData(ReplyCode.OnionServiceIntroductionFailed, 0xF2)]
    [InlineData(ReplyCode.OnionServiceRendezvousFailed, 0xF3)]
    [InlineData(ReplyCode.OnionServiceMissingClientAuthorization, 0xF4)]
    [InlineData(ReplyCode.OnionServiceWrongClientAuthorization, 0xF5)]
    [InlineData(ReplyCode.OnionServiceInvalidAddress, 0xF6)]
    [InlineData(ReplyCode.OnionServiceIntroductionTimedOut, 0xF7)]
    public void Reply_codes_have_Tor_values(ReplyCode code, int value) => Assert.Equal(value, (int)code);

    [Theory]
    // RESOLVE example.com (the port is ignored: 0); RESOLVE_PTR 127.0.0.1.
    [InlineData("05 f0 00 03 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d 00 00", Command.Resolve, AddressType.DomainName, "6578616d706c652e636f6d", 0)]
    [InlineData("05 f1 00 01 7f 00 00 01 00 00", Command.ResolvePtr, AddressType.IPv4, "7f000001", 0)]
    public void A_SOCKS5_request_with_a_Tor_command_parses_and_writes(string hex, Command command, AddressType type, string addressHex, int port) =>
        AddressedCodec.Request.AssertVector(hex, (byte)command, type, addressHex, port);

    [Theory]
    // The RESOLVE answer: the address found. The RESOLVE_PTR answer: the name found. The onion service failures.
    [InlineData("05 00 00 01 5d b8 d8 22 00 00", ReplyCode.Succeeded, AddressType.IPv4, "5db8d822", 0)]
    [InlineData("05 00 00 03 09 6c 6f 63 61 6c 68 6f 73 74 00 00", ReplyCode.Succeeded, AddressType.DomainName, "6c6f63616c686f7374", 0)]
    [InlineData("05 f0 00 01 00 00 00 00 00 00", ReplyCode.OnionServiceDescriptorCannotBeFound, AddressType.IPv4, "00000000", 0)]
    [InlineData("05 f6 00 01 00 00 00 00 00 00", ReplyCode.OnionServiceInvalidAddress, AddressType.IPv4, "00000000", 0)]
    [InlineData("05 f7 00 01 00 00 00 00 00 00", ReplyCode.OnionServiceIntroductionTimedOut, AddressType.IPv4, "00000000", 0)]
    public void A_SOCKS5_reply_with_a_Tor_code_parses_and_writes(string hex, ReplyCode code, AddressType type, string addressHex, int port) =>
        AddressedCodec.Reply.AssertVector(hex, (byte)code, type, addressHex, port);

    [Fact]
    public void A_server_answers_a_request_it_cannot_parse_with_an_RFC_1928_code_never_a_Tor_one()
    {
        foreach (ParseError error in System.Enum.GetValues<ParseError>())
        {
            Assert.True((byte)error.ToReplyCode() <= 0x08, error.ToString());
        }
    }
}
