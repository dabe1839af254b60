namespace OpenVocab.Tracking;

/// <summary>Minimum-cost assignment (Hungarian method with potentials, O(n²m)) for small rectangular cost matrices.</summary>
internal static class LinearAssignment
{
    /// <summary>
    /// Matches rows to columns minimising total cost, then drops pairs costing more than <paramref name="maxCost"/>.
    /// Returns the column of each row, or -1 when the row is unmatched.
    /// </summary>
    public static int[] Solve(double[,] cost, double maxCost)
    {
        var rows = cost.GetLength(0);
        var cols = cost.GetLength(1);
        var result = new int[rows];
        Array.Fill(result, -1);
        if (rows == 0 || cols == 0)
        {
            return result;
        }

        // Pairs above the limit cost more than any allowed set of pairs, so they are chosen only when nothing else is left.
        var big = (maxCost + 1) * (Math.Min(rows, cols) + 1);
        var transpose = rows > cols;
        var n = transpose ? cols : rows;
        var m = transpose ? rows : cols;
        double A(int i, int j)
        {
            var c = transpose ? cost[j, i] : cost[i, j];
            return c > maxCost ? big : c;
        }

        var u = new double[n + 1];
        var v = new double[m + 1];
        var p = new int[m + 1];
        var way = new int[m + 1];
        var minv = new double[m + 1];
        var used = new bool[m + 1];
        for (var i = 1; i <= n; i++)
        {
            p[0] = i;
            var j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                var i0 = p[j0];
                var delta = double.PositiveInfinity;
                var j1 = 0;
                for (var j = 1; j <= m; j++)
                {
                    if (used[j])
                    {
                        continue;
                    }

                    var cur = A(i0 - 1, j - 1) - u[i0] - v[j];
                    if (cur < minv[j])
                    {
                        minv[j] = cur;
                        way[j] = j0;
                    }

                    if (minv[j] < delta)
                    {
                        delta = minv[j];
                        j1 = j;
                    }
                }

                for (var j = 0; j <= m; j++)
                {
                    if (used[j])
                    {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minv[j] -= delta;
                    }
                }

                j0 = j1;
            }
            while (p[j0] != 0);

            do
            {
                var j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }

        for (var j = 1; j <= m; j++)
        {
            if (p[j] == 0)
            {
                continue;
            }

            var (r, c) = transpose ? (j - 1, p[j] - 1) : (p[j] - 1, j - 1);
            if (cost[r, c] <= maxCost)
            {
                result[r] = c;
            }
        }

        return result;
    }
}
