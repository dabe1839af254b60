using OpenVocab.Detection;

namespace OpenVocab.Tracking;

/// <summary>
/// Constant-velocity Kalman filter over a box as (cx, cy, aspect = w/h, h) and their velocities, with noise scaled by
/// the box height as in SORT/DeepSORT/ByteTrack. One frame is one time step. Not thread-safe.
/// </summary>
internal sealed class KalmanBoxFilter
{
    private const int N = 8;
    private const double PositionWeight = 1.0 / 20;
    private const double VelocityWeight = 1.0 / 160;

    private readonly double[] _x = new double[N];
    private readonly double[] _p = new double[N * N];

    public KalmanBoxFilter(BoundingBox box)
    {
        Measure(box, _x);
        var h = _x[3];
        ReadOnlySpan<double> std =
        [
            2 * PositionWeight * h, 2 * PositionWeight * h, 1e-2, 2 * PositionWeight * h,
            10 * VelocityWeight * h, 10 * VelocityWeight * h, 1e-5, 10 * VelocityWeight * h,
        ];
        for (var i = 0; i < N; i++)
        {
            _p[(i * N) + i] = std[i] * std[i];
        }
    }

    /// <summary>The current estimate as a corner box.</summary>
    public BoundingBox Box
    {
        get
        {
            var h = Math.Max(_x[3], 1e-6);
            var w = _x[2] * h;
            return BoundingBox.FromCenter((float)_x[0], (float)_x[1], (float)w, (float)h);
        }
    }

    /// <summary>Estimated centre velocity in pixels per frame.</summary>
    public (double Vx, double Vy) Velocity => (_x[4], _x[5]);

    /// <summary>Advances one frame: x = F x, P = F P Fᵀ + Q.</summary>
    public void Predict()
    {
        for (var i = 0; i < 4; i++)
        {
            _x[i] += _x[i + 4];
        }

        // F = [[I, I], [0, I]]; FP adds row i+4 to row i, then (FP)Fᵀ adds column j+4 to column j.
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < N; j++)
            {
                _p[(i * N) + j] += _p[((i + 4) * N) + j];
            }
        }

        for (var j = 0; j < 4; j++)
        {
            for (var i = 0; i < N; i++)
            {
                _p[(i * N) + j] += _p[(i * N) + j + 4];
            }
        }

        var h = _x[3];
        ReadOnlySpan<double> std =
        [
            PositionWeight * h, PositionWeight * h, 1e-2, PositionWeight * h,
            VelocityWeight * h, VelocityWeight * h, 1e-5, VelocityWeight * h,
        ];
        for (var i = 0; i < N; i++)
        {
            _p[(i * N) + i] += std[i] * std[i];
        }
    }

    /// <summary>Corrects the estimate with a measured box.</summary>
    public void Update(BoundingBox box)
    {
        Span<double> z = stackalloc double[N];
        Measure(box, z);
        var h = _x[3];
        ReadOnlySpan<double> r = [PositionWeight * h, PositionWeight * h, 1e-1, PositionWeight * h];

        // S = H P Hᵀ + R (the top-left 4x4 of P plus R), then its inverse.
        Span<double> s = stackalloc double[16];
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                s[(i * 4) + j] = _p[(i * N) + j];
            }

            s[(i * 4) + i] += r[i] * r[i];
        }

        Span<double> sInv = stackalloc double[16];
        Invert4(s, sInv);

        // K = P Hᵀ S⁻¹ (8x4); P Hᵀ is the first four columns of P.
        Span<double> k = stackalloc double[N * 4];
        for (var i = 0; i < N; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                double sum = 0;
                for (var m = 0; m < 4; m++)
                {
                    sum += _p[(i * N) + m] * sInv[(m * 4) + j];
                }

                k[(i * 4) + j] = sum;
            }
        }

        Span<double> y = stackalloc double[4];
        for (var i = 0; i < 4; i++)
        {
            y[i] = z[i] - _x[i];
        }

        // P -= K (P Hᵀ)ᵀ, computed from the old P into a copy.
        Span<double> ph = stackalloc double[N * 4];
        for (var i = 0; i < N; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                ph[(i * 4) + j] = _p[(i * N) + j];
            }
        }

        for (var i = 0; i < N; i++)
        {
            double dx = 0;
            for (var j = 0; j < 4; j++)
            {
                dx += k[(i * 4) + j] * y[j];
            }

            _x[i] += dx;
            for (var j = 0; j < N; j++)
            {
                double sum = 0;
                for (var m = 0; m < 4; m++)
                {
                    sum += k[(i * 4) + m] * ph[(j * 4) + m];
                }

                _p[(i * N) + j] -= sum;
            }
        }
    }

    private static void Measure(BoundingBox box, Span<double> z)
    {
        var h = Math.Max(box.Height, 1e-3f);
        z[0] = (box.X1 + box.X2) / 2.0;
        z[1] = (box.Y1 + box.Y2) / 2.0;
        z[2] = box.Width / (double)h;
        z[3] = h;
    }

    /// <summary>Gauss-Jordan inverse with partial pivoting of a symmetric positive-definite 4x4.</summary>
    private static void Invert4(ReadOnlySpan<double> a, Span<double> inv)
    {
        Span<double> m = stackalloc double[16];
        a.CopyTo(m);
        inv.Clear();
        for (var i = 0; i < 4; i++)
        {
            inv[(i * 4) + i] = 1;
        }

        for (var c = 0; c < 4; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < 4; r++)
            {
                if (Math.Abs(m[(r * 4) + c]) > Math.Abs(m[(pivot * 4) + c]))
                {
                    pivot = r;
                }
            }

            if (pivot != c)
            {
                for (var j = 0; j < 4; j++)
                {
                    (m[(c * 4) + j], m[(pivot * 4) + j]) = (m[(pivot * 4) + j], m[(c * 4) + j]);
                    (inv[(c * 4) + j], inv[(pivot * 4) + j]) = (inv[(pivot * 4) + j], inv[(c * 4) + j]);
                }
            }

            var d = m[(c * 4) + c];
            for (var j = 0; j < 4; j++)
            {
                m[(c * 4) + j] /= d;
                inv[(c * 4) + j] /= d;
            }

            for (var r = 0; r < 4; r++)
            {
                if (r == c)
                {
                    continue;
                }

                var f = m[(r * 4) + c];
                for (var j = 0; j < 4; j++)
                {
                    m[(r * 4) + j] -= f * m[(c * 4) + j];
                    inv[(r * 4) + j] -= f * inv[(c * 4) + j];
                }
            }
        }
    }
}
