using OpenCvSharp;

namespace OpenVocab.Cameras.Tests.Hosting;

/// <summary>
/// Generated videos with known motion, drawn as the shipped ShapesWorld pack sees them: a red circle (radius 35) on
/// grey, moving left to right at mid height over the frames.
/// </summary>
internal static class ShapeVideos
{
    public const int Width = 320, Height = 240, Radius = 35;

    /// <summary>The circle's centre x in frame <paramref name="i"/> of <paramref name="frames"/>.</summary>
    public static double CenterX(int i, int frames) => 40 + ((Width - 80) * i / (double)(frames - 1));

    /// <summary>Writes the video as MJPG .avi (every frame a key frame: cheap to seek and to loop).</summary>
    public static void Write(string path, int frames, double fps = 10)
    {
        using var writer = new VideoWriter(path, FourCC.FromString("MJPG"), fps, new Size(Width, Height));
        Assert.True(writer.IsOpened(), $"cannot write {path}");
        using var image = new Mat(Height, Width, MatType.CV_8UC3);
        for (var i = 0; i < frames; i++)
        {
            image.SetTo(new Scalar(128, 128, 128));
            Cv2.Circle(image, new Point(CenterX(i, frames), Height / 2), Radius, new Scalar(40, 40, 220), -1, LineTypes.AntiAlias);
            writer.Write(image);
        }
    }
}
