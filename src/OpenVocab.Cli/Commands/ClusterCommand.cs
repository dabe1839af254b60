using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenVocab.Cameras.Configuration;
using OpenVocab.Cluster;
using OpenVocab.Cluster.Client;
using OpenVocab.Cluster.Grains;
using OpenVocab.Cluster.Hosting;

namespace OpenVocab.Cli.Commands;

/// <summary>
/// <c>openvocab cluster silo|add|remove|set-classes|status</c>: cameras spread over many machines on Orleans with Redis
/// (docs/cluster.md). <c>silo</c> runs one member until Ctrl+C or SIGTERM; the others are one-shot control-plane calls
/// through an Orleans client.
/// </summary>
internal static class ClusterCommand
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);

    public static Command Create() => new("cluster", "Cameras spread over many machines (Orleans + Redis): run a silo, add, re-class, remove and list cameras.")
    {
        Silo(),
        Add(),
        Remove(),
        SetClasses(),
        Status(),
    };

    private static Command Silo()
    {
        var where = new Where();
        var capacity = new Option<int>("--capacity") { Description = "Cameras this silo runs while another has room.", DefaultValueFactory = _ => new CameraSiloOptions().Capacity };
        var name = new Option<string?>("--name") { Description = "The silo's name, written as 'silo' in its events (default: host-port)." };
        var address = new Option<string>("--address") { Description = "Address other silos and clients reach this one at.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Silo-to-silo port.", DefaultValueFactory = _ => 11111 };
        var gateway = new Option<int>("--gateway-port") { Description = "Port clients connect to.", DefaultValueFactory = _ => 30000 };
        var pack = new PackOptions();
        var mqtt = new Option<string?>("--mqtt") { Description = "Publish events to the MQTT broker at HOST:PORT (topics PREFIX/<camera>/events and /counts)." };
        var prefix = new Option<string>("--mqtt-prefix") { Description = "First MQTT topic level.", DefaultValueFactory = _ => "openvocab" };
        var jsonl = new Option<string?>("--jsonl") { Description = "Append every event to this JSON Lines file." };
        var webhook = new Option<string?>("--webhook") { Description = "POST every event to this http(s) URL." };
        var batching = new Option<bool>("--batching") { Description = "Batch frames of this silo's cameras that are ready together through one detector thread." };
        var reminder = new Option<double>("--reminder-period") { Description = "Seconds between each camera's keep-running reminder ticks (how soon a lost camera comes back).", DefaultValueFactory = _ => new CameraSiloOptions().ReminderPeriod.TotalSeconds };
        var device = SharedOptions.Device();
        var rebalance = new Option<double>("--rebalance-interval") { Description = "Seconds between rebalancing moves (one camera each).", DefaultValueFactory = _ => new CameraSiloOptions().RebalanceInterval.TotalSeconds };
        var command = new Command("silo", "Join (or start) the cluster as a silo that runs cameras on one shared detector, until Ctrl+C or SIGTERM.")
        {
            where.Redis, where.ClusterId, capacity, name, address, port, gateway, pack.Model, device, mqtt, prefix, jsonl, webhook, batching, reminder, rebalance,
        };
        command.SetAction(parse => CliHost.RunCancellable(token =>
        {
            var siloPort = parse.GetValue(port);
            var siloName = parse.GetValue(name) ?? $"{Environment.MachineName}-{siloPort.ToString(CultureInfo.InvariantCulture)}";
            if (!IPAddress.TryParse(parse.GetValue(address), out var ip))
            {
                throw new ArgumentException($"--address '{parse.GetValue(address)}' is not an IP address; expected e.g. 10.0.0.5.");
            }

            var events = new CamerasConfig
            {
                JsonLines = parse.GetValue(jsonl),
                // Every silo needs its own client id: a broker disconnects the older of two clients with the same id.
                Mqtt = parse.GetValue(mqtt) is { } broker ? Broker(broker) with { TopicPrefix = parse.GetValue(prefix)!, ClientId = "openvocab-" + siloName } : null,
                Webhook = parse.GetValue(webhook) is { } url ? new WebhookConfig(Uri.TryCreate(url, UriKind.Absolute, out var u) ? u : throw new ArgumentException($"--webhook '{url}' is not an absolute URL; expected http://host:port/path.")) : null,
            };
            if (events.Validate() is { Count: > 0 } problems)
            {
                throw new ArgumentException(string.Join("; ", problems));
            }

            var options = new CameraSiloOptions
            {
                Name = siloName,
                Capacity = Positive(parse.GetValue(capacity), "--capacity"),
                Address = ip,
                SiloPort = Port(siloPort, "--port"),
                GatewayPort = Port(parse.GetValue(gateway), "--gateway-port"),
                Model = pack.Path(parse),
                Inference = SharedOptions.Inference(parse.GetValue(device)),
                Events = events,
                Batching = parse.GetValue(batching),
                ReminderPeriod = Seconds(parse.GetValue(reminder), "--reminder-period", 1),
                RebalanceInterval = Seconds(parse.GetValue(rebalance), "--rebalance-interval", 0.1),
            };
            using var host = CameraSilo.Build(where.Options(parse), options, logging =>
            {
                logging.SetMinimumLevel(LogLevel.Information);
                logging.AddFilter("Orleans", LogLevel.Warning);
                logging.AddFilter("Microsoft", LogLevel.Warning);
                logging.AddFilter("Polly", LogLevel.Warning);
                logging.AddSimpleConsole(o => o.SingleLine = true);
                logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            });
            host.RunAsync(token).GetAwaiter().GetResult();
            return 0;
        }, "silo stopped."));
        return command;
    }

    private static Command Add()
    {
        var where = new Where();
        var file = new Argument<string>("file") { Description = "Cameras file (YAML/JSON, as for 'openvocab cameras'): each camera is defined (or redefined) in the cluster; its sinks are the silos' own." };
        var command = new Command("add", "Define cameras in the cluster from a cameras file; each starts on the silo with the most room.") { file, where.Redis, where.ClusterId };
        command.SetAction(parse => Client(parse, where, async client =>
        {
            foreach (var (name, definition) in CameraDefinition.FromFile(parse.GetValue(file)!))
            {
                Console.WriteLine(Line(await client.AddAsync(name, definition).ConfigureAwait(false)));
            }
        }));
        return command;
    }

    private static Command Remove()
    {
        var where = new Where();
        var name = new Argument<string>("name") { Description = "The camera." };
        var command = new Command("remove", "Stop a camera and forget it.") { name, where.Redis, where.ClusterId };
        command.SetAction(parse => Client(parse, where, async client =>
        {
            var camera = parse.GetValue(name)!;
            if (!await client.RemoveAsync(camera).ConfigureAwait(false))
            {
                throw new KeyNotFoundException($"There is no camera '{camera}' in the cluster.");
            }

            Console.WriteLine($"{camera} removed");
        }));
        return command;
    }

    private static Command SetClasses()
    {
        var where = new Where();
        var name = new Argument<string>("name") { Description = "The camera." };
        var classes = new Argument<string>("classes") { Description = "The new classes, as 'classes' in a cameras file: \"red circle, blue square\" or a YAML/JSON list." };
        var command = new Command("set-classes", "Change a camera's classes; the next frame it detects uses them.") { name, classes, where.Redis, where.ClusterId };
        command.SetAction(parse => Client(parse, where, async client =>
            Console.WriteLine(Line(await client.SetClassesAsync(parse.GetValue(name)!, parse.GetValue(classes)!).ConfigureAwait(false)))));
        return command;
    }

    private static Command Status()
    {
        var where = new Where();
        var command = new Command("status", "List the silos and every camera with its silo, state, fps and last event.") { where.Redis, where.ClusterId };
        command.SetAction(parse => Client(parse, where, async client =>
        {
            var silos = await client.SilosAsync().ConfigureAwait(false);
            var cameras = await client.ListAsync().ConfigureAwait(false);
            foreach (var silo in silos)
            {
                Console.WriteLine(FormattableString.Invariant($"silo {silo} cameras={cameras.Count(c => c.Silo == silo)}"));
            }

            foreach (var camera in cameras)
            {
                Console.WriteLine(Line(camera));
            }
        }));
        return command;
    }

    private static int Client(ParseResult parse, Where where, Func<CameraClusterClient, Task> body) => CliHost.Run(() =>
    {
        try
        {
            var client = CameraClusterClient.ConnectAsync(where.Options(parse), ConnectTimeout).GetAwaiter().GetResult();
            try
            {
                body(client).GetAwaiter().GetResult();
            }
            finally
            {
                client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        catch (Exception e) when (e is KeyNotFoundException or TimeoutException or OrleansException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        return 0;
    });

    private static string Line(CameraInfo c) => FormattableString.Invariant(
        $"{c.Name} silo={c.Silo} {c.State} fps={c.Fps:0.0} processed={c.FramesProcessed} events={c.Events} last_event=") +
        (c.LastEventAt is { } at ? $"{c.LastEventKind}@{at.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}" : "none") +
        $" classes=\"{string.Join(", ", c.Classes)}\"" + (c.LastError is null ? "" : $" last_error=\"{c.LastError}\"");

    private static MqttConfig Broker(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        return colon > 0 && int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var p)
            ? new MqttConfig(hostPort[..colon]) { Port = p }
            : new MqttConfig(hostPort);
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new ArgumentException($"{option} must be at least 1, got {value}.");

    private static int Port(int value, string option) =>
        value is >= 1 and <= 65535 ? value : throw new ArgumentException($"{option} must be a port 1..65535, got {value}.");

    private static TimeSpan Seconds(double value, string option, double least) =>
        value >= least && double.IsFinite(value)
            ? TimeSpan.FromSeconds(value)
            : throw new ArgumentException(FormattableString.Invariant($"{option} must be at least {least} seconds, got {value}."));

    /// <summary>--redis and --cluster-id, which every cluster verb takes.</summary>
    private sealed class Where
    {
        public Option<string> Redis { get; } = new("--redis") { Description = "The cluster's Redis, HOST:PORT (membership, camera definitions, reminders).", Required = true };

        public Option<string> ClusterId { get; } = new("--cluster-id") { Description = "Which cluster on that Redis.", DefaultValueFactory = _ => "openvocab" };

        public CameraClusterOptions Options(ParseResult parse) => new(parse.GetValue(Redis)!) { ClusterId = parse.GetValue(ClusterId)!, ServiceId = parse.GetValue(ClusterId)! };
    }
}
