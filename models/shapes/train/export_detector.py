"""Export the ShapesWorld detector to ONNX and write the PyTorch reference outputs for the C# parity tests.

    /usr/bin/python3 models/shapes/train/export_detector.py [export|closed|reference|all]

- models/shapes/detector.onnx: inputs `images` float32 [B,3,320,320] (RGB 0..1, letterboxed) and `txt_feats`
  float32 [B,N,D] (or [1,N,D], shared by the B images), output `output0` float32 [B,4+N,A] (cx,cy,w,h in input
  pixels, N sigmoid scores). B and N are dynamic.
- models/shapes/closed/detector.onnx: the same with all class names' embeddings baked in (input `images` only),
  images [B,3,320,320] -> output0 [B,4+N,A], B dynamic; ultralytics-style metadata (names, imgsz, stride, task,
  batch, description) + closed/openvocab.json.
- models/shapes/reference/detector.json + detector_<k>.bin: raw [4+N, A] float32 LE outputs from PyTorch.
"""
from __future__ import annotations

import argparse
import io
import json
import os

import onnx
import torch

from clip_model import encode_prompts
from detector_model import IMGSZ, STRIDES, ClosedSetDetector, letterbox, load_detector, to_tensor
from paths import CLOSED_DIR, DETECTION_EVAL_DIR, DETECTOR_ONNX, DETECTOR_PT, PACK, REFERENCE_DIR, threads
OPSET = 17
TRACE_BATCH = 2


def _export(model, args, input_names, dynamic_axes, opset=OPSET):
    f = io.BytesIO()
    torch.onnx.export(model, args, f, input_names=input_names, output_names=["output0"],
                      dynamic_axes=dynamic_axes, opset_version=opset, do_constant_folding=True)
    return onnx.load_from_string(f.getvalue())


def _strip_names(m):
    """Graph structure without names, to compare two exports."""
    g = m.graph
    return [(n.op_type, [(a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute
                         if a.type != onnx.AttributeProto.TENSOR]) for n in g.node]


def _dims(vi):
    return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]


def export_open(det_pt=DETECTOR_PT, out=DETECTOR_ONNX, log=print):
    model, ck = load_detector(det_pt)
    D = model.embed_dim
    # Traced with two images, so that no size-1 batch can be folded into the graph as a constant.
    img = torch.rand(TRACE_BATCH, 3, IMGSZ, IMGSZ)
    dyn = {"images": {0: "batch"}, "txt_feats": {0: "batch", 1: "num_classes"},
           "output0": {0: "batch", 1: "num_outputs"}}
    m5 = _export(model, (img, torch.randn(TRACE_BATCH, 5, D)), ["images", "txt_feats"], dyn)
    m7 = _export(model, (img, torch.randn(TRACE_BATCH, 7, D)), ["images", "txt_feats"], dyn)
    onnx.checker.check_model(m5)
    # N must not be baked anywhere: exports traced with N=5 and N=7 must be the same graph,
    # and the graph input/output must carry a symbolic class dimension and a symbolic batch.
    assert _strip_names(m5) == _strip_names(m7), "graph depends on the traced class count"
    ins = {i.name: _dims(i) for i in m5.graph.input}
    outs = {o.name: _dims(o) for o in m5.graph.output}
    assert ins["images"] == ["batch", 3, IMGSZ, IMGSZ], ins
    assert ins["txt_feats"][0] == "batch" and isinstance(ins["txt_feats"][1], str) and ins["txt_feats"][2] == D, ins
    assert outs["output0"][0] == "batch" and isinstance(outs["output0"][1], str), outs
    A = sum((IMGSZ // s) ** 2 for s in STRIDES)
    _state_dims(m5.graph.output[0], {2: A})
    inferred = onnx.shape_inference.infer_shapes(m5)
    _set_meta(m5, {"description": "ShapesWorld open-vocabulary detector (YOLO-World-style contrastive head); "
                                  "txt_feats = L2-normalised CLIP text embeddings [B,N,D] (or [1,N,D] for all "
                                  "B images), B and N dynamic",
                   "imgsz": f"[{IMGSZ}, {IMGSZ}]", "stride": str(max(STRIDES)), "task": "detect",
                   "batch": "dynamic", "layout": "yolo", "embed_dim": str(D), "anchors": str(A)})
    onnx.save(m5, out)
    _require_dynamic_batch(out)
    log(f"export: {out} ({os.path.getsize(out) / 1e6:.2f} MB) inputs {ins} outputs "
        f"{ {o.name: _dims(o) for o in inferred.graph.output} } A={A} D={D} opset {OPSET}")
    return out


def _state_dims(value_info, dims):
    """Writes fixed output dimensions that the exporter's shape inference lost once the batch became dynamic: the
    library binds a preallocated output when the graph states the anchor count A."""
    shape = value_info.type.tensor_type.shape.dim
    for axis, size in dims.items():
        shape[axis].Clear()
        shape[axis].dim_value = size


def _require_dynamic_batch(path):
    """The batch must be symbolic on every input and output, and frozen nowhere inside (make_batch_dynamic's check)."""
    from make_batch_dynamic import make_dynamic
    if make_dynamic(path, check_only=True, log=lambda _: None):
        raise AssertionError(f"{path}: the exported graph has a fixed batch")


def _set_meta(m, meta):
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v


def export_closed(det_pt=DETECTOR_PT, out_dir=CLOSED_DIR, log=print):
    import world
    model, _ = load_detector(det_pt)
    names = world.class_names(include_heldout=True)
    txt = encode_prompts(names)[None]                                  # [1, N, D]
    closed = ClosedSetDetector(model, txt).eval()
    m = _export(closed, (torch.rand(TRACE_BATCH, 3, IMGSZ, IMGSZ),), ["images"],
                {"images": {0: "batch"}, "output0": {0: "batch"}})
    _state_dims(m.graph.output[0], {1: 4 + len(names), 2: sum((IMGSZ // s) ** 2 for s in STRIDES)})
    onnx.checker.check_model(m)
    names_str = "{" + ", ".join(f"{i}: {n!r}" for i, n in enumerate(names)) + "}"
    _set_meta(m, {"description": "ShapesWorld detector, closed set: all %d ShapesWorld class names baked in "
                                 "(OpenVocab shapesworld pack)" % len(names),
                  "author": "OpenVocab", "license": "same as the OpenVocab repository",
                  "stride": str(max(STRIDES)), "task": "detect", "batch": "dynamic",
                  "imgsz": f"[{IMGSZ}, {IMGSZ}]", "names": names_str})
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "detector.onnx")
    onnx.save(m, path)
    _require_dynamic_batch(path)
    with open(os.path.join(out_dir, "openvocab.json"), "w") as f:
        json.dump({"format": "openvocab-pack/1", "name": "shapesworld-closed",
                   "detector": {"onnx": "detector.onnx", "images": "images", "layout": "yolo"}}, f, indent=2)
        f.write("\n")
    outs = {o.name: _dims(o) for o in m.graph.output}
    log(f"export closed: {path} ({os.path.getsize(path) / 1e6:.2f} MB) N={len(names)} outputs {outs}")
    return path


# --------------------------------------------------------------------------------------------- references
REF_PROMPTS_5 = ["red circle", "blue square", "green star", "yellow triangle", "purple ring"]


def _reference_prompt_sets():
    import world
    held = [f"{c} {s}" for c, s in world.HELDOUT]
    seen = [n for n in world.class_names(False)]
    p12 = [held[0], "orange square", held[1], "cyan ring", held[2], "blue heart", held[4],
           "pink circle", held[6], "green cross", held[7], "a photo of a red square."]
    assert all(p in seen or p in held for p in p12[:-1])
    return [REF_PROMPTS_5, p12]


def write_references(det_pt=DETECTOR_PT, eval_dir=None, ref_dir=REFERENCE_DIR, log=print):
    from evaluate import non_max_suppression, read_rgb, scale_back
    eval_dir = eval_dir or DETECTION_EVAL_DIR
    model, _ = load_detector(det_pt)
    with open(os.path.join(eval_dir, "annotations.json")) as f:
        gt = json.load(f)
    ims = gt["images"]
    # three eval images: the most landscape one, the most portrait one, and one with many objects
    n_obj = {}
    for a in gt["annotations"]:
        n_obj[a["image_id"]] = n_obj.get(a["image_id"], 0) + 1
    wide = max(ims, key=lambda im: im["width"] / im["height"])
    tall = max(ims, key=lambda im: im["height"] / im["width"])
    busy = max((im for im in ims if im["id"] not in (wide["id"], tall["id"])),
               key=lambda im: (n_obj.get(im["id"], 0), -im["id"]))
    os.makedirs(ref_dir, exist_ok=True)
    for old in os.listdir(ref_dir):
        if old.startswith("detector_") and old.endswith(".bin"):
            os.remove(os.path.join(ref_dir, old))
    cases = []
    k = 0
    for im in (wide, tall, busy):
        img = read_rgb(os.path.join(eval_dir, im["file_name"]))
        lb, r, (left, top) = letterbox(img, (IMGSZ, IMGSZ))
        x = to_tensor(lb)
        present = []
        for a in gt["annotations"]:
            name = next(c["name"] for c in gt["categories"] if c["id"] == a["category_id"])
            if a["image_id"] == im["id"] and name not in present:
                present.append(name)
        p5, p12 = _reference_prompt_sets()
        # 5 prompts: up to 3 classes present in the image, then fillers; 12 prompts: a fixed mixed set
        p5 = (present[:3] + [p for p in p5 if p not in present])[:5]
        for prompts in (p5, p12):
            txt = encode_prompts(prompts)
            with torch.no_grad():
                out = model(x, txt[None])[0]                           # [4+N, A]
            name = f"detector_{k}.bin"
            out.numpy().astype("<f4").tofile(os.path.join(ref_dir, name))
            d = scale_back(non_max_suppression(out, 0.25, 0.7, 300), r, (left, top), img.shape[:2])
            dets = [{"box": [round(v, 4) for v in row[:4]], "score": round(row[4], 6), "class": int(row[5]),
                     "name": prompts[int(row[5])]} for row in d.tolist()]
            cases.append({"image": os.path.relpath(os.path.join(eval_dir, im["file_name"]), PACK),
                          "width": im["width"], "height": im["height"], "prompts": prompts,
                          "N": len(prompts), "A": int(out.shape[1]),
                          "letterbox": {"gain": r, "padLeft": left, "padTop": top,
                                        "unpadWidth": int(round(im["width"] * r)),
                                        "unpadHeight": int(round(im["height"] * r))},
                          "output": name, "outputShape": [int(out.shape[0]), int(out.shape[1])],
                          "detections": dets})
            k += 1
    doc = {"description": "ShapesWorld detector reference outputs from PyTorch (models/shapes/train/"
                          "export_detector.py). Each output file is the raw detector output [4+N, A] as "
                          "float32 little-endian, row-major (rows cx,cy,w,h in letterboxed input pixels, then N "
                          "sigmoid scores), computed on the image read with cv2.imread (BGR->RGB), "
                          "letterboxed to 320x320 (ultralytics LetterBox, fill 114, INTER_LINEAR), /255, with "
                          "txt_feats = the text encoder's L2-normalised embeddings of the prompts (exact strings, "
                          "tokenised by bpe.py). Detections: best class per anchor, conf 0.25, per-class NMS IoU "
                          "0.7, max_det 300, boxes x1,y1,x2,y2 mapped back to original pixels and clipped.",
           "imgsz": [IMGSZ, IMGSZ], "strides": list(STRIDES), "conf": 0.25, "iou": 0.7,
           "textEncoder": "text.onnx", "detector": "detector.onnx", "cases": cases}
    with open(os.path.join(ref_dir, "detector.json"), "w") as f:
        json.dump(doc, f, indent=1)
    log(f"references: {len(cases)} cases -> {ref_dir}")
    return cases


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="?", default="all", choices=["export", "closed", "reference", "all"])
    ap.add_argument("--model", default=DETECTOR_PT)
    a = ap.parse_args(argv)
    torch.set_num_threads(threads())
    if a.what in ("export", "all"):
        export_open(a.model)
    if a.what in ("closed", "all"):
        export_closed(a.model)
    if a.what in ("reference", "all"):
        write_references(a.model)


if __name__ == "__main__":
    main()
