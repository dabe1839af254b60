using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OpenVocab.Cameras.Tests;

/// <summary>Free loopback ports and waiting for a server that was just started.</summary>
internal static class Loopback
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits (bounded) until something accepts TCP connections on the port.</summary>
    public static void WaitForListener(int port, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < timeout)
            {
                Thread.Sleep(50);
            }
        }
    }
}
