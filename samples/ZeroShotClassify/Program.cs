return OpenVocab.Samples.ZeroShotClassify.ZeroShotClassifySample.Run(args, Console.Out);
