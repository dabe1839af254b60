using OpenVocab.Inference;

namespace OpenVocab.Detection;

/// <summary>
/// Rewrites the outputs of the <c>scores-boxes</c> layout (YOLO-World's own deploy exports without NMS: scores
/// [A, N] after sigmoid, boxes [A, 4] as x1, y1, x2, y2 in input pixels) into ultralytics' [4 + N, A] layout, so
/// both layouts reach results through the same candidate selection, NMS and mapping (<see cref="YoloOutputDecoder"/>).
/// The corner-to-centre round trip may move a coordinate by one float ulp; nothing else changes.
/// Not thread-safe: one per runner.
/// </summary>
internal sealed class ScoresBoxesOutput(string scoresName, string boxesName)
{
    private float[] _yolo = [];

    /// <summary>Returns the yolo-layout view of the outputs; valid until the next call.</summary>
    /// <exception cref="ModelMismatchException">The two outputs do not agree on the anchor count A or on N.</exception>
    public ReadOnlySpan<float> ToYolo(ReadOnlySpan<float> scores, ReadOnlySpan<float> boxes, int columns)
    {
        var anchors = boxes.Length / 4;
        if (boxes.Length % 4 != 0 || anchors == 0 || scores.Length != anchors * columns)
        {
            throw GraphContract.Mismatch(null, boxesName, $"float32 [1,A,4] for the A anchors of '{scoresName}' [1,A,{columns}]",
                $"{boxes.Length} floats against {scores.Length} scores");
        }

        var length = (4 + columns) * anchors;
        if (_yolo.Length < length)
        {
            _yolo = new float[length];
        }

        var yolo = _yolo.AsSpan(0, length);
        for (var a = 0; a < anchors; a++)
        {
            float x1 = boxes[4 * a], y1 = boxes[(4 * a) + 1], x2 = boxes[(4 * a) + 2], y2 = boxes[(4 * a) + 3];
            yolo[a] = (x1 + x2) * 0.5f;
            yolo[anchors + a] = (y1 + y2) * 0.5f;
            yolo[(2 * anchors) + a] = x2 - x1;
            yolo[(3 * anchors) + a] = y2 - y1;
        }

        // Anchor-major [A, N] to class-major [N, A]: the decoder scans each class row contiguously.
        for (var a = 0; a < anchors; a++)
        {
            var row = scores.Slice(a * columns, columns);
            for (var c = 0; c < columns; c++)
            {
                yolo[((4 + c) * anchors) + a] = row[c];
            }
        }

        return yolo;
    }
}
