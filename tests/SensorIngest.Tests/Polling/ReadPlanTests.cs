using SensorIngest.Configuration;
using SensorIngest.Modbus;
using SensorIngest.Polling;

namespace SensorIngest.Tests.Polling;

[Trait("Category", "Unit")]
public class ReadPlanTests
{
    private static PointConfiguration P(int function, int address, PointType type = PointType.UInt16) =>
        new() { Signal = $"{function}:{address}", Function = function, Address = address, Type = type };

    private static string Describe(List<ReadBlock> blocks) => string.Join(" ", blocks.Select(b => $"{b.Function}@{b.Start}+{b.Count}"));

    [Fact]
    public void Build_AdjacentPointsOfOneFunction_ShareOneRequest()
    {
        List<ReadBlock> blocks = ReadPlan.Build([P(4, 2, PointType.Float32), P(4, 0, PointType.Float32), P(4, 4), P(4, 10), P(3, 0), P(3, 1, PointType.Int32)]);

        Assert.Equal("3@0+3 4@0+5 4@10+1", Describe(blocks));
        Assert.Equal([1, 0, 2], blocks[1].Points);
    }

    [Fact]
    public void Build_OverlappingPoints_Coalesce()
    {
        Assert.Equal("3@0+4", Describe(ReadPlan.Build([P(3, 0, PointType.Float64), P(3, 1, PointType.UInt16)])));
    }

    [Fact]
    public void Build_MoreThan125Registers_SplitsAtTheLimit()
    {
        var points = new List<PointConfiguration>();
        for (int i = 0; i < 130; i++)
        {
            points.Add(P(3, i));
        }

        Assert.Equal("3@0+125 3@125+5", Describe(ReadPlan.Build(points)));
    }

    [Fact]
    public void Build_WidePointAtTheLimit_StartsANewRequest()
    {
        var points = new List<PointConfiguration>();
        for (int i = 0; i < 62; i++)
        {
            points.Add(P(4, 2 * i, PointType.Float32)); // 124 registers
        }

        points.Add(P(4, 124, PointType.Float32)); // would make 126

        Assert.Equal("4@0+124 4@124+2", Describe(ReadPlan.Build(points)));
    }

    [Fact]
    public void Build_MoreThan2000Coils_SplitsAtTheLimit()
    {
        var points = new List<PointConfiguration>();
        for (int i = 0; i < 2100; i++)
        {
            points.Add(P(1, i, PointType.Bool));
        }

        Assert.Equal("1@0+2000 1@2000+100", Describe(ReadPlan.Build(points)));
    }

    [Fact]
    public void Build_FunctionsNeverMix_AndGapsAreNotBridged()
    {
        Assert.Equal("1@0+1 2@0+1 2@5+1 3@0+1", Describe(ReadPlan.Build([P(2, 5, PointType.Bool), P(3, 0), P(1, 0, PointType.Bool), P(2, 0, PointType.Bool)])));
    }
}
