using System.Globalization;

namespace OpenVocab.Tests;

/// <summary>
/// Process memory after a full, compacting collection with finalizers run (so OpenCV and ONNX buffers held only by
/// collectable wrappers are freed first). Tests comparing two samples must run alone (a collection with
/// <c>DisableParallelization</c>), since any test beside them moves process-wide memory.
/// </summary>
internal readonly record struct MemorySample(long Frame, long ManagedBytes, long HeapSizeBytes, long CommittedBytes, long ResidentBytes)
{
    public static MemorySample Take(long frame)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var managed = GC.GetTotalMemory(forceFullCollection: false);
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        return new MemorySample(frame, managed, info.HeapSizeBytes, info.TotalCommittedBytes, ResidentSetBytes());
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"frame {Frame,6}: managed {ManagedBytes / 1024.0,9:0.0} KiB, GC heap {HeapSizeBytes / 1024.0,9:0.0} KiB, committed {CommittedBytes / 1024.0 / 1024,6:0.0} MiB, RSS {ResidentBytes / 1024.0 / 1024,6:0.0} MiB");

    /// <summary>VmRSS from /proc (Linux: includes native allocations by OpenCV and ONNX Runtime); the working set elsewhere.</summary>
    private static long ResidentSetBytes()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (var line in File.ReadLines(status))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        return Environment.WorkingSet;
    }
}

/// <summary>
/// Tests that read process-wide memory (managed heap, RSS) run in this collection: alone, after the parallel ones,
/// since tests running beside them would move it. Linked into each test assembly that measures memory.
/// </summary>
[CollectionDefinition(nameof(MemoryMeasurements), DisableParallelization = true)]
public sealed class MemoryMeasurements;
