return OpenVocab.Samples.DetectConsole.DetectConsoleSample.Run(args, Console.Out);
