"""Shared pieces of the OpenVocab export scripts: CLIP encoder wrappers, ONNX export, manifest writing.

These functions take models that are already built (from real checkpoints by export_clip.py and
export_yolo_world.py, or with random weights by check_random_init.py), so the code that writes a user's pack is the
code the random-weight parity check runs.
"""
import json
import os
import shutil

import torch

# The format the C# loader reads (src/OpenVocab/Inference/ModelPackManifest.cs).
PACK_FORMAT = "openvocab-pack/1"
OPSET = 17

# OpenAI CLIP checkpoints this exporter knows, by the name clip.load takes, with the pack name it writes.
CLIP_MODELS = {
    "ViT-B/32": "clip-vit-b32",
    "ViT-B/16": "clip-vit-b16",
    "ViT-L/14": "clip-vit-l14",
}

BPE_FILE = "bpe_simple_vocab_16e6.txt.gz"


class UnknownCheckpointError(ValueError):
    """A checkpoint name the exporter was not written for."""


def require_known(name, known, what):
    """Fails with the supported names when `name` is not one of them."""
    if name not in known:
        raise UnknownCheckpointError(
            f"unknown {what} '{name}': this exporter supports {', '.join(sorted(known))}. "
            "Other checkpoints may differ in layout; add them to the list only after checking the exported pack "
            "against the original (see models/README.md).")


class ClipTextEncoder(torch.nn.Module):
    """input_ids int64 [B, 77] -> text_embeds float32 [B, D], unnormalised (the C# side L2-normalises).

    OpenAI's encode_text pools at argmax(input_ids): the end-of-text token has the highest id in the stock
    vocabulary, and the C# tokenizer pads with 0 after it exactly as clip.tokenize does.
    """

    def __init__(self, clip_model):
        super().__init__()
        self.clip = clip_model

    def forward(self, input_ids):
        return self.clip.encode_text(input_ids).float()


class ClipImageEncoder(torch.nn.Module):
    """pixel_values float32 [B, 3, S, S] (OpenAI's _transform) -> image_embeds float32 [B, D], unnormalised."""

    def __init__(self, clip_model):
        super().__init__()
        self.clip = clip_model

    def forward(self, pixel_values):
        return self.clip.encode_image(pixel_values).float()


def export_clip_text(clip_model, path, opset=OPSET):
    """Writes the text encoder ONNX with a dynamic batch; returns the embedding width D."""
    module = ClipTextEncoder(clip_model).eval()
    ids = torch.zeros(2, clip_model.context_length, dtype=torch.int64)
    ids[:, 0] = 49406
    ids[:, 1] = 49407
    with torch.no_grad():
        width = module(ids).shape[-1]
        torch.onnx.export(module, (ids,), path, input_names=["input_ids"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch"}, "text_embeds": {0: "batch"}},
                          opset_version=opset, do_constant_folding=True)
    return int(width)


def export_clip_image(clip_model, path, opset=OPSET):
    """Writes the image encoder ONNX with a dynamic batch; returns (D, S)."""
    module = ClipImageEncoder(clip_model).eval()
    size = int(clip_model.visual.input_resolution)
    pixels = torch.zeros(2, 3, size, size)
    with torch.no_grad():
        width = module(pixels).shape[-1]
        torch.onnx.export(module, (pixels,), path, input_names=["pixel_values"], output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
                          opset_version=opset, do_constant_folding=True)
    return int(width), size


def state_output_dims(path, output, dims):
    """Writes fixed sizes ({axis: size}) into an ONNX file's declared output shape and checks the model again."""
    import onnx  # noqa: PLC0415

    model = onnx.load(path)
    value = next(o for o in model.graph.output if o.name == output)
    shape = value.type.tensor_type.shape.dim
    for axis, size in dims.items():
        if shape[axis].HasField("dim_value") and shape[axis].dim_value not in (0, size):
            raise RuntimeError(f"{path}: output '{output}' axis {axis} is {shape[axis].dim_value}, expected {size}.")
        shape[axis].Clear()
        shape[axis].dim_value = size
    onnx.checker.check_model(model)
    onnx.save(model, path)


def clip_bpe_path():
    """The BPE merges file inside the user's OpenAI clip install (the tokenizer the text encoder was trained with)."""
    import clip  # noqa: PLC0415 (only the CLIP-bearing exports need it)

    path = os.path.join(os.path.dirname(os.path.abspath(clip.__file__)), BPE_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} is missing: reinstall OpenAI's clip package, which ships it.")
    return path


def text_encoder_entry(out_dir, clip_model, bpe_path, opset=OPSET):
    """Exports text.onnx and copies the tokenizer into out_dir; returns (manifest entry, D)."""
    width = export_clip_text(clip_model, os.path.join(out_dir, "text.onnx"), opset)
    shutil.copyfile(bpe_path, os.path.join(out_dir, BPE_FILE))
    entry = {"onnx": "text.onnx", "tokenizer": {"bpe": BPE_FILE}, "contextLength": int(clip_model.context_length),
             "inputIds": "input_ids", "output": "text_embeds"}
    return entry, width


def image_encoder_entry(out_dir, clip_model, opset=OPSET):
    """Exports vision.onnx into out_dir; returns (manifest entry, D)."""
    width, size = export_clip_image(clip_model, os.path.join(out_dir, "vision.onnx"), opset)
    entry = {"onnx": "vision.onnx", "input": "pixel_values", "output": "image_embeds", "imageSize": size,
             # OpenAI's _transform normalisation, the same for every released CLIP.
             "mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711],
             "logitScale": float(clip_model.logit_scale.exp().item())}
    return entry, width


def write_manifest(out_dir, name, text=None, image=None, detector=None):
    """Writes openvocab.json, leaving out the parts the pack does not have."""
    manifest = {"format": PACK_FORMAT, "name": name}
    for key, entry in (("textEncoder", text), ("imageEncoder", image), ("detector", detector)):
        if entry is not None:
            manifest[key] = entry
    path = os.path.join(out_dir, "openvocab.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return path
