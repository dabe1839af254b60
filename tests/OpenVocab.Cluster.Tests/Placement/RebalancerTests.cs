using System.Net;
using OpenVocab.Cluster.Placement;

namespace OpenVocab.Cluster.Tests.Placement;

/// <summary>The placement and rebalancing rules on given loads: where one more camera goes, and the one move a round makes.</summary>
public sealed class RebalancerTests
{
    private static readonly SiloAddress A = Silo(1), B = Silo(2), C = Silo(3);

    [Fact]
    public void Placement_picks_the_silo_least_full_with_one_more_camera_relative_to_capacity()
    {
        Assert.Equal(B, CapacityPlacementDirector.Least([new(A, 2, 4), new(B, 2, 8), new(C, 1, 2)])!.Silo);
        // Ties go to fewer cameras, then to the lower address, so every silo picks alike.
        Assert.Equal(A, CapacityPlacementDirector.Least([new(B, 1, 2), new(A, 1, 2)])!.Silo);
        Assert.Null(CapacityPlacementDirector.Least([]));
    }

    [Fact]
    public void A_joined_silo_is_filled_one_camera_per_round_until_no_move_helps()
    {
        var loads = new List<SiloLoad> { new(A, 3, 3), new(B, 3, 3), new(C, 0, 3) };
        var rounds = 0;
        while (Rebalancer.Move(loads) is { } move)
        {
            Assert.NotEqual(move.From.Silo, move.To.Silo);
            loads = [.. loads.Select(l => l.Silo.Equals(move.From.Silo) ? l with { Cameras = l.Cameras - 1 } : l.Silo.Equals(move.To.Silo) ? l with { Cameras = l.Cameras + 1 } : l)];
            Assert.True(++rounds <= 10, "rebalancing does not settle");
        }

        Assert.Equal(2, rounds);
        Assert.All(loads, l => Assert.Equal(2, l.Cameras));
    }

    [Theory]
    [InlineData(2, 2, 1, 2, false)] // 2/2 vs 1/2: moving one would only swap the two
    [InlineData(3, 3, 1, 3, true)]
    [InlineData(4, 8, 1, 2, false)] // half full vs half full
    [InlineData(5, 4, 0, 4, true)] // over capacity while the other has room
    [InlineData(0, 1, 0, 1, false)]
    public void A_move_is_made_only_when_it_leaves_the_source_no_less_full_than_the_target(int fromCameras, int fromCapacity, int toCameras, int toCapacity, bool moves)
    {
        var move = Rebalancer.Move([new(A, fromCameras, fromCapacity), new(B, toCameras, toCapacity)]);
        Assert.Equal(moves, move is not null);
        if (move is { } m)
        {
            Assert.Equal(A, m.From.Silo);
            Assert.Equal(B, m.To.Silo);
        }
    }

    private static SiloAddress Silo(int n) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11110 + n), 1);
}
