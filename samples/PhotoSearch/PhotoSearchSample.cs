using System.Globalization;
using OpenVocab.Classification;
using OpenVocab.Inference;
using OpenVocab.Search;
using OpenVocab.Text;

namespace OpenVocab.Samples.PhotoSearch;

/// <summary>Indexes a folder of photos (incrementally: unchanged files are not embedded again) and searches it by text.</summary>
public static class PhotoSearchSample
{
    /// <summary>Usage: PhotoSearch PACK FOLDER INDEX_FILE "query" [TOP_K]</summary>
    public static int Run(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        if (args.Length < 4)
        {
            output.WriteLine("usage: PhotoSearch PACK FOLDER INDEX_FILE \"query\" [TOP_K]");
            return 2;
        }

        var pack = ModelPack.Load(args[0]);
        int topK = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3;
        using var images = ImageEncoder.Load(pack);
        using var text = TextEncoder.Load(pack);
        ImageIndexBuildResult built = ImageIndex.Build(args[1], args[2], images);
        output.WriteLine($"index: {built.Index.Count} images ({built.Added.Count} added, {built.Unchanged.Count} unchanged, {built.Failed.Count} failed)");
        foreach (ImageSearchHit hit in built.Index.SearchText(text, args[3], topK))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {hit.Score:0.000}  {hit.Path}"));
        }

        return 0;
    }
}
