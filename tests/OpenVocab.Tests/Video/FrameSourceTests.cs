using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using OpenCvSharp;
using OpenVocab.Video;
using Xunit.Abstractions;

namespace OpenVocab.Tests.Video;

public class FrameSourceTests(ITestOutputHelper output)
{
    [Fact]
    public void A_video_file_is_read_to_its_end_counting_frames()
    {
        using var dir = new TempDir();
        MovingShapes.WriteVideo(dir.File("v.mp4"), 30);
        using var source = VideoSource.Open(dir.File("v.mp4"));
        Assert.IsType<CaptureFrameSource>(source);
        Assert.Equal((320, 240, false), (source.Width, source.Height, source.IsLive));
        Assert.Equal(25, source.Fps, 1);
        using var mat = new Mat();
        var indices = new List<long>();
        while (source.Read(mat, out var info))
        {
            indices.Add(info.Index);
            Assert.Equal(MatType.CV_8UC3, mat.Type());
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), indices);
        Assert.Equal(30, source.FramesRead);
    }

    [Fact]
    public void Every_listed_scheme_is_a_stream_url_in_any_case()
    {
        Assert.All(StreamFrameSource.Schemes, scheme =>
        {
            Assert.True(StreamFrameSource.IsStreamUrl(scheme + "://127.0.0.1:1/x"), scheme);
            Assert.True(StreamFrameSource.IsStreamUrl(scheme.ToUpperInvariant() + "://127.0.0.1:1/x"), scheme);
        });
        Assert.False(StreamFrameSource.IsStreamUrl("file:///tmp/x.mp4"));
        Assert.False(StreamFrameSource.IsStreamUrl("rtsp:/missing-slash"));
    }

    [Fact]
    public void Missing_sources_fail_with_a_clear_message()
    {
        var clock = Stopwatch.StartNew();
        var camera = Assert.Throws<VideoSourceException>(() => VideoSource.Open("99"));
        Assert.Contains("Camera 99", camera.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"camera open took {clock.Elapsed}");
        Assert.Contains("does not exist", Assert.Throws<VideoSourceException>(() => VideoSource.Open("/nonexistent/v.mp4")).Message, StringComparison.Ordinal);
        Assert.Contains("scheme OpenVocab cannot read; streams may be rtsp, rtsps, http, https, tcp, udp, rtmp, rtmps, srt.",
            Assert.Throws<VideoSourceException>(() => VideoSource.Open("gopher://x/y")).Message, StringComparison.Ordinal);
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notavideo.mp4"), "hello");
        Assert.Contains("could not be opened", Assert.Throws<VideoSourceException>(() => VideoSource.Open(dir.File("notavideo.mp4"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_folder_is_read_in_name_order_skipping_unreadable_images()
    {
        using var dir = new TempDir();
        using var mat = new Mat();
        foreach (var i in new[] { 2, 0, 1 })
        {
            MovingShapes.Draw(mat, i, 3);
            Cv2.ImWrite(dir.File($"f{i}.png"), mat);
        }

        File.WriteAllBytes(dir.File("f1b.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        File.WriteAllText(dir.File("notes.txt"), "not an image");
        using var source = VideoSource.Open(dir.Path, imageFps: 10);
        var read = new List<long>();
        while (source.Read(mat, out var info))
        {
            read.Add(info.Index);
        }

        Assert.Equal([0L, 1, 3], read);
        Assert.Equal(1, source.FramesSkipped);
        Assert.Equal(4, source.FrameCount);

        using var glob = VideoSource.Open(Path.Combine(dir.Path, "f?.png"));
        Assert.Equal(3, glob.FrameCount);
    }

    [Fact]
    public async Task A_tcp_stream_is_read_through_ffmpeg_and_its_end_is_reported()
    {
        if (!File.Exists("/usr/bin/ffmpeg"))
        {
            return;
        }

        var port = FreePort();
        using var server = Process.Start(new ProcessStartInfo("ffmpeg",
            $"-nostdin -hide_banner -loglevel error -re -f lavfi -i testsrc=size=160x120:rate=25 -t 20 -c:v mpeg2video -f mpegts tcp://127.0.0.1:{port}?listen=1")
        { RedirectStandardError = true, UseShellExecute = false })!;
        try
        {
            await Task.Delay(300);
            var clock = Stopwatch.StartNew();
            using var source = StreamFrameSource.Open($"tcp://127.0.0.1:{port}", new StreamSourceOptions { StallTimeout = TimeSpan.FromSeconds(3) });
            Assert.Equal((160, 120, true), (source.Width, source.Height, source.IsLive));
            using var mat = new Mat();
            for (var i = 0; i < 10; i++)
            {
                Assert.True(source.Read(mat, out var info));
                Assert.Equal(i, info.Index);
            }

            output.WriteLine($"10 frames after {clock.Elapsed.TotalMilliseconds:0} ms; fps {source.Fps}");
            Assert.Equal(160, mat.Width);

            // A killed server ends the stream at once.
            server.Kill();
            clock.Restart();
            try
            {
                while (source.Read(mat, out _))
                {
                }
            }
            catch (VideoSourceException)
            {
                // Also acceptable: ffmpeg reports the lost connection as an error.
            }

            output.WriteLine($"end noticed after {clock.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4));
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
            }
        }
    }

    [Fact]
    public void A_stream_that_never_opens_times_out()
    {
        var port = FreePort();
        var clock = Stopwatch.StartNew();
        Assert.Throws<VideoSourceException>(() => StreamFrameSource.Open($"tcp://127.0.0.1:{port}", new StreamSourceOptions { OpenTimeout = TimeSpan.FromSeconds(2), StallTimeout = TimeSpan.FromSeconds(1) }));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
