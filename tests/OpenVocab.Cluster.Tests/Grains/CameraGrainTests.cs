using System.Diagnostics;
using OpenVocab.Cluster.Grains;

namespace OpenVocab.Cluster.Tests.Grains;

/// <summary>
/// The camera grain on two real in-process silos and a real Redis: definitions persist, activation starts the
/// camera on exactly one silo's host and deactivation stops it, placement honours each silo's capacity, and bad
/// input gets a clear error.
/// </summary>
[Collection(GrainClusterGroup.Name)]
public sealed class CameraGrainTests(GrainCluster cluster) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Each test leaves the cluster empty for the next.</summary>
    public Task DisposeAsync() => cluster.RemoveAllAsync();

    [Fact]
    public async Task A_defined_camera_runs_on_exactly_one_silo_and_comes_back_from_its_persisted_state()
    {
        var added = await cluster.Client.AddAsync("walk", GrainCluster.Definition());
        Assert.Equal("walk", added.Name);
        Assert.Equal([added.Silo], cluster.SilosRunning("walk"));
        Assert.Equal(["blue square", "red circle"], added.Classes.Order());
        await WaitFor(async () => (await cluster.Client.GetAsync("walk")).FramesProcessed > 0, "the camera to process frames");

        // Deactivation stops the camera; the next call activates it again from the state in Redis (memory is gone).
        var grain = cluster.Cluster.Client.GetGrain<ICameraGrain>("walk");
        await grain.MoveAsync();
        await WaitFor(() => Task.FromResult(cluster.SilosRunning("walk").Count == 0), "the deactivated camera to stop");
        var again = await cluster.Client.GetAsync("walk");
        Assert.Equal([again.Silo], cluster.SilosRunning("walk"));
        Assert.Equal(["blue square", "red circle"], again.Classes.Order());
        Assert.EndsWith("shapes_walk.mp4", again.Source, StringComparison.Ordinal);
        Assert.Equal(["walk"], (await cluster.Client.ListAsync()).Select(c => c.Name));
    }

    [Fact]
    public async Task Set_classes_changes_the_running_camera_and_survives_reactivation()
    {
        await cluster.Client.AddAsync("lane", GrainCluster.Definition("shapes_lane.mp4"));
        var changed = await cluster.Client.SetClassesAsync("lane", "green square, orange circle");
        Assert.Equal(["green square", "orange circle"], changed.Classes.Order());

        await cluster.Cluster.Client.GetGrain<ICameraGrain>("lane").MoveAsync();
        await WaitFor(() => Task.FromResult(cluster.SilosRunning("lane").Count == 0), "the deactivated camera to stop");
        Assert.Equal(["green square", "orange circle"], (await cluster.Client.GetAsync("lane")).Classes.Order());
    }

    [Fact]
    public async Task Placement_fills_silos_by_capacity_and_refuses_a_camera_the_cluster_has_no_room_for()
    {
        for (var i = 0; i < 2 * GrainCluster.Capacity; i++)
        {
            await cluster.Client.AddAsync($"cam{i}", GrainCluster.Definition(i % 2 == 0 ? "shapes_walk.mp4" : "shapes_lane.mp4"));
        }

        var perSilo = cluster.CamerasPerSilo();
        Assert.Equal(2, perSilo.Count);
        Assert.All(perSilo.Values, n => Assert.Equal(GrainCluster.Capacity, n));

        var full = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.Client.AddAsync("one-too-many", GrainCluster.Definition()));
        Assert.Contains("no room for camera 'one-too-many'", full.Message, StringComparison.Ordinal);
        Assert.Contains("--capacity", full.Message, StringComparison.Ordinal);
        Assert.Empty(cluster.SilosRunning("one-too-many"));

        // Redefining a camera that exists needs no room.
        var redefined = await cluster.Client.AddAsync("cam0", GrainCluster.Definition("shapes_lane.mp4"));
        Assert.EndsWith("shapes_lane.mp4", redefined.Source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_stops_the_camera_and_forgets_it()
    {
        await cluster.Client.AddAsync("gone", GrainCluster.Definition());
        Assert.True(await cluster.Client.RemoveAsync("gone"));
        Assert.Empty(cluster.SilosRunning("gone"));
        Assert.DoesNotContain("gone", (await cluster.Client.ListAsync()).Select(c => c.Name));
        Assert.False(await cluster.Client.RemoveAsync("gone"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => cluster.Client.GetAsync("gone"));
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_error_and_changes_nothing()
    {
        var unknown = await Assert.ThrowsAsync<KeyNotFoundException>(() => cluster.Client.GetAsync("nobody"));
        Assert.Contains("no camera 'nobody'", unknown.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => cluster.Client.SetClassesAsync("nobody", "red circle"));

        var invalid = await Assert.ThrowsAsync<ArgumentException>(() => cluster.Client.AddAsync("bad", GrainCluster.Definition(extra: ", confidence: 2")));
        Assert.Contains("confidence", invalid.Message, StringComparison.Ordinal);
        Assert.Contains("[0, 1]", invalid.Message, StringComparison.Ordinal);
        var notYaml = await Assert.ThrowsAsync<ArgumentException>(() => cluster.Client.AddAsync("bad", "{source: [unclosed"));
        Assert.Contains("not valid YAML or JSON", notYaml.Message, StringComparison.Ordinal);
        var wrongName = await Assert.ThrowsAsync<ArgumentException>(() => cluster.Client.AddAsync("bad", "{name: other, source: x.mp4}"));
        Assert.Contains("names 'other' but the camera is 'bad'", wrongName.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("bad", (await cluster.Client.ListAsync()).Select(c => c.Name));

        await cluster.Client.AddAsync("ok", GrainCluster.Definition());
        var badClasses = await Assert.ThrowsAsync<ArgumentException>(() => cluster.Client.SetClassesAsync("ok", "[{name: a, threshold: 5}]"));
        Assert.Contains("threshold", badClasses.Message, StringComparison.Ordinal);
        Assert.Equal(["blue square", "red circle"], (await cluster.Client.GetAsync("ok")).Classes.Order());
    }

    private static async Task WaitFor(Func<Task<bool>> done, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await done())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
