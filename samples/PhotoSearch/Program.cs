return OpenVocab.Samples.PhotoSearch.PhotoSearchSample.Run(args, Console.Out);
