namespace OpenVocab.Tracking;

/// <summary>
/// Minimum-cost assignment (Hungarian method with potentials, O(n²m)) for small rectangular cost matrices. An instance
/// keeps its work arrays, so a tracker solving a few assignments per frame allocates nothing once they have grown.
/// Not thread-safe.
/// </summary>
internal sealed class LinearAssignment
{
    private double[] _u = [], _v = [], _minv = [];
    private int[] _p = [], _way = [];
    private bool[] _used = [];

    /// <summary>
    /// Matches rows to columns of the row-major <paramref name="rows"/> x <paramref name="cols"/> matrix
    /// <paramref name="cost"/> minimising total cost, then drops pairs costing more than <paramref name="maxCost"/>.
    /// Writes the column of each row, or -1 when the row is unmatched, into <paramref name="result"/>.
    /// </summary>
    public void Solve(ReadOnlySpan<double> cost, int rows, int cols, double maxCost, Span<int> result)
    {
        result[..rows].Fill(-1);
        if (rows == 0 || cols == 0)
        {
            return;
        }

        // Pairs above the limit cost more than any allowed set of pairs, so they are chosen only when nothing else is left.
        var big = (maxCost + 1) * (Math.Min(rows, cols) + 1);
        var transpose = rows > cols;
        var n = transpose ? cols : rows;
        var m = transpose ? rows : cols;
        Grow(n + 1, m + 1);
        var u = _u.AsSpan(0, n + 1);
        var v = _v.AsSpan(0, m + 1);
        var p = _p.AsSpan(0, m + 1);
        var way = _way.AsSpan(0, m + 1);
        var minv = _minv.AsSpan(0, m + 1);
        var used = _used.AsSpan(0, m + 1);
        u.Clear();
        v.Clear();
        p.Clear();
        way.Clear();
        for (var i = 1; i <= n; i++)
        {
            p[0] = i;
            var j0 = 0;
            minv.Fill(double.PositiveInfinity);
            used.Clear();
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

                    var c = transpose ? cost[((j - 1) * cols) + i0 - 1] : cost[((i0 - 1) * cols) + j - 1];
                    var cur = (c > maxCost ? big : c) - u[i0] - v[j];
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
            if (cost[(r * cols) + c] <= maxCost)
            {
                result[r] = c;
            }
        }
    }

    private void Grow(int n, int m)
    {
        if (_u.Length < n)
        {
            _u = new double[n];
        }

        if (_v.Length < m)
        {
            (_v, _minv, _p, _way, _used) = (new double[m], new double[m], new int[m], new int[m], new bool[m]);
        }
    }
}
