using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using OpenCvSharp;
using OpenVocab.Imaging;

namespace OpenVocab.Server.Api;

/// <summary>
/// One API request read and checked: its images decoded (multipart parts, or a raw <c>image/*</c> body), the files of
/// its exemplar field kept as sent (the route turns them into class prompts), and its parameters from form fields or,
/// failing those, the query string. Every problem is an <see cref="ApiProblemException"/> naming the field. Owns the
/// decoded images: dispose it when the answer is written.
/// </summary>
internal sealed class ApiRequest : IDisposable
{
    private readonly IFormCollection? _form;
    private readonly IQueryCollection _query;
    private readonly List<(string Name, Mat Image)> _images = [];
    private readonly List<(string FileName, byte[] Data)> _exemplars = [];

    private ApiRequest(IFormCollection? form, IQueryCollection query)
    {
        _form = form;
        _query = query;
    }

    /// <summary>The decoded images, 8-bit BGR, in request order, with the name each was sent under.</summary>
    public IReadOnlyList<(string Name, Mat Image)> Images => _images;

    /// <summary>The files of the exemplar field (see <see cref="ReadAsync"/>), undecoded, in request order, with their file names.</summary>
    public IReadOnlyList<(string FileName, byte[] Data)> Exemplars => _exemplars;

    /// <summary>True when the request body is a form (multipart or urlencoded).</summary>
    public static bool IsForm(HttpRequest request) => request.HasFormContentType;

    /// <summary>True when the request body is JSON.</summary>
    public static bool IsJson(HttpRequest request) => request.HasJsonContentType();

    /// <summary>Reads a form or raw-image request.</summary>
    /// <param name="context">The request.</param>
    /// <param name="options">Limits.</param>
    /// <param name="imageField">The form field that carries images, for error messages and the count limit. Files under
    /// any field but <paramref name="exemplarField"/> are taken as images.</param>
    /// <param name="maxImages">Most images this route takes (0: none).</param>
    /// <param name="exemplarField">A form field whose files are example images of classes, kept undecoded in
    /// <see cref="Exemplars"/> (their own checks name the class); null when the route takes none.</param>
    public static async Task<ApiRequest> ReadAsync(HttpContext context, ServerOptions options, string imageField, int maxImages, string? exemplarField = null)
    {
        var request = context.Request;
        var token = context.RequestAborted;
        if (request.HasFormContentType)
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or IOException && !token.IsCancellationRequested && e is not BadHttpRequestException)
            {
                throw new ApiProblemException(400, "body", $"The multipart body is malformed: {e.Message}");
            }

            var read = new ApiRequest(form, request.Query);
            try
            {
                var imageCount = form.Files.Count(f => !string.Equals(f.Name, exemplarField, StringComparison.Ordinal));
                if (imageCount > maxImages)
                {
                    throw new ApiProblemException(400, imageField, maxImages == 0
                        ? $"{imageCount} image{(imageCount == 1 ? " was" : "s were")} sent; this route takes none{(exemplarField is null ? "" : $" (example images of a class go in '{exemplarField}')")}."
                        : $"{imageCount} images sent; this server takes at most {maxImages} per request.");
                }

                for (var i = 0; i < form.Files.Count; i++)
                {
                    var file = form.Files[i];
                    var bytes = new byte[file.Length];
                    using (var stream = file.OpenReadStream())
                    {
                        await stream.ReadExactlyAsync(bytes, token).ConfigureAwait(false);
                    }

                    if (string.Equals(file.Name, exemplarField, StringComparison.Ordinal))
                    {
                        read._exemplars.Add((file.FileName ?? "", bytes));
                        continue;
                    }

                    var index = read._images.Count;
                    var name = string.IsNullOrEmpty(file.FileName) ? $"{imageField}[{index}]" : file.FileName;
                    read._images.Add((name, Decode(bytes, $"{imageField}[{index}]", name, options)));
                }

                return read;
            }
            catch
            {
                read.Dispose();
                throw;
            }
        }

        var contentType = request.ContentType;
        if (contentType is not null && contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
        {
            var body = await ReadBodyAsync(request, options.MaxBodyBytes, token).ConfigureAwait(false);
            var read = new ApiRequest(null, request.Query);
            try
            {
                read._images.Add(("image", Decode(body, "body", "image", options)));
                return read;
            }
            catch
            {
                read.Dispose();
                throw;
            }
        }

        if (contentType is null && request.ContentLength is null or 0)
        {
            return new ApiRequest(null, request.Query);
        }

        throw new ApiProblemException(415, "Content-Type",
            $"Content-Type '{contentType}' is not accepted here: send multipart/form-data with the images in '{imageField}', or one image as the raw body with an image/* type.");
    }

    /// <summary>Reads a JSON body into <typeparamref name="T"/>, naming the JSON path of a mistake.</summary>
    public static async Task<T> ReadJsonAsync<T>(HttpContext context, JsonSerializerOptions json)
        where T : class
    {
        try
        {
            return await context.Request.ReadFromJsonAsync<T>(json, context.RequestAborted).ConfigureAwait(false)
                ?? throw new ApiProblemException(400, "body", "The JSON body is null; expected an object.");
        }
        catch (JsonException e)
        {
            var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path;
            throw new ApiProblemException(400, path, $"The JSON body is not valid here: {e.Message}");
        }
    }

    /// <summary>One parameter: the form field, else the query parameter, else null.</summary>
    public string? Get(string name)
    {
        var values = GetValues(name);
        return values.Count == 0 ? null : values[^1];
    }

    /// <summary>Every value of a parameter: the form's when it has any, else the query's.</summary>
    public StringValues GetValues(string name)
    {
        if (_form is not null && _form.TryGetValue(name, out var formValues) && formValues.Count > 0)
        {
            return formValues;
        }

        return _query.TryGetValue(name, out var queryValues) ? queryValues : StringValues.Empty;
    }

    /// <summary>Every value of a list parameter, each also split at commas ("a, b"); a blank entry is an error.</summary>
    public List<string> GetList(string name)
    {
        var list = new List<string>();
        foreach (var value in GetValues(name))
        {
            foreach (var part in (value ?? "").Split(','))
            {
                var item = part.Trim();
                if (item.Length == 0)
                {
                    throw new ApiProblemException(400, $"{name}[{list.Count}]", $"Entry {list.Count} of '{name}' is blank; expected text (entries are separated by commas or sent as repeated fields).");
                }

                list.Add(item);
            }
        }

        return list;
    }

    public double GetDouble(string name, double fallback, double min, double max)
    {
        var text = Get(name);
        if (text is null)
        {
            return fallback;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new ApiProblemException(400, name, $"'{name}' is '{text}'; expected a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (value < min || value > max)
        {
            throw new ApiProblemException(400, name, $"'{name}' is {text}; expected a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
        }

        return value;
    }

    public int GetInt(string name, int fallback, int min, int max)
    {
        var text = Get(name);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ApiProblemException(400, name, $"'{name}' is '{text}'; expected a whole number from {min} to {max}.");
        }

        return value;
    }

    public int? GetOptionalInt(string name, int min, int max) => Get(name) is null ? null : GetInt(name, 0, min, max);

    public bool GetBool(string name)
    {
        var text = Get(name);
        if (text is null || text.Length == 0)
        {
            return false;
        }

        return text.ToUpperInvariant() switch
        {
            "TRUE" or "1" or "ON" or "YES" => true,
            "FALSE" or "0" or "OFF" or "NO" => false,
            _ => throw new ApiProblemException(400, name, $"'{name}' is '{text}'; expected true or false."),
        };
    }

    public void Dispose()
    {
        foreach (var (_, image) in _images)
        {
            image.Dispose();
        }

        _images.Clear();
    }

    /// <summary>Checks the size in the header (decompression bombs), then decodes.</summary>
    public static Mat Decode(byte[] bytes, string field, string name, ServerOptions options)
    {
        if (ImageHeader.TryReadSize(bytes, out var width, out var height) && width * height > options.MaxImagePixels)
        {
            throw new ApiProblemException(413, field, $"Image '{name}' is {width}x{height} = {width * height} pixels; this server takes at most {options.MaxImagePixels}.");
        }

        Mat image;
        try
        {
            image = ImageLoader.Decode(bytes, name);
        }
        catch (ImageDecodeException e)
        {
            throw new ApiProblemException(422, field, e.Message);
        }

        if ((long)image.Width * image.Height > options.MaxImagePixels)
        {
            var (w, h) = (image.Width, image.Height);
            image.Dispose();
            throw new ApiProblemException(413, field, $"Image '{name}' is {w}x{h} = {(long)w * h} pixels; this server takes at most {options.MaxImagePixels}.");
        }

        return image;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long limit, CancellationToken token)
    {
        if (request.ContentLength is { } length)
        {
            if (length > limit)
            {
                throw new ApiProblemException(413, "body", $"The body is {length} bytes; this server takes at most {limit}.");
            }

            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, token).ConfigureAwait(false);
            return exact;
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, token).ConfigureAwait(false); // Kestrel's MaxRequestBodySize bounds it
        return buffer.ToArray();
    }
}
