"""Rebuild the whole ShapesWorld model pack from scratch, seeded, on CPU.

    /usr/bin/python3 models/shapes/train/build_pack.py [--force] [--only clip|detector|...] [--out DIR] [--seed S]

--out DIR writes the whole pack (and its checkpoints, under DIR/.checkpoints) into DIR instead of models/shapes, so a
trial rebuild never touches the shipped pack; rendered training data in .cache/ is shared. --seed seeds both
trainings (default 0, the recipe's seed).

Steps (each skipped when its output exists, unless --force; a retrained CLIP forces the detector too,
because the detector is trained against that text encoder's embeddings):
  1. clip       BPE vocab, classification eval set, CLIP training data, CLIP training, text.onnx/vision.onnx,
                CLIP references                                        (train_clip.py, the CLIP engineer's code)
  2. evalset    models/shapes/eval/detection/ (240 eval scenes + COCO annotations)
  3. detector   .cache/detector.pt                                     (train_detector.py)
  4. export     detector.onnx, closed/detector.onnx, closed/openvocab.json (export_detector.py)
  5. reference  reference/detector.json + detector_<k>.bin
  6. manifest   openvocab.json
  7. eval       COCO mAP on the detection eval set -> eval/detection/results_pytorch.json; CLIP accuracy
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import time

DET_SCENES = 12000
DET_STEPS = 2800
DET_BATCH = 16
STEPS = ["clip", "evalset", "detector", "export", "reference", "manifest", "eval"]


def md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def step_clip(force, seed):
    import paths
    import train_clip as tc
    t0 = time.time()
    if force or not os.path.exists(paths.VOCAB):
        import bpe
        bpe.main()
    if force or not os.path.exists(os.path.join(paths.CLASSIFICATION_EVAL_DIR, "labels.json")):
        tc.build_evalset()
    if force or not os.path.exists(paths.CLIP_PT):
        if force or not os.path.exists(paths.CLIP_DATA):
            tc.build_data()
        tc.train(seed=seed)
    if force or not (os.path.exists(paths.TEXT_ONNX) and os.path.exists(paths.VISION_ONNX)):
        tc.export()
    if force or not os.path.exists(os.path.join(paths.REFERENCE_DIR, "text_embeds.json")):
        tc.reference()
    if force or not os.path.exists(os.path.join(paths.SAMPLES, "shapes_1.jpg")):
        tc.samples()
    log(f"clip: done in {time.time() - t0:.0f}s")


def step_evalset(force):
    import evaluate
    import paths
    if force or not os.path.exists(os.path.join(paths.DETECTION_EVAL_DIR, "annotations.json")):
        evaluate.make_eval_set(240, log=log)


def step_detector(force, clip_pt, seed):
    import paths
    import torch
    import train_detector as td
    out = paths.DETECTOR_PT
    clip_md5 = md5(clip_pt)
    if not force and os.path.exists(out):
        info = torch.load(out, map_location="cpu").get("info", {})
        if info.get("clip_md5") == clip_md5:
            log("detector: up to date")
            return out
        log("detector: trained against another clip.pt, retraining")
    t0 = time.time()
    td.train(DET_SCENES, DET_STEPS, DET_BATCH, seed=seed, out=out, log=log, clip_path=clip_pt)
    ck = torch.load(out, map_location="cpu")
    ck["info"]["clip_md5"] = clip_md5
    ck["info"]["wall_seconds_incl_cache"] = round(time.time() - t0, 1)
    torch.save(ck, out)
    log(f"detector: {time.time() - t0:.0f}s including the scene cache")
    return out


def _newer(out, src):
    return os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src)


def step_export(force, det_pt):
    import export_detector as ed
    import paths
    if force or not _newer(paths.DETECTOR_ONNX, det_pt):
        ed.export_open(det_pt, log=log)
    if force or not _newer(os.path.join(paths.CLOSED_DIR, "detector.onnx"), det_pt):
        ed.export_closed(det_pt, log=log)


def step_reference(force, det_pt):
    import export_detector as ed
    import paths
    if force or not _newer(os.path.join(paths.REFERENCE_DIR, "detector.json"), det_pt):
        ed.write_references(det_pt, log=log)


def clip_logit_scale(clip_pt):
    import torch
    ck = torch.load(clip_pt, map_location="cpu")
    s = float(ck["state"]["logit_scale"])
    return round(math.exp(min(s, math.log(100.0))), 4)


def step_manifest(clip_pt):
    import clip_model as cm
    import paths
    man = {
        "format": "openvocab-pack/1",
        "name": "shapesworld",
        "textEncoder": {"onnx": "text.onnx", "tokenizer": {"bpe": "vocab.bpe.txt"},
                        "contextLength": cm.CONTEXT_LENGTH, "inputIds": "input_ids", "output": "text_embeds"},
        "imageEncoder": {"onnx": "vision.onnx", "input": "pixel_values", "output": "image_embeds",
                         "imageSize": cm.IMAGE_SIZE, "mean": list(cm.MEAN), "std": list(cm.STD),
                         "logitScale": clip_logit_scale(clip_pt)},
        "detector": {"onnx": "detector.onnx", "images": "images", "textInput": "txt_feats",
                     "output": "output0", "layout": "yolo", "maxClasses": None},
    }
    with open(paths.MANIFEST, "w") as f:
        json.dump(man, f, indent=2)
        f.write("\n")
    log("manifest: openvocab.json")


def step_eval(det_pt, clip_pt):
    import evaluate
    import paths
    res = evaluate.evaluate(det_pt, log=log)
    import torch
    info = torch.load(det_pt, map_location="cpu").get("info", {})
    res["model"] = {"steps": info.get("steps"), "train_seconds": round(info.get("seconds", 0), 1),
                    "clip_md5": info.get("clip_md5")}
    res_ml = evaluate.evaluate(det_pt, multi_label=True, log=lambda m: log("multi-label " + m))
    res["multi_label"] = {k: res_ml[k] for k in ("seen", "heldout", "all") if k in res_ml}
    with open(os.path.join(paths.DETECTION_EVAL_DIR, "results_pytorch.json"), "w") as f:
        json.dump(res, f, indent=1)
    try:
        import train_clip as tc
        log("clip classification: " + json.dumps(tc.evaluate(clip_pt, quiet=True)))
    except Exception as e:  # the CLIP numbers are the CLIP engineer's; report, never fail the build on them
        log(f"clip eval skipped: {e!r}")
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="redo every step")
    ap.add_argument("--only", choices=STEPS, action="append", help="run only these steps")
    ap.add_argument("--out", default=None, help="write the pack here instead of models/shapes (a trial rebuild)")
    ap.add_argument("--seed", type=int, default=0, help="seed of both trainings (default 0)")
    a = ap.parse_args(argv)
    if a.out:
        # Read by paths.py when first imported (below): every step then writes into this folder.
        os.environ["SHAPES_PACK_DIR"] = os.path.abspath(a.out)
        os.environ["SHAPES_CHECKPOINT_DIR"] = os.path.join(os.path.abspath(a.out), ".checkpoints")
    import paths
    os.makedirs(paths.CHECKPOINTS, exist_ok=True)
    log(f"pack: {paths.PACK}, checkpoints: {paths.CHECKPOINTS}, seed {a.seed}")
    steps = a.only or STEPS
    t0 = time.time()
    clip_pt, det_pt = paths.CLIP_PT, paths.DETECTOR_PT
    timings = {}
    for s in steps:
        t = time.time()
        log(f"== {s}")
        if s == "clip":
            step_clip(a.force, a.seed)
        elif s == "evalset":
            step_evalset(a.force)
        elif s == "detector":
            step_detector(a.force, clip_pt, a.seed)
        elif s == "export":
            step_export(a.force, det_pt)
        elif s == "reference":
            step_reference(a.force, det_pt)
        elif s == "manifest":
            step_manifest(clip_pt)
        elif s == "eval":
            res = step_eval(det_pt, clip_pt)
        timings[s] = round(time.time() - t, 1)
    log(f"timings (s): {json.dumps(timings)}; total {time.time() - t0:.0f}s")
    if "eval" in steps:
        for k in ("seen", "heldout", "all"):
            r = res.get(k, {})
            log(f"detection {k:8s} classes {r.get('classes')}: mAP50 {r.get('mAP50', 0):.4f}  "
                f"mAP50-95 {r.get('mAP50_95', 0):.4f}")


if __name__ == "__main__":
    main()
