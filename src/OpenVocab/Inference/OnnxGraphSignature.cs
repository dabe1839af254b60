using System.Text;

namespace OpenVocab.Inference;

/// <summary>
/// The inputs and outputs of an ONNX graph, read from the file's protobuf without loading its weights (which can be
/// hundreds of megabytes): enough to infer a pack from a folder before any session is created.
/// </summary>
/// <remarks>
/// Reads <c>ModelProto.graph</c> (field 7) and in it <c>input</c> (11), <c>output</c> (12) and the names of
/// <c>initializer</c>s (5), which older exports also list as inputs; every other field, tensor data included, is
/// skipped by seeking. Immutable.
/// </remarks>
internal sealed class OnnxGraphSignature
{
    private OnnxGraphSignature(IReadOnlyList<OnnxTensorSignature> inputs, IReadOnlyList<OnnxTensorSignature> outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Graph inputs that are not initializers, in graph order.</summary>
    public IReadOnlyList<OnnxTensorSignature> Inputs { get; }

    /// <summary>Graph outputs, in graph order.</summary>
    public IReadOnlyList<OnnxTensorSignature> Outputs { get; }

    /// <summary>The input of that name, or null.</summary>
    public OnnxTensorSignature? Input(string name) => Inputs.FirstOrDefault(i => i.Name == name);

    /// <summary>The output of that name, or null.</summary>
    public OnnxTensorSignature? Output(string name) => Outputs.FirstOrDefault(o => o.Name == name);

    /// <summary>Reads a file's signature.</summary>
    /// <exception cref="ModelLoadException">The file is missing or is not an ONNX model.</exception>
    public static OnnxGraphSignature Read(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var reader = new Reader(stream);
            var inputs = new List<OnnxTensorSignature>();
            var outputs = new List<OnnxTensorSignature>();
            var initializers = new HashSet<string>(StringComparer.Ordinal);
            bool sawGraph = false;
            while (reader.TryReadTag(stream.Length, out int field, out int wire))
            {
                if (field == 7 && wire == 2)
                {
                    sawGraph = true;
                    long end = reader.ReadLength();
                    while (reader.TryReadTag(end, out int gField, out int gWire))
                    {
                        if (gWire == 2 && gField is 11 or 12 or 5)
                        {
                            long itemEnd = reader.ReadLength();
                            if (gField == 5)
                            {
                                initializers.Add(ReadInitializerName(reader, itemEnd));
                            }
                            else
                            {
                                (gField == 11 ? inputs : outputs).Add(ReadValueInfo(reader, itemEnd));
                            }

                            reader.Seek(itemEnd);
                        }
                        else
                        {
                            reader.Skip(gWire);
                        }
                    }
                }
                else
                {
                    reader.Skip(wire);
                }
            }

            if (!sawGraph)
            {
                throw new InvalidDataException("no graph in the model");
            }

            return new OnnxGraphSignature([.. inputs.Where(i => !initializers.Contains(i.Name))], outputs);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            throw new ModelLoadException(file, $"expected an ONNX model whose graph inputs and outputs can be read ({e.Message}).", e);
        }
    }

    private static string ReadInitializerName(Reader reader, long end)
    {
        // TensorProto.name is field 8.
        while (reader.TryReadTag(end, out int field, out int wire))
        {
            if (field == 8 && wire == 2)
            {
                return reader.ReadString();
            }

            reader.Skip(wire);
        }

        return string.Empty;
    }

    private static OnnxTensorSignature ReadValueInfo(Reader reader, long end)
    {
        string name = string.Empty;
        int elementType = 0;
        List<OnnxDimension>? dims = null;
        while (reader.TryReadTag(end, out int field, out int wire))
        {
            if (field == 1 && wire == 2)
            {
                name = reader.ReadString();
            }
            else if (field == 2 && wire == 2)
            {
                // TypeProto: tensor_type (1) -> elem_type (1), shape (2) -> dim (1) -> dim_value (1) | dim_param (2).
                long typeEnd = reader.ReadLength();
                while (reader.TryReadTag(typeEnd, out int tField, out int tWire))
                {
                    if (tField == 1 && tWire == 2)
                    {
                        long tensorEnd = reader.ReadLength();
                        while (reader.TryReadTag(tensorEnd, out int xField, out int xWire))
                        {
                            if (xField == 1 && xWire == 0)
                            {
                                elementType = (int)reader.ReadVarint();
                            }
                            else if (xField == 2 && xWire == 2)
                            {
                                dims = [];
                                long shapeEnd = reader.ReadLength();
                                while (reader.TryReadTag(shapeEnd, out int sField, out int sWire))
                                {
                                    if (sField == 1 && sWire == 2)
                                    {
                                        dims.Add(ReadDimension(reader, reader.ReadLength()));
                                    }
                                    else
                                    {
                                        reader.Skip(sWire);
                                    }
                                }
                            }
                            else
                            {
                                reader.Skip(xWire);
                            }
                        }
                    }
                    else
                    {
                        reader.Skip(tWire);
                    }
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return new OnnxTensorSignature(name, elementType, dims);
    }

    private static OnnxDimension ReadDimension(Reader reader, long end)
    {
        long? value = null;
        string? param = null;
        while (reader.TryReadTag(end, out int field, out int wire))
        {
            if (field == 1 && wire == 0)
            {
                value = (long)reader.ReadVarint();
            }
            else if (field == 2 && wire == 2)
            {
                param = reader.ReadString();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        reader.Seek(end);
        return new OnnxDimension(value, param);
    }

    /// <summary>A minimal protobuf wire reader over a seekable stream.</summary>
    private sealed class Reader(Stream stream)
    {
        public bool TryReadTag(long end, out int field, out int wire)
        {
            if (stream.Position >= end)
            {
                field = wire = 0;
                return false;
            }

            ulong tag = ReadVarint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            if (field == 0)
            {
                throw new InvalidDataException($"field number 0 at byte {stream.Position}");
            }

            return true;
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                int b = stream.ReadByte();
                if (b < 0)
                {
                    throw new InvalidDataException("the file ends inside a varint");
                }

                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }

            throw new InvalidDataException("a varint longer than 10 bytes");
        }

        public long ReadLength()
        {
            ulong length = ReadVarint();
            long end = stream.Position + (long)length;
            if (length > (ulong)stream.Length || end > stream.Length)
            {
                throw new InvalidDataException($"a field of {length} bytes at byte {stream.Position} runs past the end of the file ({stream.Length} bytes)");
            }

            return end;
        }

        public string ReadString()
        {
            long end = ReadLength();
            var bytes = new byte[end - stream.Position];
            stream.ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }

        public void Seek(long position) => stream.Position = position;

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0:
                    ReadVarint();
                    break;
                case 1:
                    Seek(stream.Position + 8);
                    break;
                case 2:
                    Seek(ReadLength());
                    break;
                case 5:
                    Seek(stream.Position + 4);
                    break;
                default:
                    throw new InvalidDataException($"unsupported protobuf wire type {wire} at byte {stream.Position}");
            }
        }
    }
}

/// <summary>One dimension of a graph tensor: a fixed size, a symbolic name, or neither (unknown).</summary>
internal readonly record struct OnnxDimension(long? Value, string? Param)
{
    public override string ToString() => Value is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : Param ?? "?";
}

/// <summary>A graph input or output: name, ONNX element type (1 float, 7 int64, 6 int32, 10 float16) and shape (null when unknown).</summary>
internal sealed record OnnxTensorSignature(string Name, int ElementType, IReadOnlyList<OnnxDimension>? Shape)
{
    public const int Float = 1;
    public const int Int32 = 6;
    public const int Int64 = 7;
    public const int Float16 = 10;

    public int Rank => Shape?.Count ?? -1;

    public string TypeName => ElementType switch
    {
        Float => "float32",
        Int32 => "int32",
        Int64 => "int64",
        Float16 => "float16",
        11 => "float64",
        3 => "int8",
        2 => "uint8",
        _ => $"element type {ElementType}",
    };

    public override string ToString() => $"'{Name}' {TypeName} [{(Shape is null ? "?" : string.Join(",", Shape))}]";
}
