using System.Buffers.Binary;

namespace OpenVocab.Server.Api;

/// <summary>
/// Reads an image's size from its header without decoding it, so that a decompression bomb is refused before the
/// decoder allocates its pixels. Knows PNG, JPEG, GIF and BMP; other formats are checked after decoding.
/// </summary>
internal static class ImageHeader
{
    public static bool TryReadSize(ReadOnlySpan<byte> data, out long width, out long height)
    {
        width = height = 0;
        if (data.Length >= 24 && data[..8].SequenceEqual(PngSignature))
        {
            width = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
            height = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
            return true;
        }

        if (data.Length >= 10 && (data[..6].SequenceEqual("GIF87a"u8) || data[..6].SequenceEqual("GIF89a"u8)))
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
            return true;
        }

        if (data.Length >= 26 && data[0] == 'B' && data[1] == 'M')
        {
            width = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data[18..]));
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data[22..]));
            return true;
        }

        return data.Length >= 4 && data[0] == 0xFF && data[1] == 0xD8 && TryReadJpegSize(data, out width, out height);
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Walks the marker segments up to the first start-of-frame, which holds the size.</summary>
    private static bool TryReadJpegSize(ReadOnlySpan<byte> data, out long width, out long height)
    {
        width = height = 0;
        var i = 2;
        while (i + 9 <= data.Length)
        {
            if (data[i] != 0xFF)
            {
                return false;
            }

            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                i += 2; // markers without a length
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                height = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 7)..]);
                return true;
            }

            i += 2 + length;
        }

        return false;
    }
}
