using System.Security.Cryptography;

namespace OpenVocab.Classification;

/// <summary>What identifies an image encoder's embedding space (stored in image indexes).</summary>
/// <param name="PackName">The model pack's name.</param>
/// <param name="FileSize">Size of the image encoder's ONNX file in bytes.</param>
/// <param name="FileSha256">SHA-256 of the ONNX file, lower-case hex.</param>
/// <param name="Dimension">Embedding size D.</param>
/// <param name="ImageSize">Input size S.</param>
public sealed record ModelIdentity(string PackName, long FileSize, string FileSha256, int Dimension, int ImageSize)
{
    /// <summary>Computes the identity of an ONNX file.</summary>
    internal static ModelIdentity Of(string packName, string file, int dimension, int imageSize)
    {
        using FileStream stream = File.OpenRead(file);
        byte[] hash = SHA256.HashData(stream);
        return new ModelIdentity(packName, stream.Length, Convert.ToHexStringLower(hash), dimension, imageSize);
    }

    /// <inheritdoc />
    public override string ToString() => $"{PackName} (image encoder {FileSize} bytes, sha256 {FileSha256[..Math.Min(12, FileSha256.Length)]}…, D={Dimension}, S={ImageSize})";
}
