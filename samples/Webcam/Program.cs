return await OpenVocab.Samples.Webcam.WebcamSample.RunAsync(args, Console.Out).ConfigureAwait(false);
