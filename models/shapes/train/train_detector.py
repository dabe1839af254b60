"""Train the ShapesWorld open-vocabulary detector.

    /usr/bin/python3 models/shapes/train/train_detector.py [--scenes 12000] [--steps 4000] [--batch 16]

Scenes come from world.render_scene(seed, "train") (held-out colour-shape pairs never appear), are letterboxed
exactly like ultralytics LetterBox to 320x320 and cached under .cache/. The classes of every batch are all the
training captions; their text embeddings come once from the frozen CLIP text encoder (.cache/clip.pt).
Assignment: task-aligned assigner (YOLOv8 style: alignment = score^0.5 * IoU^6, top-10 anchors whose centre
lies inside the box); losses: BCE on the soft alignment targets + CIoU, weighted by the targets.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from multiprocessing import Pool

import numpy as np
import torch
import torch.nn.functional as F

from clip_model import encode_prompts
from detector_model import IMGSZ, Detector, letterbox
from paths import CACHE, DETECTOR_PT, threads

TRAIN_SEED_BASE = 0  # training scenes use seeds 0..n-1 with split "train"


# --------------------------------------------------------------------------------------------- text
# --------------------------------------------------------------------------------------------- data
def _render_one(args):
    seed, split, imgsz = args
    import world
    img, objs = world.render_scene(seed, split)
    lb, r, (left, top) = letterbox(img, (imgsz, imgsz))
    boxes = []
    for o in objs:
        x1, y1, x2, y2 = o["box"]
        boxes.append([x1 * r + left, y1 * r + top, x2 * r + left, y2 * r + top])
    return lb, [o["caption"] for o in objs], boxes


def build_cache(n, imgsz=IMGSZ, workers=2, log=print):
    """Render n training scenes, letterboxed; returns (images uint8 memmap [n,H,W,3], labels list)."""
    os.makedirs(CACHE, exist_ok=True)
    ipath = os.path.join(CACHE, f"det_train_{n}_{imgsz}.u8")
    lpath = os.path.join(CACHE, f"det_train_{n}_{imgsz}.json")
    if os.path.exists(ipath) and os.path.exists(lpath):
        imgs = np.memmap(ipath, dtype=np.uint8, mode="r", shape=(n, imgsz, imgsz, 3))
        with open(lpath) as f:
            return imgs, json.load(f)
    t0 = time.time()
    imgs = np.memmap(ipath + ".tmp", dtype=np.uint8, mode="w+", shape=(n, imgsz, imgsz, 3))
    labels = []
    jobs = [(TRAIN_SEED_BASE + i, "train", imgsz) for i in range(n)]
    with Pool(workers) as pool:
        for i, (lb, caps, boxes) in enumerate(pool.imap(_render_one, jobs, chunksize=64)):
            imgs[i] = lb
            labels.append({"captions": caps, "boxes": boxes})
            if (i + 1) % 2000 == 0:
                log(f"  rendered {i + 1}/{n} scenes ({time.time() - t0:.0f}s)")
    imgs.flush()
    del imgs
    os.replace(ipath + ".tmp", ipath)
    with open(lpath, "w") as f:
        json.dump(labels, f)
    log(f"cache: {n} scenes in {time.time() - t0:.0f}s")
    return np.memmap(ipath, dtype=np.uint8, mode="r", shape=(n, imgsz, imgsz, 3)), labels


# --------------------------------------------------------------------------------------------- boxes
def box_iou_pair(b1, b2, eps=1e-7):
    """Elementwise IoU of xyxy boxes (broadcast)."""
    iw = (torch.minimum(b1[..., 2], b2[..., 2]) - torch.maximum(b1[..., 0], b2[..., 0])).clamp(0)
    ih = (torch.minimum(b1[..., 3], b2[..., 3]) - torch.maximum(b1[..., 1], b2[..., 1])).clamp(0)
    inter = iw * ih
    a1 = (b1[..., 2] - b1[..., 0]) * (b1[..., 3] - b1[..., 1])
    a2 = (b2[..., 2] - b2[..., 0]) * (b2[..., 3] - b2[..., 1])
    return inter / (a1 + a2 - inter + eps)


def ciou(b1, b2, eps=1e-7):
    """Complete IoU of xyxy boxes (broadcast)."""
    w1, h1 = b1[..., 2] - b1[..., 0], (b1[..., 3] - b1[..., 1]).clamp(min=eps)
    w2, h2 = b2[..., 2] - b2[..., 0], (b2[..., 3] - b2[..., 1]).clamp(min=eps)
    iou = box_iou_pair(b1, b2, eps)
    cw = torch.maximum(b1[..., 2], b2[..., 2]) - torch.minimum(b1[..., 0], b2[..., 0])
    ch = torch.maximum(b1[..., 3], b2[..., 3]) - torch.minimum(b1[..., 1], b2[..., 1])
    c2 = cw ** 2 + ch ** 2 + eps
    rho2 = ((b2[..., 0] + b2[..., 2] - b1[..., 0] - b1[..., 2]) ** 2 +
            (b2[..., 1] + b2[..., 3] - b1[..., 1] - b1[..., 3]) ** 2) / 4
    v = (4 / math.pi ** 2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


# --------------------------------------------------------------------------------------------- assigner
@torch.no_grad()
def task_aligned_assign(pd_scores, pd_boxes, anchors, gt_labels, gt_boxes, mask_gt,
                        topk=10, alpha=0.5, beta=6.0, eps=1e-9):
    """Simplified YOLOv8 TaskAlignedAssigner.

    pd_scores [B,A,C] (sigmoid), pd_boxes [B,A,4] xyxy, anchors [A,2], gt_labels [B,M] long, gt_boxes [B,M,4],
    mask_gt [B,M] bool -> target_boxes [B,A,4], target_scores [B,A,C], fg_mask [B,A] bool.
    """
    B, A, C = pd_scores.shape
    M = gt_boxes.shape[1]
    if M == 0:
        return (torch.zeros_like(pd_boxes), torch.zeros_like(pd_scores),
                torch.zeros(B, A, dtype=torch.bool))
    # anchor centre inside gt
    lt = anchors[None, None] - gt_boxes[:, :, None, :2]
    rb = gt_boxes[:, :, None, 2:] - anchors[None, None]
    in_gts = torch.cat([lt, rb], -1).amin(-1) > eps                     # [B,M,A]
    valid = in_gts & mask_gt[:, :, None]
    # alignment metric
    idx = gt_labels.clamp(min=0)[:, :, None].expand(B, M, A)            # [B,M,A]
    scores = pd_scores.permute(0, 2, 1).gather(1, idx)                  # [B,M,A]
    overlaps = ciou(gt_boxes[:, :, None, :], pd_boxes[:, None, :, :]).clamp(0)  # [B,M,A]
    scores = scores * valid
    overlaps = overlaps * valid
    metric = scores.pow(alpha) * overlaps.pow(beta)
    # top-k candidates per gt (among valid anchors)
    k = min(topk, A)
    top_idx = metric.topk(k, dim=-1).indices                            # [B,M,k]
    topk_mask = torch.zeros_like(valid)
    topk_mask.scatter_(-1, top_idx, True)
    mask_pos = topk_mask & valid
    # an anchor claimed by several gts goes to the gt it overlaps most
    fg = mask_pos.sum(1)                                                # [B,A]
    if (fg > 1).any():
        multi = (fg > 1)[:, None, :].expand(B, M, A)
        best = overlaps.argmax(1)                                       # [B,A]
        is_best = F.one_hot(best, M).permute(0, 2, 1).bool()           # [B,M,A]
        mask_pos = torch.where(multi, is_best & valid, mask_pos)
    fg_mask = mask_pos.any(1)                                           # [B,A]
    tgt_gt = mask_pos.float().argmax(1)                                 # [B,A]
    bidx = torch.arange(B)[:, None]
    target_boxes = gt_boxes[bidx, tgt_gt]                               # [B,A,4]
    target_labels = gt_labels[bidx, tgt_gt].clamp(min=0)                # [B,A]
    target_scores = F.one_hot(target_labels, C).float() * fg_mask[..., None]
    # normalise alignment: per gt, max metric -> max IoU
    metric = metric * mask_pos
    pos_align = metric.amax(-1, keepdim=True)                           # [B,M,1]
    pos_ovl = (overlaps * mask_pos).amax(-1, keepdim=True)
    norm = (metric * pos_ovl / (pos_align + eps)).amax(1)               # [B,A]
    target_scores = target_scores * norm[..., None]
    return target_boxes, target_scores, fg_mask


# --------------------------------------------------------------------------------------------- loss
class DetLoss:
    """attr_map [C, K] (optional): for each class, the extra attribute prompts it is a positive of
    (its colour word and its shape word); their logits follow the class columns."""

    def __init__(self, model: Detector, w_box=7.5, w_cls=1.0, attr_map=None, w_attr=0.0):
        self.m = model
        self.w_box, self.w_cls = w_box, w_cls
        self.attr_map, self.w_attr = attr_map, w_attr

    def __call__(self, dist, logits, gt_labels, gt_boxes, mask_gt):
        anchors = self.m.anchors
        a = anchors.t()[None]                                           # [1,2,A]
        pd_boxes = torch.cat([a - dist[:, :2], a + dist[:, 2:]], 1).permute(0, 2, 1)  # [B,A,4] xyxy
        pd_logits = logits.permute(0, 2, 1)                             # [B,A,C(+K)]
        attr_logits = None
        if self.attr_map is not None:
            C = self.attr_map.shape[0]
            pd_logits, attr_logits = pd_logits[..., :C], pd_logits[..., C:]
        tb, ts, fg = task_aligned_assign(pd_logits.detach().sigmoid(), pd_boxes.detach(), anchors,
                                         gt_labels, gt_boxes, mask_gt)
        ts_sum = ts.sum().clamp(min=1)
        l_cls = F.binary_cross_entropy_with_logits(pd_logits, ts, reduction="sum") / ts_sum
        if attr_logits is not None:
            ta = ts @ self.attr_map                                     # soft targets for colour/shape words
            l_cls = l_cls + self.w_attr * F.binary_cross_entropy_with_logits(
                attr_logits, ta, reduction="sum") / ts_sum
        if fg.any():
            w = ts.sum(-1)[fg]
            iou = ciou(pd_boxes[fg], tb[fg])
            l_box = ((1 - iou) * w).sum() / ts_sum
        else:
            l_box = pd_boxes.sum() * 0
        return self.w_box * l_box + self.w_cls * l_cls, l_box.detach(), l_cls.detach()


# --------------------------------------------------------------------------------------------- EMA
class EMA:
    def __init__(self, model, decay=0.9995, tau=300):
        import copy
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.decay, self.tau, self.updates = decay, tau, 0

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.ema.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


# --------------------------------------------------------------------------------------------- batches
def make_batch(imgs, labels, idx, cls_index, rng, flip=True):
    B = len(idx)
    H, W = imgs.shape[1:3]
    x = np.empty((B, H, W, 3), np.uint8)
    M = max(1, max(len(labels[i]["captions"]) for i in idx))
    gl = torch.full((B, M), -1, dtype=torch.long)
    gb = torch.zeros((B, M, 4))
    for j, i in enumerate(idx):
        im = imgs[i]
        bx = np.array(labels[i]["boxes"], np.float32).reshape(-1, 4)
        if flip and rng.random() < 0.5:
            im = im[:, ::-1]
            bx = np.stack([W - bx[:, 2], bx[:, 1], W - bx[:, 0], bx[:, 3]], 1) if len(bx) else bx
        x[j] = im
        for k, c in enumerate(labels[i]["captions"]):
            gl[j, k] = cls_index[c]
            gb[j, k] = torch.from_numpy(bx[k])
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255)
    return xt, gl, gb, gl >= 0


def param_groups(model, wd):
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def train(scenes=12000, steps=4000, batch=16, lr=2e-3, seed=0, imgsz=IMGSZ, out=None, flip=True,
          log=print, clip_path=None, eval_every=0, eval_fn=None, width=None, head_width=64, attr_weight=0.0):
    import world
    torch.manual_seed(seed)
    np.random.seed(seed)
    rng = np.random.default_rng(seed)
    torch.set_num_threads(threads())
    out = out or DETECTOR_PT
    train_classes = world.class_names(include_heldout=False)
    cls_index = {c: i for i, c in enumerate(train_classes)}
    txt = encode_prompts(train_classes, clip_path)                     # [C,D]
    D = txt.shape[1]
    log(f"train classes: {len(train_classes)}, D={D}")
    imgs, labels = build_cache(scenes, imgsz, log=log)
    kw = {} if width is None else {"width": tuple(width)}
    model = Detector(D, imgsz=imgsz, head_width=head_width, **kw)
    model.train()
    attr_map = None
    if attr_weight > 0:
        attrs = list(world.COLOURS) + list(world.SHAPES)
        attr_map = torch.zeros(len(train_classes), len(attrs))
        for i, c in enumerate(train_classes):
            col, shp = c.split(" ")
            attr_map[i, attrs.index(col)] = 1
            attr_map[i, attrs.index(shp)] = 1
        txt = torch.cat([txt, encode_prompts(attrs, clip_path)])
        log(f"attribute prompts: {len(attrs)} (weight {attr_weight})")
    crit = DetLoss(model, attr_map=attr_map, w_attr=attr_weight)
    opt = torch.optim.AdamW(param_groups(model, 5e-4), lr=lr, betas=(0.9, 0.999))
    warm = min(300, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else
        0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm))))
    ema = EMA(model)
    txt_b = txt[None].expand(batch, -1, -1)
    perm = rng.permutation(scenes)
    pos = 0
    t0 = time.time()
    run = {"loss": 0.0, "box": 0.0, "cls": 0.0, "n": 0}
    for step in range(steps):
        if pos + batch > scenes:
            perm, pos = rng.permutation(scenes), 0
        idx = perm[pos:pos + batch]
        pos += batch
        x, gl, gb, mg = make_batch(imgs, labels, idx, cls_index, rng, flip=flip)
        dist, logits = model.forward_raw(x, txt_b)
        loss, lb, lc = crit(dist, logits, gl, gb, mg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        sched.step()
        ema.update(model)
        run["loss"] += loss.item(); run["box"] += lb.item(); run["cls"] += lc.item(); run["n"] += 1
        if (step + 1) % 50 == 0 or step == steps - 1:
            n = run["n"]
            log(f"step {step + 1}/{steps} loss {run['loss'] / n:.4f} box {run['box'] / n:.4f} "
                f"cls {run['cls'] / n:.4f} lr {sched.get_last_lr()[0]:.2e} {time.time() - t0:.0f}s")
            run = {"loss": 0.0, "box": 0.0, "cls": 0.0, "n": 0}
        if eval_every and eval_fn and (step + 1) % eval_every == 0 and step != steps - 1:
            save(ema.ema, out, train_classes, steps=step + 1, seconds=time.time() - t0)
            eval_fn(out)
    secs = time.time() - t0
    save(ema.ema, out, train_classes, steps=steps, seconds=secs, scenes=scenes, batch=batch, seed=seed)
    log(f"trained {steps} steps in {secs:.0f}s -> {out}")
    return out


def save(model, out, train_classes, **info):
    torch.save({"model": model.state_dict(), "config": model.config, "train_classes": train_classes,
                "info": info}, out)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenes", type=int, default=12000)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-flip", action="store_true")
    ap.add_argument("--eval-every", type=int, default=0)
    ap.add_argument("--attr-weight", type=float, default=0.0)
    a = ap.parse_args(argv)
    eval_fn = None
    if a.eval_every:
        import evaluate
        eval_fn = lambda p: evaluate.quick_eval(p)  # noqa: E731
    train(a.scenes, a.steps, a.batch, a.lr, a.seed, out=a.out, flip=not a.no_flip,
          eval_every=a.eval_every, eval_fn=eval_fn, attr_weight=a.attr_weight)


if __name__ == "__main__":
    main()
