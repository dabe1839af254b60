namespace OpenVocab.Inference;

/// <summary>Hardware back-ends ONNX Runtime can run on. Only those compiled into the referenced native package are available.</summary>
public enum ExecutionProvider
{
    /// <summary>Default CPU provider; always available.</summary>
    Cpu,

    /// <summary>NVIDIA CUDA (needs the GPU build: <c>-p:OpenVocabGpu=true</c>).</summary>
    Cuda,

    /// <summary>NVIDIA TensorRT (GPU build).</summary>
    TensorRT,

    /// <summary>DirectML (Windows).</summary>
    DirectML,

    /// <summary>Intel OpenVINO.</summary>
    OpenVino,

    /// <summary>Apple CoreML.</summary>
    CoreML,
}
