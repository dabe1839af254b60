using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using OpenVocab.Classification;
using OpenVocab.Inference;
using OpenVocab.Search;
using OpenVocab.Tests;

namespace OpenVocab.Server.Tests;

/// <summary>
/// A real server on free loopback ports (Kestrel, port 0), started in this process and stopped in Dispose; tests talk
/// to it over real HTTP and gRPC. The index it searches is built from samples/ into a temporary folder.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new();
    private WebApplication? _app;

    public string IndexFile => _dir.File("samples.ovidx");

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public Uri Rest { get; private set; } = null!;

    public Uri Grpc { get; private set; } = null!;

    public WebApplication App => _app!;

    public async Task InitializeAsync()
    {
        using (var encoder = ImageEncoder.Load(ModelPack.Load(TestPaths.ShapesPack)))
        {
            ImageIndex.Build(TestPaths.Samples, IndexFile, encoder);
        }

        (_app, Rest, Grpc) = await StartAsync([$"--Server:Index={IndexFile}", "--Server:RequestHeadersTimeoutSeconds=3"]);
        Http.BaseAddress = Rest;
    }

    /// <summary>Starts a server with the shipped pack on free ports and waits until it is ready.</summary>
    public static async Task<(WebApplication App, Uri RestUri, Uri GrpcUri)> StartAsync(IEnumerable<string> args)
    {
        var app = OpenVocabServer.Build([
            $"--Server:Model={TestPaths.ShapesPack}",
            "--Server:Url=http://127.0.0.1:0",
            "--Server:GrpcUrl=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            .. args]);
        await app.StartAsync();
        var endpoints = (ServerEndpoints)app.Services.GetService(typeof(ServerEndpoints))!;
        using var probe = new HttpClient { BaseAddress = endpoints.Rest };
        for (var waited = 0; ; waited += 100)
        {
            if ((await probe.GetAsync("/readyz")).IsSuccessStatusCode)
            {
                break;
            }

            if (waited > 60_000)
            {
                await app.DisposeAsync();
                throw new TimeoutException("The server was not ready within 60 s.");
            }

            await Task.Delay(100);
        }

        return (app, endpoints.Rest, endpoints.Grpc!);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Dispose();
    }

    public void Dispose()
    {
        Http.Dispose();
        _dir.Dispose();
    }

    /// <summary>A multipart form with the given images (file name kept) and fields.</summary>
    public static MultipartFormDataContent Form(IEnumerable<string> imagePaths, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var path in imagePaths)
        {
            var file = new ByteArrayContent(File.ReadAllBytes(path));
            file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(file, "images", Path.GetFileName(path));
        }

        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    public static string Sample(int i) => Path.Combine(TestPaths.Samples, $"shapes_{i}.jpg");

    public static readonly string[] ShapeClasses = ["green square", "purple hexagon", "orange circle", "red star", "blue circle"];
}

[CollectionDefinition(Name)]
public sealed class ServerGroup : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}

/// <summary>Tests that run by themselves, after every parallel collection of this assembly.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneGroup
{
    public const string Name = "alone";
}
