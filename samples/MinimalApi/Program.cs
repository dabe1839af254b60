var app = OpenVocab.Samples.MinimalApi.MinimalApiSample.Build(args);
await app.RunAsync().ConfigureAwait(false);
