"""Detection evaluation for the ShapesWorld detector (PyTorch reference numbers).

    /usr/bin/python3 models/shapes/train/evaluate.py [--model .cache/detector.pt] [--eval-dir ../eval/detection]

- Inference on the eval JPEGs (cv2.imread -> RGB), ultralytics LetterBox to 320x320, prompts = all class names
  (seen + held-out), ultralytics predict-style postprocess: best class per anchor, conf 0.001, per-class NMS
  (class offset 7680) with IoU 0.7, max_det 300, boxes mapped back with the letterbox gain/pad and clipped.
- COCO bbox evaluation as pycocotools' COCOeval defines it (re-implemented here): IoU thresholds .50:.05:.95,
  101 recall points, maxDets 100, area "all"; AP per class, then mAP over the seen classes and over the
  held-out classes separately.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import cv2
import numpy as np
import torch
import torchvision

from clip_model import encode_prompts
from detector_model import IMGSZ, letterbox, load_detector, to_tensor
from paths import DETECTION_EVAL_DIR, DETECTOR_PT, threads

EVAL_SEED_BASE = 1_000_000  # eval scenes: render_scene(EVAL_SEED_BASE + i, "eval")
MAX_WH = 7680


# --------------------------------------------------------------------------------------------- postprocess
def non_max_suppression(out, conf=0.25, iou=0.7, max_det=300, multi_label=False, max_nms=30000):
    """out [4+N, A] (cx,cy,w,h + scores) -> [K, 6] x1,y1,x2,y2,score,cls (input pixels)."""
    out = out.float()
    n = out.shape[0] - 4
    x = out.t()                                                   # [A, 4+N]
    box = x[:, :4]
    xyxy = torch.cat([box[:, :2] - box[:, 2:] / 2, box[:, :2] + box[:, 2:] / 2], 1)
    cls = x[:, 4:4 + n]
    if multi_label:
        i, j = (cls > conf).nonzero(as_tuple=False).T
        d = torch.cat([xyxy[i], cls[i, j, None], j[:, None].float()], 1)
    else:
        c, j = cls.max(1, keepdim=True)
        d = torch.cat([xyxy, c, j.float()], 1)[c.view(-1) > conf]
    if d.shape[0] == 0:
        return d
    d = d[d[:, 4].argsort(descending=True)[:max_nms]]
    boxes = d[:, :4] + d[:, 5:6] * MAX_WH
    keep = torchvision.ops.nms(boxes, d[:, 4], iou)[:max_det]
    return d[keep]


def scale_back(d, gain, pad, shape):
    """Letterboxed pixels -> original pixels, clipped to (h, w)."""
    d = d.clone()
    d[:, [0, 2]] = ((d[:, [0, 2]] - pad[0]) / gain).clamp(0, shape[1])
    d[:, [1, 3]] = ((d[:, [1, 3]] - pad[1]) / gain).clamp(0, shape[0])
    return d


def read_rgb(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


@torch.no_grad()
def run_image(model, img_rgb, txt, imgsz=IMGSZ):
    """-> raw output [4+N, A], gain, (left, top)."""
    lb, r, pad = letterbox(img_rgb, (imgsz, imgsz))
    out = model(to_tensor(lb), txt[None] if txt.dim() == 2 else txt)
    return out[0], r, pad


@torch.no_grad()
def detect(model, img_rgb, txt, conf=0.25, iou=0.7, max_det=300, multi_label=False):
    out, r, pad = run_image(model, img_rgb, txt)
    d = non_max_suppression(out, conf, iou, max_det, multi_label)
    return scale_back(d, r, pad, img_rgb.shape[:2])


# --------------------------------------------------------------------------------------------- COCO eval
IOU_THRS = np.linspace(0.5, 0.95, 10)
REC_THRS = np.linspace(0.0, 1.0, 101)


def _iou_xywh(dt, gt):
    """COCO maskUtils.iou for boxes, no crowd: [D,4] x [G,4] xywh -> [D,G]."""
    if len(dt) == 0 or len(gt) == 0:
        return np.zeros((len(dt), len(gt)))
    dx1, dy1 = dt[:, 0:1], dt[:, 1:2]
    dx2, dy2 = dx1 + dt[:, 2:3], dy1 + dt[:, 3:4]
    gx1, gy1 = gt[:, 0], gt[:, 1]
    gx2, gy2 = gx1 + gt[:, 2], gy1 + gt[:, 3]
    iw = np.clip(np.minimum(dx2, gx2) - np.maximum(dx1, gx1), 0, None)
    ih = np.clip(np.minimum(dy2, gy2) - np.maximum(dy1, gy1), 0, None)
    inter = iw * ih
    ua = dt[:, 2:3] * dt[:, 3:4] + gt[:, 2] * gt[:, 3] - inter
    return inter / ua


def coco_ap_per_class(gt, dets, max_dets=100):
    """gt: COCO dict; dets: list of {image_id, category_id, bbox [x,y,w,h], score}.

    Returns {category_id: ap[10] (one per IoU threshold; -1 where the class has no gt)}.
    Follows COCOeval.evaluateImg / accumulate for iouType bbox, areaRng all, no crowd.
    """
    img_ids = sorted(im["id"] for im in gt["images"])
    cat_ids = sorted(c["id"] for c in gt["categories"])
    gts, dts = {}, {}
    for a in gt["annotations"]:
        gts.setdefault((a["image_id"], a["category_id"]), []).append(a)
    for d in dets:
        dts.setdefault((d["image_id"], d["category_id"]), []).append(d)
    T, R = len(IOU_THRS), len(REC_THRS)
    result = {}
    for c in cat_ids:
        scores_all, matched_all, npig = [], [], 0
        for i in img_ids:
            g = gts.get((i, c), [])
            d = dts.get((i, c), [])
            g = [x for x in g if not x.get("iscrowd", 0)]
            npig += len(g)
            if not d:
                continue
            order = np.argsort([-x["score"] for x in d], kind="mergesort")
            d = [d[k] for k in order[:max_dets]]
            ious = _iou_xywh(np.array([x["bbox"] for x in d], float).reshape(-1, 4),
                             np.array([x["bbox"] for x in g], float).reshape(-1, 4))
            dtm = np.zeros((T, len(d)))
            gtm = np.zeros((T, len(g)))
            for ti, t in enumerate(IOU_THRS):
                for di in range(len(d)):
                    best = min(t, 1 - 1e-10)
                    m = -1
                    for gi in range(len(g)):
                        if gtm[ti, gi] > 0:
                            continue
                        if ious[di, gi] < best:
                            continue
                        best = ious[di, gi]
                        m = gi
                    if m == -1:
                        continue
                    dtm[ti, di] = 1
                    gtm[ti, m] = 1
            scores_all.append(np.array([x["score"] for x in d]))
            matched_all.append(dtm)
        if npig == 0:
            result[c] = -np.ones(T)
            continue
        if not scores_all:
            result[c] = np.zeros(T)
            continue
        scores = np.concatenate(scores_all)
        inds = np.argsort(-scores, kind="mergesort")
        dtm = np.concatenate(matched_all, 1)[:, inds]
        tps = np.cumsum(dtm == 1, axis=1).astype(float)
        fps = np.cumsum(dtm == 0, axis=1).astype(float)
        ap = np.zeros(T)
        for ti in range(T):
            tp, fp = tps[ti], fps[ti]
            rc = tp / npig
            pr = (tp / (fp + tp + np.spacing(1))).tolist()
            for k in range(len(pr) - 1, 0, -1):
                if pr[k] > pr[k - 1]:
                    pr[k - 1] = pr[k]
            q = np.zeros(R)
            ri = np.searchsorted(rc, REC_THRS, side="left")
            for qi, pi in enumerate(ri):
                if pi < len(pr):
                    q[qi] = pr[pi]
            ap[ti] = q.mean()
        result[c] = ap
    return result


def summarize(gt, per_class):
    """-> dict with mAP50 / mAP50_95 over seen, held-out and all classes, plus per-class rows."""
    cats = {c["id"]: c for c in gt["categories"]}
    groups = {"seen": [], "heldout": [], "all": []}
    rows = []
    for cid, ap in per_class.items():
        if ap[0] < 0:
            continue
        h = bool(cats[cid].get("heldout"))
        groups["heldout" if h else "seen"].append(ap)
        groups["all"].append(ap)
        rows.append({"name": cats[cid]["name"], "heldout": h, "ap50": float(ap[0]), "ap50_95": float(ap.mean())})
    res = {}
    for k, v in groups.items():
        if v:
            v = np.array(v)
            res[k] = {"classes": len(v), "mAP50": float(v[:, 0].mean()), "mAP50_95": float(v.mean())}
    res["per_class"] = rows
    return res


# --------------------------------------------------------------------------------------------- eval set
def make_eval_set(n=240, out_dir=DETECTION_EVAL_DIR, quality=95, log=print, seed_base=EVAL_SEED_BASE):
    """Scene i is world.render_scene(seed_base + i, "eval"); the committed set uses EVAL_SEED_BASE."""
    import world
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    names = world.class_names(include_heldout=True)
    held = {f"{c} {s}" for c, s in world.HELDOUT}
    cats = [{"id": i + 1, "name": nm, "heldout": nm in held} for i, nm in enumerate(names)]
    cid = {c["name"]: c["id"] for c in cats}
    images, anns = [], []
    for i in range(n):
        seed = seed_base + i
        img, objs = world.render_scene(seed, "eval")
        fn = f"{i:04d}.jpg"
        cv2.imwrite(os.path.join(out_dir, "images", fn), cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, quality])
        h, w = img.shape[:2]
        images.append({"id": i + 1, "file_name": f"images/{fn}", "width": w, "height": h, "seed": seed})
        for o in objs:
            x1, y1, x2, y2 = [float(v) for v in o["box"]]
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": cid[o["caption"]],
                         "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0})
    gt = {"info": {"description": "ShapesWorld detection eval set",
                   "generator": "world.render_scene(seed, 'eval'), seeds from %d" % seed_base},
          "images": images, "annotations": anns, "categories": cats}
    with open(os.path.join(out_dir, "annotations.json"), "w") as f:
        json.dump(gt, f, indent=1)
    log(f"eval set: {n} images, {len(anns)} boxes -> {out_dir}")
    return gt


# --------------------------------------------------------------------------------------------- driver
@torch.no_grad()
def evaluate(model_path=None, eval_dir=DETECTION_EVAL_DIR, limit=None, conf=0.001, multi_label=False, log=print,
             txt=None, prompts=None):
    torch.set_num_threads(threads())
    model_path = model_path or DETECTOR_PT
    model, _ = load_detector(model_path)
    with open(os.path.join(eval_dir, "annotations.json")) as f:
        gt = json.load(f)
    if limit:
        keep = {im["id"] for im in gt["images"][:limit]}
        gt = dict(gt, images=gt["images"][:limit],
                  annotations=[a for a in gt["annotations"] if a["image_id"] in keep])
    cats = sorted(gt["categories"], key=lambda c: c["id"])
    prompts = [c["name"] for c in cats]
    if txt is None:
        txt = encode_prompts(prompts)
    dets = []
    t0 = time.time()
    for im in gt["images"]:
        img = read_rgb(os.path.join(eval_dir, im["file_name"]))
        d = detect(model, img, txt, conf=conf, iou=0.7, max_det=300, multi_label=multi_label)
        for x1, y1, x2, y2, s, c in d.tolist():
            dets.append({"image_id": im["id"], "category_id": cats[int(c)]["id"],
                         "bbox": [x1, y1, x2 - x1, y2 - y1], "score": s})
    t_inf = time.time() - t0
    res = summarize(gt, coco_ap_per_class(gt, dets))
    res["images"] = len(gt["images"])
    res["seconds"] = round(t_inf, 1)
    s, h = res.get("seen", {}), res.get("heldout", {})
    log(f"eval ({len(gt['images'])} images, {t_inf:.0f}s): seen mAP50 {s.get('mAP50', 0):.3f} "
        f"mAP50-95 {s.get('mAP50_95', 0):.3f} | held-out mAP50 {h.get('mAP50', 0):.3f} "
        f"mAP50-95 {h.get('mAP50_95', 0):.3f}")
    return res


def quick_eval(model_path, limit=80):
    return evaluate(model_path, limit=limit)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--eval-dir", default=DETECTION_EVAL_DIR)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--multi-label", action="store_true")
    ap.add_argument("--per-class", action="store_true")
    ap.add_argument("--json", default=None, help="write the results here")
    a = ap.parse_args(argv)
    res = evaluate(a.model, a.eval_dir, a.limit, multi_label=a.multi_label)
    if a.per_class:
        for r in sorted(res["per_class"], key=lambda r: r["ap50"]):
            print(f"  {r['name']:24s} {'H' if r['heldout'] else ' '} AP50 {r['ap50']:.3f} AP50-95 {r['ap50_95']:.3f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
