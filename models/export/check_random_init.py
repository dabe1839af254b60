"""Proves the export path without any downloaded weights: builds YOLO-World v2 (yolov8s-worldv2) and CLIP ViT-B/32
with seeded random weights, writes packs with the same functions the export scripts use, and records what the Python
originals give (ultralytics' own predict: letterbox, inference, NMS; OpenAI CLIP's encode_text / encode_image with
its _transform). The C# tests compare against these when OPENVOCAB_EXPORT_DIR points at --out.

    /usr/bin/python3 models/export/check_random_init.py --out /tmp/openvocab-export \
        --ultralytics-src /tmp/yolov10 --clip-src /tmp/CLIP [--write-ci-reference]

--ultralytics-src / --clip-src are source checkouts to import from when the packages are not installed. The check
needs no network; it blocks it, because ultralytics probes the internet on import. --write-ci-reference also writes
the small reference files the CI tests read (tests/OpenVocab.Tests/Export/Reference).
"""
import argparse
import copy
import hashlib
import json
import os
import socket
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CI_DIR = os.path.join(REPO, "tests", "OpenVocab.Tests", "Export", "Reference")

DETECTOR_PROMPTS = ["person", "a red car", "dog", "green square", "traffic light"]
CLIP_PROMPTS = ["a photo of a cat", "a photo of a dog", "red circle", "blue star", "green square", "purple hexagon",
                "orange circle", "a person wearing a hat", "red backpack", "a blue cross", "traffic light at night",
                "two yellow triangles", "a diagram", "an empty road", "photo of a bicycle", "Hello, World!",
                "a very long prompt " + "with many words " * 12, "café crème", "x", "A PHOTO OF A TREE."]
FIXED_N = 8


def block_network():
    """Fails every non-loopback connection at once (ultralytics checks connectivity when imported)."""
    def local(host):
        return host in ("127.0.0.1", "localhost", "::1")

    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if not local(host):
            raise OSError(f"network blocked by check_random_init.py ({host})")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if isinstance(address, tuple) and not local(address[0]):
            raise OSError(f"network blocked by check_random_init.py ({address[0]})")
        return real_connect(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect


def stub_missing(name, **attrs):
    """Registers an empty module for an optional import that the code paths used here never call."""
    try:
        __import__(name)
    except ImportError:
        module = types.ModuleType(name)
        for key, value in attrs.items():
            setattr(module, key, value)
        sys.modules[name] = module


def calibrate(model, image):
    """Makes a random-weight model behave like a trained one in one respect: its activations stay alive.

    With PyTorch's default init the signal shrinks layer by layer until the output is the biases alone (every image
    gives the same boxes and scores, which would make any comparison vacuous). So, on one image, each convolution's
    weights are scaled to give unit-variance outputs (as in LSUV init), and BatchNorm statistics are perturbed so
    that fusing them into the convolutions is not an identity.
    """
    import torch

    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(m.weight, 0.5, 1.5)
            torch.nn.init.normal_(m.bias, 0, 0.1)
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 1.5)

    def unit_variance(conv, _inputs, output):
        std = output.std()
        conv.weight.data /= std
        if conv.bias is not None:
            conv.bias.data /= std
        return output / std

    hooks = [m.register_forward_hook(unit_variance) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    model.eval()(image)
    for h in hooks:
        h.remove()


def make_images(folder):
    """Non-square and square test images of flat shapes (small PNGs, identical to decode everywhere)."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(7)
    names = []
    for w, h in ((640, 480), (480, 640), (1280, 720), (512, 512)):
        img = np.full((h, w, 3), (rng.integers(60, 200), rng.integers(60, 200), rng.integers(60, 200)), np.uint8)
        for _ in range(12):
            color = tuple(int(c) for c in rng.integers(0, 256, 3))
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            r = int(rng.integers(min(w, h) // 20, min(w, h) // 5))
            if rng.random() < 0.5:
                cv2.circle(img, (x, y), r, color, -1)
            else:
                cv2.rectangle(img, (x - r, y - r), (x + r, y + r // 2), color, -1)
        name = f"gen_{w}x{h}.png"
        cv2.imwrite(os.path.join(folder, name), img)
        names.append(name)
    return names


def sha256(array):
    return hashlib.sha256(array.tobytes()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ultralytics-src", default=None)
    parser.add_argument("--clip-src", default=None)
    parser.add_argument("--conf", type=float, default=0.6)
    parser.add_argument("--write-ci-reference", action="store_true")
    args = parser.parse_args()

    block_network()
    os.environ.setdefault("YOLO_OFFLINE", "1")
    for src in (args.ultralytics_src, args.clip_src):
        if src:
            sys.path.insert(0, os.path.abspath(src))
    stub_missing("thop")
    # THU-MIG/yolov10's ultralytics subclasses this mixin (with class keywords) for its YOLOv10 model only.
    stub_missing("huggingface_hub", PyTorchModelHubMixin=type(
        "PyTorchModelHubMixin", (), {"__init_subclass__": classmethod(lambda cls, **kwargs: None)}))
    # clip's tokenizer imports ftfy for fix_text; the prompts here are clean text, which fix_text returns unchanged.
    stub_missing("ftfy", fix_text=lambda text: text)

    import cv2
    import numpy as np
    import torch
    from PIL import Image

    torch.set_num_threads(2)
    torch.set_grad_enabled(False)
    import clip
    from clip.model import CLIP
    from ultralytics import YOLOWorld
    from ultralytics.data.augment import LetterBox
    from ultralytics.utils import ops

    import export_clip
    import export_yolo_world
    import openvocab_pack as pack

    out = os.path.abspath(args.out)
    images_dir = os.path.join(out, "images")
    os.makedirs(images_dir, exist_ok=True)
    generated = make_images(images_dir)
    samples = [os.path.join(REPO, "samples", f"shapes_{i}.jpg") for i in range(1, 5)]
    images = samples + [os.path.join(images_dir, g) for g in generated]

    # CLIP ViT-B/32 hyperparameters (OpenAI's released model), random weights.
    torch.manual_seed(0)
    clip_model = CLIP(embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768, vision_patch_size=32,
                      context_length=77, vocab_size=49408, transformer_width=512, transformer_heads=8,
                      transformer_layers=12).float().eval()
    bpe = pack.clip_bpe_path()
    export_clip.export_clip_pack(clip_model, os.path.join(out, "clip-vit-b32"), "clip-vit-b32", bpe)

    # YOLO-World v2 small, random weights, with these prompts' CLIP features as YOLOWorld.set_classes leaves them.
    torch.manual_seed(0)
    yolo = YOLOWorld("yolov8s-worldv2.yaml")
    feats = clip_model.encode_text(clip.tokenize(DETECTOR_PROMPTS)).float()
    feats = feats / feats.norm(p=2, dim=-1, keepdim=True)
    yolo.model.txt_feats = feats.reshape(1, len(DETECTOR_PROMPTS), -1)
    yolo.model.model[-1].nc = len(DETECTOR_PROMPTS)
    yolo.model.names = dict(enumerate(DETECTOR_PROMPTS))
    lb = LetterBox((640, 640), auto=False, stride=32)(image=cv2.imread(samples[2]))
    calibrate(yolo.model, torch.from_numpy(np.ascontiguousarray(lb[..., ::-1].transpose(2, 0, 1))).float()[None] / 255)
    world_pack = os.path.join(out, "yolov8s-worldv2")
    export_yolo_world.export_world_pack(copy.deepcopy(yolo.model), clip_model, world_pack, "yolov8s-worldv2", bpe)
    fixed_pack = os.path.join(out, f"yolov8s-worldv2-fixed{FIXED_N}")
    export_yolo_world.export_world_pack(copy.deepcopy(yolo.model), clip_model, fixed_pack, "yolov8s-worldv2-fixed",
                                        bpe, max_classes=FIXED_N)

    # CLIP references: encode_text on clip.tokenize, encode_image on _transform (PIL bicubic, centre crop).
    transform = clip.clip._transform(224)
    crop_only = transform.transforms[:2]
    text = clip_model.encode_text(clip.tokenize(CLIP_PROMPTS, truncate=True)).float()
    clip_images = []
    for path in images:
        pil = Image.open(path).convert("RGB")
        cropped = pil
        for t in crop_only:
            cropped = t(cropped)
        embeds = clip_model.encode_image(transform(pil).unsqueeze(0)).float()[0]
        bgr = np.ascontiguousarray(np.asarray(cropped)[:, :, ::-1])
        clip_images.append({"file": path, "embeds": embeds.tolist(), "cropSha256": sha256(bgr)})

    # Detector reference: ultralytics' own predict (letterbox, inference, NMS, scale_boxes).
    yolo.predict(images[0], conf=args.conf, iou=0.7, imgsz=640, verbose=False)
    # A fixed-size export is letterboxed to the full square (LetterBox auto=False), as ultralytics predicts with an
    # ONNX model; the .pt path would pad only to a multiple of 32. Make the predictor letterbox as for the export.
    yolo.predictor.model.pt = False
    model = yolo.predictor.model.model  # fused by the predictor, as the export fuses its copy
    detections, letterboxes, raw = [], [], {}
    for path in images:
        result = yolo.predict(path, conf=args.conf, iou=0.7, imgsz=640, verbose=False)[0]
        boxes = result.boxes
        dets = [{"cls": int(c), "score": float(s), "box": [float(v) for v in b]}
                for b, s, c in zip(boxes.xyxy, boxes.conf, boxes.cls)]
        bgr = cv2.imread(path)
        lb = LetterBox((640, 640), auto=False, stride=32)(image=bgr)
        letterboxes.append({"file": path, "width": bgr.shape[1], "height": bgr.shape[0], "sha256": sha256(lb)})
        # The same inference step by step, keeping the raw output for the C# decode test.
        x = torch.from_numpy(np.ascontiguousarray(lb[..., ::-1].transpose(2, 0, 1))).float().unsqueeze(0) / 255
        preds = model(x)
        preds = preds[0] if isinstance(preds, (list, tuple)) else preds
        raw[path] = preds[0].clone().numpy()  # before NMS, which converts the boxes to corners in place
        nms = ops.non_max_suppression(preds, args.conf, 0.7, max_det=300)[0]
        nms[:, :4] = ops.scale_boxes(x.shape[2:], nms[:, :4], bgr.shape)
        again = [{"cls": int(r[5]), "score": float(r[4]), "box": [float(v) for v in r[:4]]} for r in nms]
        if again != dets:
            raise RuntimeError(f"step-by-step inference differs from predict on {path}")
        scores = torch.from_numpy(raw[path][4:]).max(0).values
        detections.append({"file": path, "width": bgr.shape[1], "height": bgr.shape[0], "detections": dets,
                           "candidates": int((scores > args.conf).sum()), "maxScore": float(scores.max())})
        print(f"{os.path.basename(path)}: {len(dets)} boxes, {detections[-1]['candidates']} candidates > {args.conf}, "
              f"max score {detections[-1]['maxScore']:.4f}")

    reference = {
        "versions": {"torch": torch.__version__, "ultralytics": __import__("ultralytics").__version__},
        "detector": {"pack": "yolov8s-worldv2", "fixedPack": os.path.basename(fixed_pack), "prompts": DETECTOR_PROMPTS,
                     "conf": args.conf, "iou": 0.7, "images": detections},
        "clip": {"pack": "clip-vit-b32", "prompts": CLIP_PROMPTS, "textEmbeds": text.tolist(), "images": clip_images},
    }
    with open(os.path.join(out, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f)
    print(f"wrote {out}/reference.json")

    if args.write_ci_reference:
        write_ci_reference(images, generated, images_dir, letterboxes, detections, clip_images, raw, args.conf)


def write_ci_reference(images, generated, images_dir, letterboxes, detections, clip_images, raw, conf):
    """Small files for CI: the generated images, letterbox and CLIP-crop hashes, and two raw detector outputs with
    the final boxes ultralytics made from them (one square-padded sample, one wide generated image)."""
    import shutil

    os.makedirs(CI_DIR, exist_ok=True)

    def rel(path):
        if path.startswith(images_dir):
            shutil.copyfile(path, os.path.join(CI_DIR, os.path.basename(path)))
            return os.path.basename(path)
        return os.path.relpath(path, REPO)

    decode = []
    for path in (images[0], os.path.join(images_dir, "gen_1280x720.png")):
        name = os.path.splitext(os.path.basename(path))[0] + ".raw.bin"
        raw[path].tofile(os.path.join(CI_DIR, name))
        det = next(d for d in detections if d["file"] == path)
        decode.append({"image": rel(path), "raw": name, "rows": int(raw[path].shape[0]),
                       "anchors": int(raw[path].shape[1]), "detections": det["detections"]})
    ci = {
        "note": "Written by models/export/check_random_init.py --write-ci-reference (yolov8s-worldv2 with seeded random weights).",
        "letterbox": [{"image": rel(l["file"]), "width": l["width"], "height": l["height"], "sha256": l["sha256"]}
                      for l in letterboxes],
        "clipCrop": [{"image": rel(c["file"]), "imageSize": 224, "sha256": c["cropSha256"]} for c in clip_images],
        "decode": {"conf": conf, "iou": 0.7, "cases": decode},
    }
    with open(os.path.join(CI_DIR, "export-reference.json"), "w", encoding="utf-8") as f:
        json.dump(ci, f, indent=1)
        f.write("\n")
    print(f"wrote {CI_DIR}")


if __name__ == "__main__":
    main()
