using SensorIngest.Configuration;

namespace SensorIngest.Polling;

/// <summary>One request of a poll cycle: a run of adjacent points of one function read in a single PDU.</summary>
public sealed class ReadBlock
{
    public ReadBlock(int function, int start, int count, int[] points)
    {
        Function = function;
        Start = start;
        Count = count;
        Points = points;
    }

    public int Function { get; }

    public int Start { get; }

    /// <summary>Registers (FC3/4) or bits (FC1/2).</summary>
    public int Count { get; }

    /// <summary>Indexes into the slave's point list, in address order.</summary>
    public int[] Points { get; }
}

/// <summary>Groups a slave's points into as few requests as the protocol allows (125 registers, 2000 bits per request).</summary>
public static class ReadPlan
{
    public const int MaxRegisters = 125;
    public const int MaxBits = 2000;

    public static List<ReadBlock> Build(IReadOnlyList<PointConfiguration> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        int[] order = new int[points.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            int c = points[a].Function.CompareTo(points[b].Function);
            return c != 0 ? c : points[a].Address.CompareTo(points[b].Address);
        });

        var blocks = new List<ReadBlock>();
        var members = new List<int>();
        int function = 0, start = 0, end = 0; // end is exclusive
        foreach (int index in order)
        {
            PointConfiguration p = points[index];
            int pEnd = p.Address + p.Width;
            int max = p.Function is 1 or 2 ? MaxBits : MaxRegisters;
            // Adjacent or overlapping points of the same function share a request as long as it stays within the limit;
            // gaps are not bridged (a slave may answer exception 02 for registers it does not have).
            bool joins = members.Count > 0 && p.Function == function && p.Address <= end && Math.Max(end, pEnd) - start <= max;
            if (!joins)
            {
                Flush();
                function = p.Function;
                start = p.Address;
                end = pEnd;
            }

            end = Math.Max(end, pEnd);
            members.Add(index);
        }

        Flush();
        return blocks;

        void Flush()
        {
            if (members.Count > 0)
            {
                blocks.Add(new ReadBlock(function, start, end - start, [.. members]));
                members.Clear();
            }
        }
    }

    /// <summary>Width check used by the poller: a point wider than a request cannot be read at all.</summary>
    public static bool Fits(PointConfiguration point) => point.Width <= (point.Function is 1 or 2 ? MaxBits : MaxRegisters);
}
