namespace OpenVocab.Cameras.Analytics;

/// <summary>
/// A simple polygon (no self-intersections, non-zero area) in image pixels. Immutable and thread-safe.
/// Points on the boundary count as inside.
/// </summary>
public sealed class Polygon
{
    private readonly PointF[] _points;
    private readonly double _minX, _minY, _maxX, _maxY;

    private Polygon(PointF[] points)
    {
        _points = points;
        _minX = points.Min(p => p.X);
        _maxX = points.Max(p => p.X);
        _minY = points.Min(p => p.Y);
        _maxY = points.Max(p => p.Y);
    }

    /// <summary>The vertices, in order.</summary>
    public IReadOnlyList<PointF> Points => _points;

    /// <summary>Area in square pixels.</summary>
    public double Area => Math.Abs(SignedArea(_points));

    /// <summary>Creates a polygon after checking it.</summary>
    /// <exception cref="ArgumentException">Fewer than 3 points, repeated points, zero area or crossing edges; the message says which.</exception>
    public static Polygon Create(IReadOnlyList<PointF> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (Check(points) is { } problem)
        {
            throw new ArgumentException(problem, nameof(points));
        }

        return new Polygon([.. points]);
    }

    /// <summary>
    /// Why <paramref name="points"/> is not a usable zone, or null when it is: fewer than 3 vertices, two consecutive
    /// vertices equal, (nearly) zero area, or two edges that cross. Scale-free, so it holds for normalised points too.
    /// </summary>
    public static string? Check(IReadOnlyList<PointF> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var n = points.Count;
        if (n < 3)
        {
            return $"a polygon needs at least 3 points, got {n}";
        }

        foreach (var p in points)
        {
            if (!double.IsFinite(p.X) || !double.IsFinite(p.Y))
            {
                return $"point {p} is not a finite number";
            }
        }

        for (var i = 0; i < n; i++)
        {
            if (points[i] == points[(i + 1) % n])
            {
                return $"points {i} and {(i + 1) % n} are the same {points[i]}; expected distinct consecutive points";
            }
        }

        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                // Adjacent edges share a vertex; only non-adjacent pairs may not touch.
                if (j == i + 1 || (i == 0 && j == n - 1))
                {
                    continue;
                }

                if (SegmentsIntersect(points[i], points[(i + 1) % n], points[j], points[(j + 1) % n]))
                {
                    return $"the polygon intersects itself: edge {i}-{(i + 1) % n} crosses edge {j}-{(j + 1) % n}; expected a simple polygon (list the points in order around it)";
                }
            }
        }

        var width = points.Max(p => p.X) - points.Min(p => p.X);
        var height = points.Max(p => p.Y) - points.Min(p => p.Y);
        // Relative to the bounding box, so that a sliver is degenerate at any scale.
        if (Math.Abs(SignedArea(points)) <= 1e-9 * Math.Max(width * height, 1e-300) || width == 0 || height == 0)
        {
            return "the polygon is degenerate (its points are collinear, zero area); expected an area";
        }

        return null;
    }

    /// <summary>True when <paramref name="p"/> is inside or on the boundary (crossing-number test).</summary>
    public bool Contains(PointF p)
    {
        if (p.X < _minX || p.X > _maxX || p.Y < _minY || p.Y > _maxY)
        {
            return false;
        }

        var inside = false;
        for (int i = 0, j = _points.Length - 1; i < _points.Length; j = i++)
        {
            var a = _points[i];
            var b = _points[j];
            if (OnSegment(a, b, p))
            {
                return true;
            }

            if ((a.Y > p.Y) != (b.Y > p.Y) && p.X < ((b.X - a.X) * (p.Y - a.Y) / (b.Y - a.Y)) + a.X)
            {
                inside = !inside;
            }
        }

        return inside;
    }

    /// <summary>
    /// How deep <paramref name="p"/> is inside: the distance to the nearest edge, positive inside, negative outside,
    /// 0 on the boundary. Zones compare it with their hysteresis band.
    /// </summary>
    public double SignedDistance(PointF p)
    {
        var nearest = double.PositiveInfinity;
        for (int i = 0, j = _points.Length - 1; i < _points.Length; j = i++)
        {
            nearest = Math.Min(nearest, SegmentDistance(_points[j], _points[i], p));
        }

        return Contains(p) ? nearest : -nearest;
    }

    private static double SegmentDistance(PointF a, PointF b, PointF p)
    {
        double dx = b.X - a.X, dy = b.Y - a.Y;
        var t = Math.Clamp((((p.X - a.X) * dx) + ((p.Y - a.Y) * dy)) / ((dx * dx) + (dy * dy)), 0, 1);
        double ex = a.X + (t * dx) - p.X, ey = a.Y + (t * dy) - p.Y;
        return Math.Sqrt((ex * ex) + (ey * ey));
    }

    internal static bool SegmentsIntersect(PointF a, PointF b, PointF c, PointF d)
    {
        var d1 = PointF.Cross(c, d, a);
        var d2 = PointF.Cross(c, d, b);
        var d3 = PointF.Cross(a, b, c);
        var d4 = PointF.Cross(a, b, d);
        if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
        {
            return true;
        }

        return (d1 == 0 && OnSegment(c, d, a)) || (d2 == 0 && OnSegment(c, d, b)) || (d3 == 0 && OnSegment(a, b, c)) || (d4 == 0 && OnSegment(a, b, d));
    }

    private static bool OnSegment(PointF a, PointF b, PointF p) =>
        PointF.Cross(a, b, p) == 0 && p.X >= Math.Min(a.X, b.X) && p.X <= Math.Max(a.X, b.X) && p.Y >= Math.Min(a.Y, b.Y) && p.Y <= Math.Max(a.Y, b.Y);

    private static double SignedArea(IReadOnlyList<PointF> points)
    {
        double sum = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var a = points[i];
            var b = points[(i + 1) % points.Count];
            sum += (a.X * b.Y) - (b.X * a.Y);
        }

        return sum / 2;
    }
}
