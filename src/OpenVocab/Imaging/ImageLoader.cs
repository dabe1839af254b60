using OpenCvSharp;

namespace OpenVocab.Imaging;

/// <summary>
/// Reads images into 8-bit BGR <see cref="Mat"/>s the way the pipeline expects them: EXIF orientation applied,
/// grayscale expanded, alpha dropped, 16-bit scaled to 8-bit. Every failure is an <see cref="ImageDecodeException"/>
/// naming the source. Thread-safe.
/// </summary>
public static class ImageLoader
{
    /// <summary>Reads and decodes an image file. The caller owns (and disposes) the returned Mat.</summary>
    /// <exception cref="ImageDecodeException">Missing, empty, truncated, undecodable or too large.</exception>
    public static Mat Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException($"Image '{path}' could not be read: {e.Message}", e);
        }

        return Decode(bytes, path);
    }

    /// <summary>Decodes an encoded image (JPEG, PNG, BMP, TIFF, WebP, GIF, ...) from memory. The caller owns the returned Mat.</summary>
    /// <param name="data">Encoded bytes.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <exception cref="ImageDecodeException">Empty, truncated, undecodable or too large.</exception>
    public static Mat Decode(ReadOnlySpan<byte> data, string sourceName = "<memory>")
    {
        if (data.IsEmpty)
        {
            throw new ImageDecodeException($"Image '{sourceName}' is empty (0 bytes).");
        }

        if (IsTruncatedJpeg(data))
        {
            throw new ImageDecodeException($"Image '{sourceName}' is a truncated JPEG: its data ends before the end-of-image marker.");
        }

        Mat decoded;
        try
        {
            decoded = Cv2.ImDecode(data, ImreadModes.Color);
        }
        catch (Exception e) when (e is OpenCVException or OpenCvSharpException)
        {
            throw new ImageDecodeException($"Image '{sourceName}' could not be decoded ({e.Message}); images above 2^30 pixels are refused.", e);
        }

        if (decoded.Empty())
        {
            decoded.Dispose();
            throw new ImageDecodeException(
                $"Image '{sourceName}' is not a decodable image ({data.Length} bytes): expected JPEG, PNG, BMP, TIFF, WebP or GIF data.");
        }

        return ToBgr8(decoded);
    }

    /// <summary>
    /// Returns <paramref name="image"/> as 8-bit 3-channel BGR: the same Mat when it already is, otherwise a new Mat
    /// (and <paramref name="image"/> is disposed only when <paramref name="disposeInput"/> is true).
    /// </summary>
    public static Mat ToBgr8(Mat image, bool disposeInput = true)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Empty())
        {
            throw new ImageDecodeException("Image is empty (0x0 pixels).");
        }

        if (image.Depth() == MatType.CV_8U && image.Channels() == 3)
        {
            return image;
        }

        var current = image;
        if (current.Depth() != MatType.CV_8U)
        {
            var scale = current.Depth() switch
            {
                MatType.CV_16U => 1.0 / 257.0,
                MatType.CV_16S => 1.0 / 128.0,
                MatType.CV_32F or MatType.CV_64F => 255.0,
                _ => 1.0,
            };
            var eight = new Mat();
            current.ConvertTo(eight, MatType.CV_8UC(current.Channels()), scale);
            Release(current, image, disposeInput);
            current = eight;
        }

        if (current.Channels() != 3)
        {
            var code = current.Channels() switch
            {
                1 => ColorConversionCodes.GRAY2BGR,
                4 => ColorConversionCodes.BGRA2BGR,
                var c => throw new ImageDecodeException($"Image has {c} channels; expected 1 (gray), 3 (BGR) or 4 (BGRA)."),
            };
            var bgr = new Mat();
            Cv2.CvtColor(current, bgr, code);
            Release(current, image, disposeInput);
            current = bgr;
        }

        return current;
    }

    private static void Release(Mat current, Mat input, bool disposeInput)
    {
        if (!ReferenceEquals(current, input) || disposeInput)
        {
            current.Dispose();
        }
    }

    /// <summary>
    /// A JPEG whose last start-of-scan is not followed by an end-of-image marker was cut short. libjpeg only warns about
    /// this and fills the rest grey, so it is checked here. Bytes after the marker (camera trailers) are allowed.
    /// </summary>
    internal static bool IsTruncatedJpeg(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            return false;
        }

        ReadOnlySpan<byte> startOfScan = [0xFF, 0xDA];
        ReadOnlySpan<byte> endOfImage = [0xFF, 0xD9];
        var lastScan = data.LastIndexOf(startOfScan);
        return lastScan < 0 || data[lastScan..].IndexOf(endOfImage) < 0;
    }
}
