using System.Net;
using System.Text;

namespace OpenVocab.Cameras.Tests.Events;

/// <summary>An HTTP receiver on a free loopback port that answers 503 to its first N requests, then 200, recording bodies.</summary>
internal sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly List<(string Body, string? Key)> _accepted = [];
    private int _failuresLeft;
    private int _requests;

    public WebhookReceiver(int failFirst)
    {
        _failuresLeft = failFirst;
        Port = Loopback.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/events");

    public int Requests => Volatile.Read(ref _requests);

    public IReadOnlyList<(string Body, string? Key)> Accepted
    {
        get
        {
            lock (_accepted)
            {
                return [.. _accepted];
            }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener was closed under a pending accept.
        }
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Interlocked.Increment(ref _requests);
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Decrement(ref _failuresLeft) >= 0)
            {
                context.Response.StatusCode = 503;
            }
            else
            {
                lock (_accepted)
                {
                    _accepted.Add((body, context.Request.Headers["Idempotency-Key"]));
                }

                context.Response.StatusCode = 200;
            }

            context.Response.Close();
        }
    }
}
