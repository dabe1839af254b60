using System.CommandLine;
using System.Globalization;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cameras.Events;
using OpenVocab.Cameras.Hosting;
using OpenVocab.Detection;
using Spectre.Console;

namespace OpenVocab.Cli.Commands;

/// <summary><c>openvocab cameras FILE [--model DIR] [--duration S] [--batching] [--interval S]</c>: runs a cameras file with a live table.</summary>
internal static class CamerasCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Cameras file (YAML or JSON): cameras, classes, zones, lines, events and sinks; see docs/cameras.md." };
        var pack = new PackOptions();
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: until Ctrl+C, or until every camera's file has ended)." };
        var batching = new Option<bool>("--batching") { Description = "Batch frames of different cameras that are ready together through one detector thread (default: each camera calls the detector itself)." };
        var interval = new Option<double>("--interval") { Description = "Seconds between table refreshes (or status lines when output is redirected).", DefaultValueFactory = _ => 1 };
        var device = SharedOptions.Device();
        var command = new Command("cameras", "Run many cameras on one shared detector: zones, lines and events to MQTT, webhooks and JSON Lines, with a live table.")
        {
            file, pack.Model, pack.AllowExternalPaths, duration, batching, interval, device,
        };
        command.SetAction(parse => CliHost.RunCancellable(token => Run(parse, token), "stopped."));
        return command;

        int Run(ParseResult parse, CancellationToken token)
        {
            var config = CamerasConfigReader.Load(parse.GetValue(file)!);
            var seconds = parse.GetValue(interval);
            if (!(seconds > 0))
            {
                throw new ArgumentException($"--interval must be a positive number of seconds, got {seconds.ToString(CultureInfo.InvariantCulture)}.");
            }

            using var logging = CliHost.CreateLoggerFactory();
            var logger = logging.CreateLogger("openvocab.cameras");
            var model = parse.GetValue(pack.Model) is null && config.Model is { } fromFile ? fromFile : pack.Path(parse);
            using var detector = Detector.Load(pack.Load(parse, model), SharedOptions.Inference(parse.GetValue(device)), logger);
            var sinks = new List<EventSink>();
            try
            {
                config.StartSinks(sinks, logger);

                var options = new CameraHostOptions { Batching = parse.GetValue(batching) };
                var host = new CameraHost(detector, sinks, options, logger);
                try
                {
                    foreach (var camera in config.Cameras)
                    {
                        host.AddAsync(camera).GetAwaiter().GetResult();
                    }

                    Watch(host, parse.GetValue(duration), TimeSpan.FromSeconds(seconds), token);
                }
                finally
                {
                    host.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }

                Summary(host, sinks);
            }
            finally
            {
                foreach (var sink in sinks)
                {
                    sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
            }

            return 0;
        }
    }

    /// <summary>Shows the table (or status lines) until the duration, Ctrl+C, or every camera finished.</summary>
    private static void Watch(CameraHost host, double? duration, TimeSpan interval, CancellationToken token)
    {
        var end = duration is { } d ? DateTime.UtcNow + TimeSpan.FromSeconds(d) : DateTime.MaxValue;
        bool Done() => token.IsCancellationRequested || DateTime.UtcNow >= end || host.Cameras.All(c => c.State is CameraState.Finished or CameraState.Stopped);
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            while (!Done())
            {
                token.WaitHandle.WaitOne(interval);
                foreach (var c in host.Cameras)
                {
                    Console.WriteLine(Line(c));
                }
            }

            return;
        }

        AnsiConsole.Live(Table(host)).Start(live =>
        {
            while (!Done())
            {
                token.WaitHandle.WaitOne(interval);
                live.UpdateTarget(Table(host));
            }
        });
    }

    private static Table Table(CameraHost host)
    {
        var table = new Table().Title("openvocab cameras").AddColumns("camera", "state", "fps", "processed", "dropped", "reconnects", "events", "classes", "last error");
        foreach (var c in host.Cameras)
        {
            var state = c.State switch
            {
                CameraState.Running => "[green]running[/]",
                CameraState.Reconnecting => "[yellow]reconnecting[/]",
                CameraState.Finished => "[blue]finished[/]",
                _ => c.State.ToString().ToLowerInvariant(),
            };
            table.AddRow(Markup.Escape(c.Name), state, Num(c.Fps, "0.0"), Num(c.FramesProcessed), Num(c.FramesDropped), Num(c.Reconnects), Num(c.Events),
                Markup.Escape(string.Join(", ", c.Classes)), Markup.Escape(Shorten(c.LastError)));
        }

        var b = host.Batching;
        table.Caption(FormattableString.Invariant($"batches {b.Batches}, {(b.Batches > 0 ? b.Frames / (double)b.Batches : 0):0.00} frames each, {b.MsPerFrame:0.0} ms per frame in the detector"));
        return table;
    }

    private static string Line(CameraStatus c) => FormattableString.Invariant(
        $"{c.Name} {c.State.ToString().ToLowerInvariant()} fps={c.Fps:0.0} processed={c.FramesProcessed} dropped={c.FramesDropped} reconnects={c.Reconnects} events={c.Events}") +
        (c.LastError is null ? "" : $" last_error=\"{Shorten(c.LastError)}\"");

    private static void Summary(CameraHost host, List<EventSink> sinks)
    {
        foreach (var c in host.Cameras)
        {
            Console.WriteLine(Line(c));
        }

        foreach (var s in sinks)
        {
            var st = s.Statistics;
            Console.WriteLine(FormattableString.Invariant($"sink {s.Name}: delivered={st.Delivered} dropped={st.Dropped} pending={st.Pending} retries={st.Retries} outages={st.Outages}"));
        }
    }

    private static string Num(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 60 ? text : text[..57] + "...";
}
