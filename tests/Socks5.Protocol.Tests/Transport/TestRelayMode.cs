using System.Runtime.CompilerServices;
using Socks5.Protocol.Transport;

namespace Socks5.Protocol.Tests.Transport;

/// <summary>
/// Which path the socket relay takes in this test run. On Linux the relay splices bulk bursts; with
/// <c>SOCKS5_TEST_RELAY=copy</c> the whole suite runs on the copying path instead (.ci/run runs the relay and server tests
/// both ways), through the switch an operator would use.
/// </summary>
internal static class TestRelayMode
{
    public const string Variable = "SOCKS5_TEST_RELAY";

    [ModuleInitializer]
    internal static void Apply()
    {
        if (Environment.GetEnvironmentVariable(Variable) == "copy")
        {
            AppContext.SetSwitch(LinuxSplice.DisableSwitch, true);
        }
    }
}
