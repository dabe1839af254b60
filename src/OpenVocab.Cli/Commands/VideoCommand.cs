using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OpenVocab.Detection;
using OpenVocab.Tracking;
using OpenVocab.Video;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab video SOURCE --classes ... [--save FILE] [--jsonl FILE] [--live] [--stride N] [--max-frames N] [--track] [--json]</c></summary>
internal static class VideoCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = $"Video file, camera index (0), image folder or glob, or stream URL ({string.Join("/", StreamFrameSource.Schemes)}, read through ffmpeg)." };
        var pack = new PackOptions();
        var prompts = new PromptOptions();
        var save = new Option<string?>("--save") { Description = "Write an annotated video (.mp4 mp4v or .avi MJPG)." };
        var jsonl = new Option<string?>("--jsonl") { Description = "Write one JSON object per frame (JSON Lines), flushed per frame." };
        var live = new Option<bool>("--live") { Description = "Live mode: always detect the newest frame, dropping older ones (default for cameras and streams)." };
        var stride = new Option<int>("--stride") { Description = "Detect every Nth frame.", DefaultValueFactory = _ => 1 };
        var maxFrames = new Option<long?>("--max-frames") { Description = "Stop after reading N frames." };
        var track = new Option<bool>("--track") { Description = "Track objects (ByteTrack) and report persistent ids." };
        var json = new Option<bool>("--json") { Description = "Print the run's statistics as one JSON document on stdout when it ends." };
        var device = SharedOptions.Device();

        var command = new Command("video", "Detect (and track) objects in a video, camera, image folder or stream.")
        {
            source, pack.Model, pack.AllowExternalPaths, pack.Variant, save, jsonl, live, stride, maxFrames, track, json, device,
        };
        prompts.AddTo(command);
        command.SetAction(parse => CliHost.RunCancellable(token => Run(parse, token), "stopped."));
        return command;

        int Run(ParseResult parse, CancellationToken token)
        {
            using var logging = CliHost.CreateLoggerFactory();
            var logger = logging.CreateLogger("openvocab");
            using var detector = Detector.Load(pack.Load(parse), SharedOptions.Inference(parse.GetValue(device)), logger);
            if (prompts.HasClasses(parse))
            {
                detector.SetClasses(detector.CreateClassSet(prompts.BuildPromptSet(parse)));
            }
            else if (detector.IsOpenVocabulary)
            {
                throw new ArgumentException("No classes given: pass --classes \"red circle\" \"blue star\" (or one comma-separated string), or --class-image \"LABEL=FILE\".");
            }

            var detection = prompts.ApplyConfidence(parse, DetectionOptions.Default);
            detector.CheckOptions(detection);

            // The command opened the source, so it disposes it; the pipeline never does.
            using var input = VideoSource.Open(parse.GetValue(source)!);
            var sourceName = input.Name;
            AnnotatedVideoWriter? writer = null;
            JsonLinesWriter? lines = null;
            try
            {
                // Outputs open before any work, so a bad path fails at once with its reason.
                if (parse.GetValue(save) is { } savePath)
                {
                    writer = AnnotatedVideoWriter.Create(savePath, input.Width, input.Height, input.Fps);
                }

                if (parse.GetValue(jsonl) is { } jsonlPath)
                {
                    lines = JsonLinesWriter.Create(jsonlPath);
                }
            }
            catch
            {
                writer?.Dispose();
                throw;
            }

            using (writer)
            using (lines)
            {
                var options = new VideoDetectorOptions
                {
                    Detection = detection,
                    Mode = parse.GetValue(live) ? VideoMode.Live : VideoMode.Auto,
                    Stride = parse.GetValue(stride),
                    MaxFrames = parse.GetValue(maxFrames),
                    Tracking = parse.GetValue(track) ? new TrackerOptions() : null,
                    Sinks = [.. new IFrameSink?[] { writer, lines }.OfType<IFrameSink>()],
                };
                var video = new VideoDetector(detector, options, logger);
                var isLive = input.IsLive || parse.GetValue(live);
                long? total = input.FrameCount is { } count ? Math.Min(count, options.MaxFrames ?? long.MaxValue) : options.MaxFrames;
                var lastPrint = DateTime.MinValue;
                // Files (a known frame count) get a progress bar with count, rate and time left (plain lines when
                // stderr is redirected); live sources, which never finish, a one-line status.
                CliProgress? bar = !isLive && total is > 0 ? CliProgress.Start($"video {Path.GetFileName(sourceName)}", total) : null;
                var run = video.RunAsync(input, token).GetAsyncEnumerator(token);
                try
                {
                    while (run.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                    {
                        var r = run.Current;
                        if (bar is not null)
                        {
                            bar.Report(video.Statistics!.FramesRead);
                        }
                        else if (DateTime.UtcNow - lastPrint > TimeSpan.FromMilliseconds(250))
                        {
                            lastPrint = DateTime.UtcNow;
                            Status(video.Statistics!, r);
                        }
                    }
                }
                finally
                {
                    run.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    bar?.Dispose();
                    var s = video.Statistics;
                    if (s is not null)
                    {
                        if (bar is null)
                        {
                            Console.Error.WriteLine();
                        }

                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{s.FramesProcessed} frames processed of {s.FramesRead} read ({s.FramesDropped} dropped, {s.FramesStrided} strided, {s.FramesSkipped} unreadable, {s.Reconnects} reconnects) in {s.Elapsed.TotalSeconds:0.0} s, {s.Fps:0.0} fps; per frame: capture {s.CaptureMs:0.0} ms, preprocess {s.PreprocessMs:0.0} ms, inference {s.InferenceMs:0.0} ms, postprocess {s.PostprocessMs:0.0} ms, tracking {s.TrackingMs:0.00} ms, outputs {s.SinkMs:0.0} ms"));
                        if (parse.GetValue(json))
                        {
                            WriteStatistics(sourceName, s);
                        }
                    }
                }
            }

            return 0;
        }
    }

    /// <summary>
    /// <c>{"source":S,"framesRead":I,"framesProcessed":I,"framesDropped":I,"framesStrided":I,"framesSkipped":I,"reconnects":I,
    /// "seconds":F,"fps":F,"speedMs":{"capture":F,"preprocess":F,"inference":F,"postprocess":F,"tracking":F,"outputs":F}}</c>
    /// </summary>
    private static void WriteStatistics(string source, VideoRunStatistics s)
    {
        using (var w = new Utf8JsonWriter(Console.OpenStandardOutput()))
        {
            w.WriteStartObject();
            w.WriteString("source", source);
            w.WriteNumber("framesRead", s.FramesRead);
            w.WriteNumber("framesProcessed", s.FramesProcessed);
            w.WriteNumber("framesDropped", s.FramesDropped);
            w.WriteNumber("framesStrided", s.FramesStrided);
            w.WriteNumber("framesSkipped", s.FramesSkipped);
            w.WriteNumber("reconnects", s.Reconnects);
            w.WriteNumber("seconds", Math.Round(s.Elapsed.TotalSeconds, 3));
            w.WriteNumber("fps", Math.Round(s.Fps, 2));
            w.WriteStartObject("speedMs");
            w.WriteNumber("capture", Math.Round(s.CaptureMs, 3));
            w.WriteNumber("preprocess", Math.Round(s.PreprocessMs, 3));
            w.WriteNumber("inference", Math.Round(s.InferenceMs, 3));
            w.WriteNumber("postprocess", Math.Round(s.PostprocessMs, 3));
            w.WriteNumber("tracking", Math.Round(s.TrackingMs, 3));
            w.WriteNumber("outputs", Math.Round(s.SinkMs, 3));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        Console.WriteLine();
    }

    private static void Status(VideoRunStatistics s, FrameResult r)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"frame {r.FrameIndex}, {s.Fps:0.0} fps, {s.FramesDropped} dropped, {s.Reconnects} reconnects, latency {r.LatencyMs:0} ms, {r.Detections.Count} objects");
        Console.Error.Write("\r" + line.PadRight(100));
    }
}
