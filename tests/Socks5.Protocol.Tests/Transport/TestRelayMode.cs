using System.Runtime.CompilerServices;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>
/// Which path the socket relay takes by default in this test run: it copies; with <c>SOCKS5_TEST_RELAY=splice</c> it
/// splices bulk bursts on Linux instead (.ci/run runs the relay and server tests both ways), through the switch an
/// operator would use.
/// </summary>
internal static class TestRelayMode
{
    public const string Variable = "SOCKS5_TEST_RELAY";

    [ModuleInitializer]
    internal static void Apply()
    {
        if (Environment.GetEnvironmentVariable(Variable) == "splice")
        {
            AppContext.SetSwitch(LinuxSplice.EnableSwitch, true);
        }
    }
}
