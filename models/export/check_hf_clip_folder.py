"""Writes a random-weight OpenAI CLIP in the Hugging Face ONNX folder layout, with the PyTorch reference it must match.

    /usr/bin/python3 models/export/check_hf_clip_folder.py --clip-src /tmp/CLIP --preset vit-b32 --out /tmp/hf-clip
    /usr/bin/python3 models/export/check_hf_clip_folder.py --clip-src /tmp/CLIP --preset tiny \
        --out tests/OpenVocab.Tests/Fixtures/hf-tiny-clip

The OpenVocab library loads Hugging Face CLIP ONNX folders as they come (no openvocab.json). Real ones cannot be
downloaded here, so this script builds OpenAI's CLIP architecture (their clip/model.py, from --clip-src or an
installed `clip`) with seeded random weights and writes both layouts people download:

- `xenova/`: transformers.js / Xenova style: onnx/text_model.onnx (input_ids -> text_embeds, last_hidden_state),
  onnx/vision_model.onnx (pixel_values -> image_embeds, last_hidden_state), and *_quantized.onnx variants;
- `optimum/`: Optimum's single model.onnx with both towers (input_ids, pixel_values, attention_mask ->
  logits_per_image, logits_per_text, text_embeds, image_embeds);

each with config.json, tokenizer.json, vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json and
preprocessor_config.json written by this script following Hugging Face's public schemas (no transformers package is
used). reference.json records OpenAI's token ids and the PyTorch embeddings (OpenAI's encode_text / encode_image on
pixels prepared as Hugging Face's CLIPImageProcessor prepares them) that the C# tests compare against.

Presets: `vit-b32` is OpenAI's ViT-B/32 hyperparameters and stock vocabulary (about 1.3 GB written, 10-15 minutes on
2 cores); `tiny` is a 1-2 layer model over the shipped ShapesWorld vocabulary (1.3 MB), committed as a CI fixture.

The *_quantized variants are weight-only int8 (each large float matrix stored as int8 with one scale, restored by
DequantizeLinear): a real quantized graph that ONNX Runtime runs, not the MatMulInteger graphs Optimum's dynamic
quantizer writes.
"""
import argparse
import gzip
import json
import math
import os
import shutil
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED_VOCAB = os.path.join(os.path.dirname(REPO), "shared", "data", "clip", "bpe_simple_vocab_16e6.txt.gz")
OPSET = 17

# OpenAI's _transform normalisation; Hugging Face's CLIP processors carry the same numbers.
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]

PRESETS = {
    "vit-b32": dict(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768, vision_patch_size=32,
                    context_length=77, transformer_width=512, transformer_heads=8, transformer_layers=12),
    "tiny": dict(embed_dim=32, image_resolution=32, vision_layers=1, vision_width=64, vision_patch_size=8,
                 context_length=16, transformer_width=32, transformer_heads=2, transformer_layers=2),
}

PROMPTS = {
    "vit-b32": ["a photo of a dog.", "person wearing a hat", "red backpack", "A  Photo   of a CAT!",
                "traffic light", "a diagram of a neural network", "", "green square", "what's that? it's 3 o'clock",
                "the quick brown fox jumps over the lazy dog " * 12],
    "tiny": ["a photo of a red circle", "small green square", "large purple hexagon", "a blue star", "orange ring",
             "", "a photo of a small yellow heart on the large cyan diamond shape"],
}


def stub_missing(name, **attrs):
    """Stands in for an optional import a code path here never calls (clip's tokenizer imports ftfy)."""
    try:
        __import__(name)
    except ImportError:
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules[name] = module


def ascii_regex_shim():
    """A stand-in for the `regex` package covering the one pattern OpenAI's SimpleTokenizer compiles.

    Python's `re` has no \\p{L} / \\p{N}; for the prompts here (ASCII) these equivalents split text identically.
    Full Unicode agreement of the C# tokenizer is checked against OpenAI's golden ids, not with this shim.
    """
    import re

    def compile_(pattern, flags=0):
        pattern = (pattern.replace("[\\p{L}]+", "[^\\W\\d_]+").replace("[\\p{N}]", "\\d")
                   .replace("[^\\s\\p{L}\\p{N}]+", "(?:[^\\s\\w]|_)+"))
        if "\\p{" in pattern:
            raise ValueError(f"pattern not covered by the shim: {pattern}")
        return re.compile(pattern, flags)

    return dict(compile=compile_, IGNORECASE=re.IGNORECASE, sub=re.sub, findall=re.findall)


def import_clip_modules(clip_src):
    """Makes clip.model and clip.simple_tokenizer importable without running clip/__init__ (which needs packaging,
    torchvision and tqdm for checkpoint downloads that this script never does)."""
    import importlib.util

    if clip_src:
        folder = os.path.join(os.path.abspath(clip_src), "clip")
    else:
        spec = importlib.util.find_spec("clip")
        if spec is None or not spec.submodule_search_locations:
            sys.exit("OpenAI's clip is not installed: pass --clip-src with a checkout of github.com/openai/CLIP.")
        folder = list(spec.submodule_search_locations)[0]
    package = types.ModuleType("clip")
    package.__path__ = [folder]
    sys.modules["clip"] = package
    stub_missing("ftfy", fix_text=lambda text: text)
    stub_missing("regex", **ascii_regex_shim())


def attention(attn, x, bias):
    """torch.nn.MultiheadAttention's computation with its own weights, batch first, with an additive bias that
    broadcasts over heads: written out so that the ONNX export keeps batch and length dynamic."""
    import torch

    heads = attn.num_heads
    width = x.shape[-1]
    q, k, v = torch.nn.functional.linear(x, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    split = lambda t: t.reshape(t.shape[0], t.shape[1], heads, width // heads).transpose(1, 2)  # noqa: E731
    q, k, v = split(q) * (width // heads) ** -0.5, split(k), split(v)
    weights = torch.softmax(q @ k.transpose(-1, -2) + bias, dim=-1)
    out = (weights @ v).transpose(1, 2).reshape(x.shape[0], x.shape[1], width)
    return attn.out_proj(out)


def text_forward(clip_model, input_ids, attention_mask=None):
    """OpenAI's encode_text for any sequence length L <= context, with Hugging Face's optional padding mask.

    Returns (projected pooled embedding, last hidden state [B, L, W]). Positions up to the end-of-text token never
    attend past it (causal mask), so for them the padding mask changes nothing; it is applied as Hugging Face's
    CLIPTextModel applies it (a large negative bias on padded keys).
    """
    import torch

    length = input_ids.shape[1]
    x = clip_model.token_embedding(input_ids) + clip_model.positional_embedding[:length]
    # Finite bias rather than -inf, as Hugging Face does, so that no row is all -inf.
    neg = torch.finfo(x.dtype).min
    bias = torch.triu(torch.full((length, length), neg), diagonal=1)[None, None]
    if attention_mask is not None:
        bias = (bias + (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * neg).clamp(min=neg)
    for block in clip_model.transformer.resblocks:
        x = x + attention(block.attn, block.ln_1(x), bias)
        x = x + block.mlp(block.ln_2(x))
    x = clip_model.ln_final(x)
    pooled = x[torch.arange(x.shape[0]), input_ids.argmax(dim=-1)]
    return pooled @ clip_model.text_projection, x


def vision_forward(clip_model, pixel_values):
    """OpenAI's encode_image, also returning the transformer's last hidden state [B, 1+P, W]."""
    import torch

    v = clip_model.visual
    x = v.conv1(pixel_values)
    x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
    cls = v.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype)
    x = torch.cat([cls, x], dim=1) + v.positional_embedding.to(x.dtype)
    x = v.ln_pre(x).permute(1, 0, 2)
    x = v.transformer(x).permute(1, 0, 2)
    return v.ln_post(x[:, 0, :]) @ v.proj, x


def build_modules(clip_model):
    import torch

    class TextModel(torch.nn.Module):
        """CLIPTextModelWithProjection as exported: input_ids -> text_embeds (unnormalised), last_hidden_state."""

        def __init__(self):
            super().__init__()
            self.clip = clip_model

        def forward(self, input_ids):
            return text_forward(self.clip, input_ids)

    class VisionModel(torch.nn.Module):
        """CLIPVisionModelWithProjection as exported: pixel_values -> image_embeds (unnormalised), last_hidden_state."""

        def __init__(self):
            super().__init__()
            self.clip = clip_model

        def forward(self, pixel_values):
            return vision_forward(self.clip, pixel_values)

    class FullModel(torch.nn.Module):
        """CLIPModel as Optimum exports it: both towers, normalised embeddings and the scaled logits."""

        def __init__(self):
            super().__init__()
            self.clip = clip_model

        def forward(self, input_ids, pixel_values, attention_mask):
            text, _ = text_forward(self.clip, input_ids, attention_mask)
            image, _ = vision_forward(self.clip, pixel_values)
            text = text / text.norm(dim=-1, keepdim=True)
            image = image / image.norm(dim=-1, keepdim=True)
            logits_per_text = self.clip.logit_scale.exp() * text @ image.t()
            return logits_per_text.t(), logits_per_text, text, image

    return TextModel().eval(), VisionModel().eval(), FullModel().eval()


def export_onnx(module, args, path, input_names, output_names, dynamic_axes):
    import torch

    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)


def quantize_weights(src, dst, min_elements=256):
    """Weight-only int8: every float32 initializer of rank 2 with at least min_elements values becomes int8 + scale."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(src)
    graph = model.graph
    nodes, added, removed = [], [], []
    for init in graph.initializer:
        array = numpy_helper.to_array(init)
        if array.dtype != np.float32 or array.ndim != 2 or array.size < min_elements:
            continue
        scale = float(np.abs(array).max()) / 127.0 or 1.0
        q = np.clip(np.round(array / scale), -127, 127).astype(np.int8)
        added += [numpy_helper.from_array(q, init.name + "_q"),
                  numpy_helper.from_array(np.array(scale, dtype=np.float32), init.name + "_scale"),
                  numpy_helper.from_array(np.array(0, dtype=np.int8), init.name + "_zero")]
        nodes.append(helper.make_node("DequantizeLinear", [init.name + "_q", init.name + "_scale", init.name + "_zero"],
                                      [init.name], name=init.name + "_dequantize"))
        removed.append(init)
    for init in removed:
        graph.initializer.remove(init)
    graph.initializer.extend(added)
    rest = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + rest)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return len(removed)


def read_bpe(path):
    """The merges and the vocabulary exactly as OpenAI's SimpleTokenizer builds them from its BPE file."""
    from clip.simple_tokenizer import bytes_to_unicode

    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        lines = f.read().decode("utf-8").split("\n")
    merges = [tuple(m.split()) for m in lines[1:49152 - 256 - 2 + 1] if m.strip()]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    # A dict built from the list, as the reference does: a repeated token keeps its last id.
    encoder = dict(zip(vocab, range(len(vocab))))
    return merges, encoder, len(vocab)


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")


def write_tokenizer_files(folder, merges, encoder, context_length):
    """tokenizer.json (the `tokenizers` library's schema, as CLIPTokenizerFast saves it), vocab.json + merges.txt
    (CLIPTokenizer's files), tokenizer_config.json and special_tokens_map.json."""
    sot, eot = "<|startoftext|>", "<|endoftext|>"
    ordered = dict(sorted(encoder.items(), key=lambda kv: kv[1]))
    write_json(os.path.join(folder, "vocab.json"), ordered)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    special = lambda token: {"id": encoder[token], "content": token, "single_word": False, "lstrip": False,  # noqa: E731
                             "rstrip": False, "normalized": False, "special": True}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(sot), special(eot)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|"
                                                   "[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"},
             "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "RobertaProcessing", "sep": [eot, encoder[eot]], "cls": [sot, encoder[sot]],
                           "trim_offsets": False, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": eot, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": ordered, "merges": [f"{a} {b}" for a, b in merges]},
    }
    write_json(os.path.join(folder, "tokenizer.json"), tokenizer)
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "add_prefix_space": False, "bos_token": sot, "clean_up_tokenization_spaces": True, "do_lower_case": True,
        "eos_token": eot, "errors": "replace", "model_max_length": context_length, "pad_token": eot,
        "tokenizer_class": "CLIPTokenizer", "unk_token": eot})
    write_json(os.path.join(folder, "special_tokens_map.json"),
               {"bos_token": sot, "eos_token": eot, "pad_token": eot, "unk_token": eot})


def write_model_configs(folder, preset, vocab_size):
    p = PRESETS[preset]
    size = p["image_resolution"]
    write_json(os.path.join(folder, "config.json"), {
        "architectures": ["CLIPModel"],
        "model_type": "clip",
        "projection_dim": p["embed_dim"],
        "logit_scale_init_value": 2.6592,
        "initializer_factor": 1.0,
        "torch_dtype": "float32",
        "text_config": {"model_type": "clip_text_model", "vocab_size": vocab_size,
                        "hidden_size": p["transformer_width"], "intermediate_size": 4 * p["transformer_width"],
                        "num_hidden_layers": p["transformer_layers"],
                        "num_attention_heads": p["transformer_heads"],
                        "max_position_embeddings": p["context_length"], "hidden_act": "quick_gelu",
                        "projection_dim": p["embed_dim"], "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1},
        "vision_config": {"model_type": "clip_vision_model", "image_size": size,
                          "patch_size": p["vision_patch_size"], "hidden_size": p["vision_width"],
                          "intermediate_size": 4 * p["vision_width"], "num_hidden_layers": p["vision_layers"],
                          "num_attention_heads": p["vision_width"] // 64 or 1, "hidden_act": "quick_gelu",
                          "projection_dim": p["embed_dim"], "num_channels": 3},
    })
    write_json(os.path.join(folder, "preprocessor_config.json"), {
        "crop_size": {"height": size, "width": size},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": MEAN,
        "image_processor_type": "CLIPImageProcessor",
        "image_std": STD,
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"shortest_edge": size},
    })


def hf_pixels(path, size):
    """Hugging Face CLIPImageProcessor: RGB, shortest edge to `size` with PIL bicubic (long side int(size*long/short)),
    centre crop with the offset floored ((h - size) // 2), rescale by 1/255, normalise."""
    import numpy as np
    from PIL import Image

    image = Image.open(path).convert("RGB")
    w, h = image.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(size * long / short)
    nw, nh = (size, new_long) if w <= h else (new_long, size)
    image = image.resize((nw, nh), resample=Image.BICUBIC)
    top, left = (nh - size) // 2, (nw - size) // 2
    array = np.asarray(image, dtype=np.uint8)[top:top + size, left:left + size]
    array = (array.astype(np.float64) * (1 / 255)).astype(np.float32)
    array = (array - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return array.transpose(2, 0, 1).copy()


def make_images(folder, preset):
    """Photo-like test images whose resize gives an odd crop margin (floor and round-half-even differ there)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    sizes = [(681, 672), (300, 200)] if preset == "vit-b32" else [(70, 64), (45, 60)]
    files = []
    for w, h in sizes:
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack([np.sin(x / 9.0) * 90 + 120, np.cos(y / 7.0) * 80 + 110, (x + y) / (w + h) * 200 + 20], -1)
        noisy = np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)
        name = f"gen_{w}x{h}.png"
        Image.fromarray(noisy).save(os.path.join(folder, name))
        files.append(name)
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="vit-b32")
    parser.add_argument("--clip-src", default=None, help="a checkout of github.com/openai/CLIP when clip is not installed")
    parser.add_argument("--bpe", default=None, help="BPE vocabulary (default: the stock one for vit-b32, "
                                                    "models/shapes/vocab.bpe.txt for tiny)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import_clip_modules(args.clip_src)
    import numpy as np
    import torch
    from clip.model import CLIP
    from clip.simple_tokenizer import SimpleTokenizer

    torch.set_num_threads(2)
    torch.set_grad_enabled(False)
    bpe = args.bpe or (SHARED_VOCAB if args.preset == "vit-b32" else os.path.join(REPO, "models", "shapes", "vocab.bpe.txt"))
    merges, encoder, vocab_size = read_bpe(bpe)
    p = PRESETS[args.preset]
    torch.manual_seed(args.seed)
    clip_model = CLIP(vocab_size=vocab_size, **p).float().eval()
    if args.preset == "tiny":
        # Default init leaves a 2-layer model's embeddings nearly prompt-independent; widen the spread so that the
        # parity check compares embeddings that differ from prompt to prompt.
        with torch.no_grad():
            clip_model.token_embedding.weight.mul_(8.0)
            clip_model.positional_embedding.mul_(4.0)
    size = p["image_resolution"]
    length = p["context_length"]

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    images_dir = os.path.join(out, "images")
    os.makedirs(images_dir, exist_ok=True)
    text_model, vision_model, full_model = build_modules(clip_model)

    # OpenAI's tokenizer on this vocabulary (SimpleTokenizer reads a gzip file), clip.tokenize with truncate=True.
    with tempfile.TemporaryDirectory() as tmp:
        gz = os.path.join(tmp, "bpe.txt.gz")
        with open(bpe, "rb") as src, gzip.open(gz, "wb") as dst:
            data = src.read()
            dst.write(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        tokenizer = SimpleTokenizer(gz)
    sot, eot = encoder["<|startoftext|>"], encoder["<|endoftext|>"]
    prompts = PROMPTS[args.preset]
    ids = torch.zeros(len(prompts), length, dtype=torch.long)
    id_lists = []
    for i, prompt in enumerate(prompts):
        tokens = [sot] + tokenizer.encode(prompt) + [eot]
        if len(tokens) > length:
            tokens = tokens[:length]
            tokens[-1] = eot
        ids[i, :len(tokens)] = torch.tensor(tokens)
        id_lists.append(tokens)

    reference_text = clip_model.encode_text(ids).float()
    wrapped_text, _ = text_forward(clip_model, ids)
    mask = (torch.arange(length)[None, :] < torch.tensor([len(t) for t in id_lists])[:, None]).long()
    masked_text, _ = text_forward(clip_model, ids, mask)
    # The export wrappers must be OpenAI's encode_text: check before writing anything that relies on it.
    assert torch.allclose(wrapped_text, reference_text, atol=1e-5), (wrapped_text - reference_text).abs().max()
    assert torch.allclose(masked_text, reference_text, atol=1e-5), (masked_text - reference_text).abs().max()

    samples = [os.path.join(REPO, "samples", f"shapes_{i}.jpg") for i in range(1, 5)]
    generated = make_images(images_dir, args.preset)
    image_files = samples + [os.path.join(images_dir, g) for g in generated]
    pixels = torch.from_numpy(np.stack([hf_pixels(f, size) for f in image_files]))
    reference_image = clip_model.encode_image(pixels).float()
    wrapped_image, _ = vision_forward(clip_model, pixels)
    assert torch.allclose(wrapped_image, reference_image, atol=1e-4), (wrapped_image - reference_image).abs().max()

    normalise = lambda t: (t / t.norm(dim=-1, keepdim=True))  # noqa: E731
    layouts = {}
    xenova = os.path.join(out, "xenova")
    optimum = os.path.join(out, "optimum")
    for folder in (xenova, optimum):
        os.makedirs(folder, exist_ok=True)
        write_tokenizer_files(folder, merges, encoder, length)
        write_model_configs(folder, args.preset, vocab_size)

    onnx_dir = os.path.join(xenova, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    sample_ids = ids[:2]
    export_onnx(text_model, (sample_ids,), os.path.join(onnx_dir, "text_model.onnx"), ["input_ids"],
                ["text_embeds", "last_hidden_state"],
                {"input_ids": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"},
                 "last_hidden_state": {0: "batch_size", 1: "sequence_length"}})
    export_onnx(vision_model, (pixels[:2],), os.path.join(onnx_dir, "vision_model.onnx"), ["pixel_values"],
                ["image_embeds", "last_hidden_state"],
                {"pixel_values": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
                 "image_embeds": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}})
    quantized = {}
    for name in ("text_model", "vision_model"):
        quantized[name] = quantize_weights(os.path.join(onnx_dir, f"{name}.onnx"),
                                           os.path.join(onnx_dir, f"{name}_quantized.onnx"))
    layouts["xenova"] = {"folder": "xenova", "quantizedMatrices": quantized}

    export_onnx(full_model, (sample_ids, pixels[:2], mask[:2]), os.path.join(optimum, "model.onnx"),
                ["input_ids", "pixel_values", "attention_mask"],
                ["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"],
                {"input_ids": {0: "text_batch_size", 1: "sequence_length"},
                 "pixel_values": {0: "image_batch_size", 1: "num_channels", 2: "height", 3: "width"},
                 "attention_mask": {0: "text_batch_size", 1: "sequence_length"},
                 "logits_per_image": {0: "image_batch_size", 1: "text_batch_size"},
                 "logits_per_text": {0: "text_batch_size", 1: "image_batch_size"},
                 "text_embeds": {0: "text_batch_size"}, "image_embeds": {0: "image_batch_size"}})
    layouts["optimum"] = {"folder": "optimum"}

    reference = {
        "preset": args.preset,
        "seed": args.seed,
        "contextLength": length,
        "imageSize": size,
        "logitScale": float(clip_model.logit_scale.exp()),
        "layouts": layouts,
        "prompts": prompts,
        "ids": id_lists,
        "textEmbeds": [[round(v, 7) for v in row] for row in normalise(reference_text).tolist()],
        "images": [{"file": os.path.relpath(f, REPO) if f in samples else os.path.join("images", os.path.basename(f)),
                    "embeds": [round(v, 7) for v in row]}
                   for f, row in zip(image_files, normalise(reference_image).tolist())],
    }
    write_json(os.path.join(out, "reference.json"), reference)
    print(f"wrote {out}: {len(prompts)} prompts, {len(image_files)} images, logit scale {reference['logitScale']:.4f}, "
          f"quantized matrices {quantized}")


if __name__ == "__main__":
    main()
