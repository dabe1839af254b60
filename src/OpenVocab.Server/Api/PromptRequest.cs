using System.Text;
using OpenVocab.Detection;

namespace OpenVocab.Server.Api;

/// <summary>
/// Reads what a detect request (or a stored class set) asks to look for into one library <see cref="PromptSet"/>:
/// text classes, example images uploaded with the request (each naming its class), negative prompts and attributes,
/// as the CLI's <c>--classes</c>, <c>--class-image</c>, <c>--not</c> and <c>--attributes</c> do. Checks the server's
/// limits and each exemplar (empty, too large, pixel bomb, not an image) and names the field at fault; what needs the
/// model (a class both positive and negative, attributes for a class not in the list) is checked when the set is
/// encoded (<see cref="ClassSetStore"/>). Nothing is encoded here. Stateless and thread-safe.
/// </summary>
internal static class PromptRequest
{
    /// <summary>The REST form's field names.</summary>
    public static PromptFields Rest { get; } = new("classes", "class_image", "not", "attributes");

    /// <summary>The gRPC messages' field names (<c>not</c> is a keyword in some generated clients, hence <c>negatives</c>).</summary>
    public static PromptFields Grpc { get; } = new("classes", "class_images", "negatives", "attributes");

    /// <summary>REST form field naming the class of each exemplar part, in order (else the part's file name does).</summary>
    public const string ExemplarLabelField = "class_image_label";

    /// <summary>
    /// The prompts of a REST request: <c>classes</c>, <c>class_image</c> parts (each named by its file name
    /// <c>"LABEL=FILE"</c>, as the CLI's <c>--class-image</c>, or by the <c>class_image_label</c> entry at its position),
    /// <c>not</c> and <c>attributes</c> (one field per class, <c>"CLASS: LABEL, LABEL"</c>).
    /// </summary>
    public static PromptSpec FromForm(ApiRequest request, ServerOptions options)
    {
        var fields = Rest;
        var labels = request.GetList(ExemplarLabelField);
        var files = request.Exemplars;
        if (labels.Count > 0 && labels.Count != files.Count)
        {
            throw new ApiProblemException(400, ExemplarLabelField,
                $"'{ExemplarLabelField}' has {labels.Count} entr{(labels.Count == 1 ? "y" : "ies")} but {files.Count} '{fields.Exemplars}' file{(files.Count == 1 ? " was" : "s were")} sent; give one label per file, in the same order.");
        }

        var uploads = new ExemplarUpload[files.Count];
        for (var i = 0; i < files.Count; i++)
        {
            var (fileName, data) = files[i];
            var field = $"{fields.Exemplars}[{i}]";
            if (labels.Count > 0)
            {
                uploads[i] = new ExemplarUpload(labels[i], string.IsNullOrEmpty(fileName) ? field : fileName, data, field);
                continue;
            }

            var eq = fileName.IndexOf('=', StringComparison.Ordinal);
            var label = eq < 0 ? "" : fileName[..eq].Trim();
            if (label.Length == 0)
            {
                throw new ApiProblemException(400, field,
                    $"'{fields.Exemplars}' file '{fileName}' does not name its class: expected the file name \"LABEL=FILE\" (e.g. \"red star=crop.png\"), or a '{ExemplarLabelField}' field per file.");
            }

            uploads[i] = new ExemplarUpload(label, fileName[(eq + 1)..].Trim() is { Length: > 0 } rest ? rest : field, data, field);
        }

        return Create(request.GetList(fields.Classes), uploads, request.GetList(fields.Negatives), [.. request.GetValues(fields.Attributes).Select(v => v ?? "")], options, fields);
    }

    /// <summary>
    /// Checks the parts of a request and builds its prompt set: text classes in order, then each label that only
    /// exemplars name (in order of first appearance); exemplars join their label's class (text and images fused when
    /// the label is also a text class).
    /// </summary>
    public static PromptSpec Create(IReadOnlyList<string> classes, IReadOnlyList<ExemplarUpload> exemplars, IReadOnlyList<string> negatives,
        IReadOnlyList<string> attributes, ServerOptions options, PromptFields fields)
    {
        var names = Trimmed(classes, fields.Classes);
        if (names.Count > 0)
        {
            CheckList(names, fields.Classes, options);
        }

        var nots = Trimmed(negatives, fields.Negatives);
        if (nots.Count > 0)
        {
            CheckList(nots, fields.Negatives, options);
        }

        var attributePrompts = new AttributePrompt[attributes.Count];
        for (var i = 0; i < attributes.Count; i++)
        {
            var field = $"{fields.Attributes}[{i}]";
            try
            {
                attributePrompts[i] = AttributePrompt.Parse(attributes[i]);
            }
            catch (ArgumentException e)
            {
                throw ApiProblemException.FromArgument(400, field, e);
            }

            CheckList([attributePrompts[i].ClassLabel, .. attributePrompts[i].Labels], field, options);
        }

        if (exemplars.Count > options.MaxImagesPerRequest)
        {
            throw new ApiProblemException(400, fields.Exemplars, $"{exemplars.Count} example images sent; this server takes at most {options.MaxImagesPerRequest} per request.");
        }

        // Cheap checks of every exemplar first, then the decoding ones: a bad last part costs no decoding of the others.
        foreach (var upload in exemplars)
        {
            CheckUpload(upload, options);
        }

        var order = new List<string>(names);
        var images = new Dictionary<string, List<ImageExemplar>>(StringComparer.Ordinal);
        foreach (var upload in exemplars)
        {
            var exemplar = Decode(upload, options);
            var label = upload.Label!.Trim();
            if (!images.TryGetValue(label, out var list))
            {
                images[label] = list = [];
                if (!order.Contains(label, StringComparer.Ordinal))
                {
                    order.Add(label);
                }
            }

            list.Add(exemplar);
        }

        if (order.Count > names.Count)
        {
            CheckList(order, fields.Classes, options);
        }

        var text = new HashSet<string>(names, StringComparer.Ordinal);
        var prompts = order.Select(label =>
        {
            var own = images.GetValueOrDefault(label) ?? [];
            return text.Contains(label) ? new ClassPrompt(label) { Exemplars = own } : ClassPrompt.FromExemplars(label, own);
        }).ToArray();
        var set = new PromptSet(prompts) { Negatives = [.. nots.Select(n => new ClassPrompt(n))], Attributes = attributePrompts };
        return new PromptSpec(set, fields, Key(set));
    }

    /// <summary>Checks a list against the server's limits: not empty, not too many, none too long.</summary>
    public static void CheckList(IReadOnlyList<string> labels, string field, ServerOptions options)
    {
        if (labels.Count == 0)
        {
            throw new ApiProblemException(400, field, $"'{field}' is empty; expected at least one class, e.g. \"red circle\".");
        }

        if (labels.Count > options.MaxClasses)
        {
            throw new ApiProblemException(400, field, $"'{field}' has {labels.Count} entries; this server takes at most {options.MaxClasses}.");
        }

        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i].Length > options.MaxPromptLength)
            {
                throw new ApiProblemException(400, $"{field}[{i}]", $"Entry {i} of '{field}' is {labels[i].Length} characters long; this server takes at most {options.MaxPromptLength}.");
            }
        }
    }

    private static List<string> Trimmed(IReadOnlyList<string> values, string field)
    {
        var list = new List<string>(values.Count);
        foreach (var value in values)
        {
            var item = value?.Trim() ?? "";
            if (item.Length == 0)
            {
                throw new ApiProblemException(400, $"{field}[{list.Count}]", $"Entry {list.Count} of '{field}' is blank; expected text.");
            }

            list.Add(item);
        }

        return list;
    }

    /// <summary>Label, emptiness and size from the header, before any decoding (a pixel bomb never reaches the decoder).</summary>
    private static void CheckUpload(ExemplarUpload upload, ServerOptions options)
    {
        if (string.IsNullOrWhiteSpace(upload.Label))
        {
            throw new ApiProblemException(400, upload.Field, $"Example image '{upload.Name}' names no class; expected the label of the class it shows.");
        }

        if (upload.Label.Trim().Length > options.MaxPromptLength)
        {
            throw new ApiProblemException(400, upload.Field, $"Example image '{upload.Name}' names a class of {upload.Label.Trim().Length} characters; this server takes at most {options.MaxPromptLength}.");
        }

        if (upload.Data.Length == 0)
        {
            throw new ApiProblemException(400, upload.Field, $"Example image '{upload.Name}' of class '{upload.Label.Trim()}' is empty (0 bytes); expected an encoded image (JPEG, PNG, ...) of the object.");
        }

        if (upload.Data.Length > ImageExemplar.MaxBytes)
        {
            throw new ApiProblemException(413, upload.Field, $"Example image '{upload.Name}' is {upload.Data.Length} bytes; at most {ImageExemplar.MaxBytes} are accepted. An exemplar shows one object: crop it.");
        }

        var maxPixels = Math.Min(options.MaxImagePixels, ImageExemplar.MaxPixels);
        if (ImageHeader.TryReadSize(upload.Data, out var width, out var height) && width * height > maxPixels)
        {
            throw new ApiProblemException(413, upload.Field, $"Example image '{upload.Name}' is {width}x{height} = {width * height} pixels; at most {maxPixels} are accepted. An exemplar shows one object: crop it.");
        }
    }

    private static ImageExemplar Decode(ExemplarUpload upload, ServerOptions options)
    {
        var maxPixels = Math.Min(options.MaxImagePixels, ImageExemplar.MaxPixels);
        ImageExemplar exemplar;
        try
        {
            exemplar = ImageExemplar.FromBytes(upload.Data, upload.Name);
        }
        catch (ImageDecodeException e)
        {
            throw new ApiProblemException(422, upload.Field, $"Example image '{upload.Name}' of class '{upload.Label!.Trim()}' is not a readable image: {e.Message}");
        }
        catch (ArgumentException e)
        {
            // Formats whose header ImageHeader does not read are measured after decoding.
            throw ApiProblemException.FromArgument(413, upload.Field, e);
        }

        if ((long)exemplar.Width * exemplar.Height > maxPixels)
        {
            throw new ApiProblemException(413, upload.Field, $"Example image '{upload.Name}' is {exemplar.Width}x{exemplar.Height} pixels; at most {maxPixels} are accepted.");
        }

        return exemplar;
    }

    /// <summary>
    /// Equal requests get equal keys (labels, prompts, exemplar content hashes, negatives, attributes), so they share
    /// one encoded class set, which is what lets the batcher run their images together.
    /// </summary>
    private static string Key(PromptSet set)
    {
        const char Unit = '\u001f';
        const char Record = '\u001e';
        var key = new StringBuilder();
        foreach (var c in set.Classes)
        {
            key.Append(c.Label).Append('=').AppendJoin('|', c.Prompts);
            foreach (var e in c.Exemplars)
            {
                key.Append('#').Append(e.ContentHash);
            }

            key.Append(Unit);
        }

        key.Append(Record);
        foreach (var n in set.Negatives)
        {
            key.Append(n.Label).Append(Unit);
        }

        key.Append(Record);
        foreach (var a in set.Attributes)
        {
            key.Append(a.ClassLabel).Append(':').AppendJoin(',', a.Labels).Append(Unit);
        }

        return key.ToString();
    }
}

/// <summary>The request field names of the four prompt parts, for error messages (REST and gRPC spell some differently).</summary>
internal sealed record PromptFields(string Classes, string Exemplars, string Negatives, string Attributes);

/// <summary>An example image as uploaded: the class it shows, a name for messages, its bytes, and the field it came in.</summary>
internal sealed record ExemplarUpload(string? Label, string Name, byte[] Data, string Field);

/// <summary>A checked prompt set, the fields it was read from, and the key equal requests share.</summary>
internal sealed record PromptSpec(PromptSet Prompts, PromptFields Fields, string Key)
{
    /// <summary>Nothing asked at all (a stored class set, or a closed-set detector's own classes, is used then).</summary>
    public bool IsEmpty => Prompts.Classes.Count == 0 && Prompts.Negatives.Count == 0 && Prompts.Attributes.Count == 0;

    /// <summary>How many example images the classes are given by.</summary>
    public int ExemplarCount => Prompts.Classes.Sum(c => c.Exemplars.Count);
}
