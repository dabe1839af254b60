using System.Globalization;
using System.Security.Cryptography;
using OpenCvSharp;
using OpenVocab.Imaging;

namespace OpenVocab.Detection;

/// <summary>
/// An example image (or crop) of a class, used as a prompt instead of, or as well as, text: it goes through the
/// pack's CLIP image encoder, whose embeddings share one space with the text encoder's. Holds the encoded bytes,
/// checked to be a decodable image within <see cref="MaxBytes"/> and <see cref="MaxPixels"/> when it is made.
/// Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Embeddings are cached by <see cref="ContentHash"/> (SHA-256 of the bytes), so the same file or upload given
/// again, under any name, is encoded once per detector.
/// </remarks>
public sealed class ImageExemplar
{
    /// <summary>Largest encoded exemplar accepted, in bytes (16 MiB). An exemplar shows one object; a bigger file is a mistake.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    /// <summary>Most pixels a decoded exemplar may have (4096 x 4096). CLIP shrinks it to a few hundred pixels a side anyway.</summary>
    public const long MaxPixels = 4096L * 4096L;

    private readonly byte[] _data;

    private ImageExemplar(byte[] data, string name, int width, int height)
    {
        _data = data;
        Name = name;
        Width = width;
        Height = height;
        ContentHash = Convert.ToHexStringLower(SHA256.HashData(data));
    }

    /// <summary>Where the exemplar came from (a path, an upload's name), for messages.</summary>
    public string Name { get; }

    /// <summary>The encoded image (read-only; the exemplar's own copy).</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>SHA-256 of <see cref="Data"/>, lower-case hex: the cache key of its embedding.</summary>
    public string ContentHash { get; }

    /// <summary>Decoded width in pixels.</summary>
    public int Width { get; }

    /// <summary>Decoded height in pixels.</summary>
    public int Height { get; }

    /// <summary>Reads an image file as an exemplar.</summary>
    /// <param name="path">A JPEG, PNG, BMP, TIFF, WebP or GIF file.</param>
    /// <exception cref="ArgumentException">The path is blank, the file is empty or larger than <see cref="MaxBytes"/>,
    /// or the image has more than <see cref="MaxPixels"/> pixels.</exception>
    /// <exception cref="ImageDecodeException">The file is missing, unreadable or not a decodable image.</exception>
    public static ImageExemplar FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        long length;
        try
        {
            length = new FileInfo(path).Length;
        }
        catch (FileNotFoundException e)
        {
            throw new ImageDecodeException($"Exemplar image '{path}' does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ImageDecodeException($"Exemplar image '{path}' could not be read: {e.Message}", e);
        }

        CheckLength(length, path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException($"Exemplar image '{path}' could not be read: {e.Message}", e);
        }

        return Create(bytes, path);
    }

    /// <summary>Takes an encoded image held in memory (an upload, a resource) as an exemplar; the bytes are copied.</summary>
    /// <param name="data">Encoded bytes: JPEG, PNG, BMP, TIFF, WebP or GIF.</param>
    /// <param name="name">Name used in messages.</param>
    /// <exception cref="ArgumentException">Empty, larger than <see cref="MaxBytes"/>, or more than <see cref="MaxPixels"/> pixels.</exception>
    /// <exception cref="ImageDecodeException">Not a decodable image.</exception>
    public static ImageExemplar FromBytes(ReadOnlySpan<byte> data, string name = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(name);
        CheckLength(data.Length, name);
        return Create(data.ToArray(), name);
    }

    /// <summary>Takes a decoded image (8-bit BGR; gray, BGRA and 16-bit are converted) as an exemplar, stored as PNG.</summary>
    /// <param name="image">The image (a crop is fine); not modified and not kept.</param>
    /// <param name="name">Name used in messages.</param>
    /// <exception cref="ArgumentException">Empty, or more than <see cref="MaxPixels"/> pixels.</exception>
    public static ImageExemplar FromImage(Mat image, string name = "<image>")
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(name);
        if (image.Empty())
        {
            throw new ArgumentException($"Exemplar '{name}' is an empty image (0x0 pixels); an exemplar must show the object.", nameof(image));
        }

        CheckPixels(image.Width, image.Height, name);
        var bgr = ImageLoader.ToBgr8(image, disposeInput: false);
        try
        {
            // PNG is lossless: the embedding is the same as the Mat's, and equal pixels give an equal cache key.
            return Create(bgr.ImEncode(".png"), name);
        }
        finally
        {
            if (!ReferenceEquals(bgr, image))
            {
                bgr.Dispose();
            }
        }
    }

    /// <summary>Decodes the exemplar into a new 8-bit BGR Mat, owned by the caller.</summary>
    internal Mat Decode() => ImageLoader.Decode(_data, Name);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({Width}x{Height}, sha256 {ContentHash[..12]})");

    private static ImageExemplar Create(byte[] bytes, string name)
    {
        using var decoded = ImageLoader.Decode(bytes, name);
        CheckPixels(decoded.Width, decoded.Height, name);
        return new ImageExemplar(bytes, name, decoded.Width, decoded.Height);
    }

    private static void CheckLength(long length, string name)
    {
        if (length == 0)
        {
            throw new ArgumentException($"Exemplar image '{name}' is empty (0 bytes); expected an encoded image of the object.");
        }

        if (length > MaxBytes)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Exemplar image '{name}' is {length:N0} bytes; at most {MaxBytes:N0} bytes are accepted. An exemplar shows one object: crop it, or save it smaller."));
        }
    }

    private static void CheckPixels(int width, int height, string name)
    {
        if ((long)width * height > MaxPixels)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Exemplar image '{name}' is {width}x{height} pixels; at most {MaxPixels:N0} pixels (4096x4096) are accepted. Crop it to the object."));
        }
    }
}
