"""Exports an ultralytics YOLO-World v2 checkpoint as an OpenVocab model pack whose detector takes text embeddings
at run time (input txt_feats), together with the CLIP ViT-B/32 text encoder it was trained with.

    python models/export/export_yolo_world.py --weights yolov8s-worldv2.pt --out packs/yolov8s-worldv2

The detector graph: images float32 [B,3,S,S] (RGB 0..1, letterboxed) and txt_feats float32 [B,N,512] or [1,N,512]
(L2-normalised CLIP text embeddings, one prompt set per image or one for all) -> output0 float32 [B,4+N,A]: cx, cy,
w, h in input pixels, then N sigmoid scores (ultralytics' predict-path layout). The batch B is dynamic; N is dynamic
unless --max-classes fixes it.

Needs ultralytics (tested: 8.1.34) and OpenAI's clip package. See models/README.md.
"""
import argparse
import os

import torch

import openvocab_pack as pack

# Checkpoints this exporter knows (file stems); a .yaml of the same name builds the architecture with random
# weights, which is only good for testing the toolchain (see check_random_init.py).
WORLD_CHECKPOINTS = ("yolov8s-worldv2", "yolov8m-worldv2", "yolov8l-worldv2", "yolov8x-worldv2")
WORLD_CLIP = "ViT-B/32"  # the text encoder YOLO-World v2 was trained with (WorldModel.set_classes loads it)


class WorldDetectorWithText(torch.nn.Module):
    """Runs WorldModel.predict's layer loop with txt_feats as an input, and the WorldDetect head's predict path.

    The head is re-implemented here rather than called: in ultralytics the head reshapes its output with its
    Python-int class count `nc`, which tracing would freeze into the graph. Taking N from the score tensor
    instead keeps N a dynamic graph dimension, so one pack serves any number of prompts in one pass.

    The batch is dynamic too. The neck's attention reshapes the text with the image batch (MaxSigmoidAttnBlock's
    `guide.view(bs, ...)`), so a [1,N,D] prompt set is first expanded to the B images, as WorldModel.predict repeats
    it; [B,N,D] passes through unchanged.
    """

    def __init__(self, world_model):
        super().__init__()
        from ultralytics.nn.modules import C2fAttn, ImagePoolingAttn, WorldDetect  # noqa: PLC0415

        self.layers = world_model.model
        self.save = set(world_model.save)
        self.head = self.layers[-1]
        if not isinstance(self.head, WorldDetect):
            raise TypeError(f"the model's last layer is {type(self.head).__name__}, expected WorldDetect: not a YOLO-World model.")
        self._kinds = [2 if isinstance(m, WorldDetect) else 1 if isinstance(m, C2fAttn)
                       else 3 if isinstance(m, ImagePoolingAttn) else 0 for m in self.layers]

    def forward(self, images, txt_feats):
        text = txt_feats.expand(images.shape[0], -1, -1)
        head_text = text  # the head scores against the prompts as given, the neck against the attended ones
        x, saved = images, []
        for m, kind in zip(self.layers, self._kinds):
            if m.f != -1:
                x = saved[m.f] if isinstance(m.f, int) else [x if j == -1 else saved[j] for j in m.f]
            if kind == 1:
                x = m(x, text)
            elif kind == 2:
                x = self._detect(m, x, head_text)
            elif kind == 3:
                text = m(x, text)
            else:
                x = m(x)
            saved.append(x if m.i in self.save else None)
        return x

    @staticmethod
    def _detect(head, feats, text):
        from ultralytics.utils.tal import dist2bbox, make_anchors  # noqa: PLC0415

        boxes, scores = [], []
        for i in range(head.nl):
            boxes.append(head.cv2[i](feats[i]).flatten(2))
            scores.append(head.cv4[i](head.cv3[i](feats[i]), text).flatten(2))
        box = torch.cat(boxes, 2)
        cls = torch.cat(scores, 2)
        anchors, strides = (t.transpose(0, 1) for t in make_anchors(feats, head.stride, 0.5))
        xywh = dist2bbox(head.dfl(box), anchors.unsqueeze(0), xywh=True, dim=1) * strides
        return torch.cat((xywh, cls.sigmoid()), 1)


def export_detector(world_model, path, imgsz=640, text_width=512, max_classes=None, opset=pack.OPSET):
    """Writes the detector ONNX for a float32 WorldModel (fused here, as ultralytics' predictor fuses it)."""
    world_model = world_model.float().eval().fuse(verbose=False)
    module = WorldDetectorWithText(world_model).eval()
    n = max_classes or 3
    # Traced with two images and one prompt set: no size-1 batch can be folded into the graph, and the expand of a
    # shared prompt set to the image batch is recorded.
    images = torch.zeros(2, 3, imgsz, imgsz)
    text = torch.nn.functional.normalize(torch.randn(1, n, text_width), dim=-1)
    dynamic = {"images": {0: "batch"}, "txt_feats": {0: "batch"}, "output0": {0: "batch"}}
    if not max_classes:
        dynamic["txt_feats"][1] = "num_classes"
        dynamic["output0"][1] = "rows"
    with torch.no_grad():
        out = module(images, text)
        if out.shape[1] != 4 + n:
            raise RuntimeError(f"the wrapped model gives {out.shape[1]} rows for {n} classes, expected {4 + n}.")
        torch.onnx.export(module, (images, text), path, input_names=["images", "txt_feats"], output_names=["output0"],
                          dynamic_axes=dynamic, opset_version=opset, do_constant_folding=True)
    # With a dynamic batch the exporter's shape inference may lose the anchor count A (and a fixed N); state them, so
    # that the library can bind a preallocated output.
    fixed = {2: int(out.shape[2])} if not max_classes else {1: 4 + n, 2: int(out.shape[2])}
    pack.state_output_dims(path, "output0", fixed)
    return {"onnx": os.path.basename(path), "images": "images", "textInput": "txt_feats", "output": "output0",
            "layout": "yolo", "maxClasses": max_classes}


def export_world_pack(world_model, clip_model, out_dir, name, bpe_path, imgsz=640, max_classes=None, opset=pack.OPSET):
    """Writes a full open-vocabulary pack: detector.onnx, text.onnx, the tokenizer, vision.onnx and openvocab.json.

    The CLIP image tower (vision.onnx) goes in too: its embeddings share the text encoder's space, so the library can
    take example images as class prompts (as YOLO-World's image-prompt demo feeds CLIP image embeddings as txt_feats)
    and classify attributes of detected boxes zero-shot.
    """
    os.makedirs(out_dir, exist_ok=True)
    clip_model = clip_model.float().eval()
    text, width = pack.text_encoder_entry(out_dir, clip_model, bpe_path, opset)
    image, image_width = pack.image_encoder_entry(out_dir, clip_model, opset)
    if image_width != width:
        raise RuntimeError(f"CLIP's image tower gives D={image_width} but its text tower D={width}; they must share one space.")
    detector = export_detector(world_model, os.path.join(out_dir, "detector.onnx"), imgsz, width, max_classes, opset)
    return pack.write_manifest(out_dir, name, text=text, image=image, detector=detector)


def checkpoint_stem(weights):
    """The known checkpoint name of a .pt (or, for toolchain tests, .yaml) path; fails naming what is supported."""
    base = os.path.basename(weights)
    stem, ext = os.path.splitext(base)
    if ext not in (".pt", ".yaml") or stem not in WORLD_CHECKPOINTS:
        raise pack.UnknownCheckpointError(
            f"unknown checkpoint '{base}': this exporter supports {', '.join(s + '.pt' for s in WORLD_CHECKPOINTS)} "
            "(YOLO-World v2). For a closed-set YOLOv8/11 detector, export it with ultralytics' own "
            "`yolo export format=onnx` and load the .onnx directly (models/README.md).")
    return stem


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help=f"one of {', '.join(s + '.pt' for s in WORLD_CHECKPOINTS)}")
    parser.add_argument("--out", required=True, help="pack folder to write")
    parser.add_argument("--imgsz", type=int, default=640, help="square input size (multiple of 32)")
    parser.add_argument("--max-classes", type=int, default=None,
                        help="fix N in the graph (for runtimes without dynamic shapes); default: N dynamic")
    parser.add_argument("--download-root", default=None, help="where clip.load keeps checkpoints")
    parser.add_argument("--opset", type=int, default=pack.OPSET)
    args = parser.parse_args(argv)
    try:
        stem = checkpoint_stem(args.weights)
    except pack.UnknownCheckpointError as e:
        parser.error(str(e))
    if args.imgsz % 32:
        parser.error(f"--imgsz {args.imgsz} is not a multiple of 32 (the model's largest stride)")

    import clip  # noqa: PLC0415
    from ultralytics import YOLOWorld  # noqa: PLC0415

    torch.set_grad_enabled(False)
    world = YOLOWorld(args.weights).model
    clip_model, _ = clip.load(WORLD_CLIP, device="cpu", jit=False, download_root=args.download_root)
    manifest = export_world_pack(world, clip_model, args.out, stem, pack.clip_bpe_path(), args.imgsz,
                                 args.max_classes, args.opset)
    print(f"wrote {manifest}")


if __name__ == "__main__":
    main()
