using System.Diagnostics;

namespace OpenVocab.Server.Tests;

/// <summary>
/// The test process's managed heap and resident set, taken after a full collection with finalizers run (so that
/// OpenCV and ONNX buffers held only by collectable wrappers are freed first). The server runs in this process, so
/// its native allocations show in the resident set. Tests that compare two readings run in the server collection,
/// which no other server-starting test runs beside (see <see cref="Hosting.SecurityAndLimitsTests"/>).
/// </summary>
internal readonly record struct ProcessMemory(long Managed, long Resident)
{
    public static ProcessMemory Take()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return new ProcessMemory(GC.GetTotalMemory(forceFullCollection: false), self.WorkingSet64);
    }

    public void AssertGrowthBelow(ProcessMemory before, int managedMb, int residentMb)
    {
        var managed = (Managed - before.Managed) / 1e6;
        var resident = (Resident - before.Resident) / 1e6;
        Assert.True(managed < managedMb, $"managed memory grew by {managed:0.0} MB (limit {managedMb} MB)");
        Assert.True(resident < residentMb, $"resident memory grew by {resident:0.0} MB (limit {residentMb} MB; {before.Resident / 1e6:0} -> {Resident / 1e6:0} MB)");
    }
}
