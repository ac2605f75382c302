using System;
using System.Buffers;
using System.Linq;
using FsCheck.Xunit;
using Socks5.Protocol.Tests.Support;
using Socks5.Protocol.Wire;
using Xunit;

namespace Socks5.Protocol.Tests.Wire;

/// <summary>Every parser, fed bytes no peer is obliged to make sense: the contract holds, nothing throws.</summary>
public class ArbitraryInputTests
{
    [Property(MaxTest = 300)]
    public void Any_bytes_give_a_consistent_result_the_same_for_span_and_every_cut(byte[] input, int split)
    {
        input ??= Array.Empty<byte>();
        foreach (WireParser parser in WireParser.All)
        {
            ParseOutcome outcome = parser.Parse(input);
            SplitChecks.AssertConsistent(outcome, input.Length);
            Assert.Equal(outcome, parser.Parse(new ReadOnlySequence<byte>(input)));
            Assert.Equal(outcome, parser.Parse(Segments.SplitAt(input, (int)((uint)split % (uint)(input.Length + 1)))));
            Assert.Equal(outcome, parser.Parse(Segments.OneBytePerSegment(input)));

            if (outcome.Status == OperationStatus.Done)
            {
                // What follows a message never changes how it parses.
                Assert.Equal(outcome, parser.Parse(input.Take(outcome.Consumed).ToArray()));
            }
        }
    }

    [Property(MaxTest = 300)]
    public void Messages_made_likely_by_a_valid_first_byte_follow_the_contract(byte first, byte[] rest, int split)
    {
        // Random bytes rarely start with a valid version; these inputs reach the later checks of each parser.
        foreach (byte version in new byte[] { 0, 1, 5, first })
        {
            Any_bytes_give_a_consistent_result_the_same_for_span_and_every_cut(new[] { version }.Concat(rest ?? Array.Empty<byte>()).ToArray(), split);
        }
    }

    [Property(MaxTest = 300)]
    public void Gssapi_limit_is_applied_alike_by_span_and_sequence(byte[] input, ushort limit, int split)
    {
        input = new byte[] { GssapiMessage.Version }.Concat(input ?? Array.Empty<byte>()).ToArray();
        OperationStatus status = GssapiMessage.TryParse(input, limit, out GssapiMessage message, out int consumed, out ParseError error);
        SplitChecks.AssertConsistent(ParseOutcome.Of(status, consumed, error, string.Empty), input.Length);
        if (status == OperationStatus.Done)
        {
            Assert.InRange(message.Token.Length, 0, (int)limit);
        }

        string spanResult = $"{status} {consumed} {error} {Hex.Format(message.Token)}";
        ReadOnlySequence<byte> sequence = Segments.SplitAt(input, (int)((uint)split % (uint)(input.Length + 1)));
        status = GssapiMessage.TryParse(sequence, limit, out _, out ReadOnlySequence<byte> token, out consumed, out error);
        Assert.Equal(spanResult, $"{status} {consumed} {error} {Hex.Format(token.ToArray())}");
    }

    [Property]
    public void A_parsed_request_writes_back_the_same_bytes(byte[] input)
    {
        // The encoding has one form per message, so parse then write is the identity on what was consumed.
        input = new byte[] { 5, 1, 0 }.Concat(input ?? Array.Empty<byte>()).ToArray();
        if (Socks5Request.TryParse(input, out Socks5Request request, out int consumed, out _) != OperationStatus.Done)
        {
            return;
        }

        var buffer = new byte[Socks5Request.GetLength(request.Destination)];
        Assert.True(Socks5Request.TryWrite(request.Command, request.Destination, buffer, out int written));
        Assert.Equal(Hex.Format(input.AsSpan(0, consumed)), Hex.Format(buffer.AsSpan(0, written)));
    }
}
