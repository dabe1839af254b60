using System.Text;

namespace OpenVocab.Tests.Text;

/// <summary>
/// Writes small ONNX text-encoder graphs for tests (a protobuf writer for the few ONNX messages needed):
/// <c>out = Cast(input_ids) · W (+ Cast(attention_mask) · W2)</c>, so expected embeddings are easy to compute.
/// </summary>
internal sealed class TinyTextModel
{
    private const int Float = 1, Int32 = 6, Int64 = 7;

    public int ContextLength { get; init; } = 16;

    public int Dimension { get; init; } = 8;

    /// <summary>Fixed batch size in the graph, or 0 for a dynamic one.</summary>
    public int FixedBatch { get; init; }

    public bool FixSequenceLength { get; init; } = true;

    public bool FixDimension { get; init; } = true;

    public bool WithMask { get; init; }

    public bool IdsAsInt32 { get; init; }

    public string InputIdsName { get; init; } = "input_ids";

    public string OutputName { get; init; } = "text_embeds";

    /// <summary>An extra graph input the encoder cannot feed, if set.</summary>
    public string? ExtraInput { get; init; }

    public float W(int position, int d) => MathF.Sin((position * 0.37f) + (d * 1.3f) + 0.1f);

    public float W2(int position, int d) => MathF.Cos((position * 0.11f) - (d * 0.7f)) * 5000f;

    /// <summary>The L2-normalised embedding the graph gives for one row of ids.</summary>
    public float[] Expected(ReadOnlySpan<long> ids, int maskLength)
    {
        var e = new double[Dimension];
        for (int p = 0; p < ContextLength; p++)
        {
            for (int d = 0; d < Dimension; d++)
            {
                e[d] += ids[p] * (double)W(p, d);
                if (WithMask && p < maskLength)
                {
                    e[d] += W2(p, d);
                }
            }
        }

        double norm = Math.Sqrt(e.Sum(x => x * x));
        return [.. e.Select(x => (float)(x / norm))];
    }

    public byte[] Build()
    {
        var model = new Proto();
        model.Int(1, 8); // ir_version
        model.Str(2, "openvocab-tests");
        model.Msg(7, BuildGraph);
        model.Msg(8, op =>
        {
            op.Str(1, string.Empty);
            op.Int(2, 17);
        });
        return model.ToArray();
    }

    private void BuildGraph(Proto g)
    {
        g.Msg(1, n => Node(n, "Cast", [InputIdsName], ["ids_f"], ("to", Float)));
        // With a dynamic dimension, the output is sliced to at most the (symbolic) sequence length, so that shape
        // inference cannot know D: out = a[:, :S].
        string matMulOut = WithMask ? "a" : FixDimension ? OutputName : "sliced_in";
        g.Msg(1, n => Node(n, "MatMul", ["ids_f", "W"], [matMulOut]));
        if (!FixDimension)
        {
            string source = WithMask ? "sum" : "sliced_in";
            g.Msg(1, n => Node(n, "Shape", [InputIdsName], ["ids_shape"]));
            g.Msg(1, n => Node(n, "Slice", ["ids_shape", "one", "two"], ["seq"]));
            g.Msg(1, n => Node(n, "Slice", [source, "zero", "seq", "one"], [OutputName]));
            g.Msg(5, t => Int64Initializer(t, "zero", 0));
            g.Msg(5, t => Int64Initializer(t, "one", 1));
            g.Msg(5, t => Int64Initializer(t, "two", 2));
        }

        if (WithMask)
        {
            g.Msg(1, n => Node(n, "Cast", ["attention_mask"], ["mask_f"], ("to", Float)));
            g.Msg(1, n => Node(n, "MatMul", ["mask_f", "W2"], ["b"]));
            g.Msg(1, n => Node(n, "Add", ["a", "b"], [FixDimension ? OutputName : "sum"]));
        }

        g.Str(2, "tiny_text");
        g.Msg(5, t => Initializer(t, "W", W));
        if (WithMask)
        {
            g.Msg(5, t => Initializer(t, "W2", W2));
        }

        object batch = FixedBatch > 0 ? FixedBatch : "batch";
        object seq = FixSequenceLength ? ContextLength : "sequence";
        g.Msg(11, v => ValueInfo(v, InputIdsName, IdsAsInt32 ? Int32 : Int64, batch, seq));
        if (WithMask)
        {
            g.Msg(11, v => ValueInfo(v, "attention_mask", Int64, batch, seq));
        }

        if (ExtraInput is not null)
        {
            g.Msg(11, v => ValueInfo(v, ExtraInput, Int64, batch, seq));
        }

        g.Msg(12, v => ValueInfo(v, OutputName, Float, batch, FixDimension ? Dimension : "dim"));
    }

    private static void Node(Proto n, string op, string[] inputs, string[] outputs, (string Name, long Value)? attribute = null)
    {
        foreach (string i in inputs)
        {
            n.Str(1, i);
        }

        foreach (string o in outputs)
        {
            n.Str(2, o);
        }

        n.Str(3, op + "_" + outputs[0]);
        n.Str(4, op);
        if (attribute is { } a)
        {
            n.Msg(5, at =>
            {
                at.Str(1, a.Name);
                at.Int(3, a.Value);
                at.Int(20, 2); // AttributeType INT
            });
        }
    }

    private void Initializer(Proto t, string name, Func<int, int, float> value)
    {
        t.Int(1, ContextLength);
        t.Int(1, Dimension);
        t.Int(2, Float);
        t.Str(8, name);
        var raw = new byte[ContextLength * Dimension * 4];
        for (int p = 0; p < ContextLength; p++)
        {
            for (int d = 0; d < Dimension; d++)
            {
                BitConverter.TryWriteBytes(raw.AsSpan(((p * Dimension) + d) * 4), value(p, d));
            }
        }

        t.Bytes(9, raw);
    }

    private static void Int64Initializer(Proto t, string name, long value)
    {
        t.Int(1, 1);
        t.Int(2, Int64);
        t.Str(8, name);
        t.Bytes(9, BitConverter.GetBytes(value));
    }

    private static void ValueInfo(Proto v, string name, int elemType, params object[] dims)
    {
        v.Str(1, name);
        v.Msg(2, type => type.Msg(1, tensor =>
        {
            tensor.Int(1, elemType);
            tensor.Msg(2, shape =>
            {
                foreach (object dim in dims)
                {
                    shape.Msg(1, d =>
                    {
                        if (dim is int value)
                        {
                            d.Int(1, value);
                        }
                        else
                        {
                            d.Str(2, (string)dim);
                        }
                    });
                }
            });
        }));
    }

    private sealed class Proto
    {
        private readonly List<byte> _stream = [];

        public byte[] ToArray() => _stream.ToArray();

        public void Int(int field, long value)
        {
            Varint((ulong)((field << 3) | 0));
            Varint((ulong)value);
        }

        public void Str(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Bytes(int field, byte[] value)
        {
            Varint((ulong)((field << 3) | 2));
            Varint((ulong)value.Length);
            _stream.AddRange(value);
        }

        public void Msg(int field, Action<Proto> build)
        {
            var inner = new Proto();
            build(inner);
            Bytes(field, inner.ToArray());
        }

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _stream.Add((byte)value);
        }
    }
}
