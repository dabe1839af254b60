using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace OpenVocab.Cli;

/// <summary>
/// Progress for long commands, always on stderr so that stdout (--json) stays clean: a Spectre.Console bar with
/// count, rate and time left when stderr is a terminal; plain lines (at most one every two seconds, and the last)
/// when it is redirected to a file or a pipe, where redrawn bars would be noise.
/// </summary>
/// <remarks>Not thread-safe: one command reports from one thread at a time.</remarks>
internal sealed class CliProgress : IDisposable
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);

    private readonly string _description;
    private readonly bool _bytes;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ProgressTask? _task;
    private readonly Task? _render;
    private readonly TaskCompletionSource? _done;
    private readonly TaskCompletionSource<ProgressTask>? _started;
    private TimeSpan? _lastLine;
    private double _value;
    private double? _total;
    private bool _disposed;

    private CliProgress(string description, double? total, bool bytes, bool interactive)
    {
        _description = description;
        _total = total;
        _bytes = bytes;
        if (!interactive)
        {
            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _started = new TaskCompletionSource<ProgressTask>(TaskCreationOptions.RunContinuationsAsynchronously);
        ProgressColumn[] columns = bytes
            ? [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn()]
            : [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new CountColumn(), new RateColumn(), new RemainingTimeColumn()];
        _render = console.Progress().AutoClear(false).HideCompleted(false).Columns(columns).StartAsync(async context =>
        {
            ProgressTask task = context.AddTask(Markup.Escape(description), maxValue: total ?? 1);
            task.IsIndeterminate = total is null;
            _started.SetResult(task);
            await _done.Task.ConfigureAwait(false);
        });
        _task = _started.Task.GetAwaiter().GetResult();
    }

    /// <summary>Starts reporting progress of <paramref name="description"/>.</summary>
    /// <param name="description">What is being done ("indexing", a file name).</param>
    /// <param name="total">How many units in all, or null when not known (a stream).</param>
    /// <param name="bytes">True when units are bytes (shown as sizes and transfer speed).</param>
    public static CliProgress Start(string description, double? total, bool bytes = false) =>
        new(description, total, bytes, interactive: !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("OPENVOCAB_PLAIN_PROGRESS") is null);

    /// <summary>Sets how many units are done.</summary>
    public void Report(double value, double? total = null)
    {
        _value = value;
        if (total is not null)
        {
            _total = total;
        }

        if (_task is not null)
        {
            if (total is not null)
            {
                _task.MaxValue = total.Value;
                _task.IsIndeterminate = false;
            }

            _task.Value = Math.Min(value, _task.MaxValue);
            return;
        }

        if (_lastLine is not { } last || _clock.Elapsed - last >= PlainInterval)
        {
            WriteLine();
        }
    }

    /// <summary>Ends the bar (or writes the last plain line).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_task is not null)
        {
            if (_total is { } t)
            {
                _task.Value = Math.Min(_value, t);
            }

            _task.StopTask();
            _done!.SetResult();
            _render!.GetAwaiter().GetResult();
        }
        else
        {
            WriteLine();
        }
    }

    private void WriteLine()
    {
        _lastLine = _clock.Elapsed;
        double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
        double rate = _value / seconds;
        string done = Format(_value);
        string line = _total is { } total and > 0
            ? $"{_description}: {done} / {Format(total)} ({100 * _value / total:0}%), {Format(rate)}/s, {Eta(total, rate)} left"
            : $"{_description}: {done}, {Format(rate)}/s";
        Console.Error.WriteLine(line);
    }

    private string Eta(double total, double rate) =>
        rate <= 0 ? "?" : TimeSpan.FromSeconds(Math.Max(0, (total - _value) / rate)).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    private string Format(double value)
    {
        if (!_bytes)
        {
            return value.ToString(value >= 100 || value == Math.Floor(value) ? "0" : "0.0", CultureInfo.InvariantCulture);
        }

        string[] units = ["B", "KB", "MB", "GB", "TB"];
        int u = 0;
        while (value >= 1024 && u < units.Length - 1)
        {
            value /= 1024;
            u++;
        }

        return value.ToString(u == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    /// <summary>"12/100" for counts.</summary>
    private sealed class CountColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Spectre.Console.Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:0}/{task.MaxValue:0}"));
    }

    /// <summary>Items per second.</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Spectre.Console.Text(task.Speed is { } speed ? string.Create(CultureInfo.InvariantCulture, $"{speed:0.0}/s") : "-");
    }
}
