"""Exports an OpenAI CLIP checkpoint as an OpenVocab model pack: text encoder, image encoder, tokenizer, manifest.

    python models/export/export_clip.py --model ViT-B/32 --out packs/clip-vit-b32

Needs torch and OpenAI's clip package (pip install git+https://github.com/openai/CLIP.git); clip.load downloads the
checkpoint on first use. See models/README.md.
"""
import argparse
import os

import torch

import openvocab_pack as pack


def export_clip_pack(clip_model, out_dir, name, bpe_path, opset=pack.OPSET):
    """Writes a classification/search pack (text + image encoders) for an already loaded float32 CLIP model."""
    os.makedirs(out_dir, exist_ok=True)
    clip_model = clip_model.float().eval()
    text, text_width = pack.text_encoder_entry(out_dir, clip_model, bpe_path, opset)
    image, image_width = pack.image_encoder_entry(out_dir, clip_model, opset)
    if text_width != image_width:
        raise RuntimeError(f"text width {text_width} differs from image width {image_width}: not a CLIP model.")
    return pack.write_manifest(out_dir, name, text=text, image=image)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help=f"one of {', '.join(pack.CLIP_MODELS)}")
    parser.add_argument("--out", required=True, help="pack folder to write")
    parser.add_argument("--download-root", default=None, help="where clip.load keeps checkpoints")
    parser.add_argument("--opset", type=int, default=pack.OPSET)
    args = parser.parse_args(argv)
    try:
        pack.require_known(args.model, pack.CLIP_MODELS, "CLIP model")
    except pack.UnknownCheckpointError as e:
        parser.error(str(e))

    import clip  # noqa: PLC0415

    torch.set_grad_enabled(False)
    model, _ = clip.load(args.model, device="cpu", jit=False, download_root=args.download_root)
    manifest = export_clip_pack(model, args.out, pack.CLIP_MODELS[args.model], pack.clip_bpe_path(), args.opset)
    print(f"wrote {manifest}")


if __name__ == "__main__":
    main()
