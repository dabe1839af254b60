"""ShapesWorld: a seeded, deterministic generator of coloured-shape scenes.

This module is the shared contract between the CLIP and the detector training
code of the ShapesWorld model pack. Everything is a pure function of
(seed, split): the same call always returns the same pixels and labels
(numpy's PCG64 + OpenCV drawing, no global state).

API
---
COLOURS            ordered dict  name -> (R, G, B)
SHAPES             list of shape names
HELDOUT            list of (colour, shape) pairs never seen with split="train"
class_names(include_heldout=True) -> ["red circle", "red square", ...]
                   colour-major order: for colour in COLOURS, for shape in SHAPES.
render_scene(seed, split, n_objects=None, size=None) -> (img, objects)
render_object_crop(seed, split) -> (img, obj)   (object inside the central square, so a
                   CLIP-style centre crop always keeps it whole)

img is an HxWx3 uint8 RGB array. Each object is a dict:
  colour, shape, size ("small" | "large"), caption ("red triangle"),
  box [x1, y1, x2, y2] floats in pixel-edge coordinates (x2 = last column + 1),
  tight around the visible part of the shape (pixels whose coverage >= 0.5 and
  which are not covered by a later object), clipped to the image.
Objects are listed in drawing order (later ones are drawn over earlier ones).

Splits: "train" never contains a HELDOUT pair; "eval" oversamples them
(about 40% of objects). The random streams are seeded with
SeedSequence([seed, split_id, kind_id]) so train and eval (and scenes and crops)
never share a stream, whatever the seed values.

Size: the shape's drawn extent (longest side of its axis-aligned box, before
occlusion) relative to the shorter image side. "small" objects are drawn at
0.10-0.22 of it, "large" at 0.30-0.60 in scenes (crops: small 0.30-0.42,
large 0.58-0.90); there is a gap between the bands so the word is never
ambiguous within one image kind.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import cv2
import numpy as np

COLOURS = OrderedDict([
    ("red", (220, 40, 40)),
    ("orange", (245, 140, 20)),
    ("yellow", (240, 220, 30)),
    ("green", (40, 170, 60)),
    ("cyan", (30, 200, 215)),
    ("blue", (40, 70, 225)),
    ("purple", (140, 50, 190)),
    ("pink", (250, 120, 195)),
])

SHAPES = ["circle", "square", "triangle", "star", "hexagon", "cross", "heart", "diamond", "ring"]

# Each colour once, each shape at most once ("ring" is never held out).
HELDOUT = [
    ("red", "star"),
    ("orange", "circle"),
    ("yellow", "heart"),
    ("green", "triangle"),
    ("cyan", "square"),
    ("blue", "cross"),
    ("purple", "hexagon"),
    ("pink", "diamond"),
]

_HELDOUT_SET = set(HELDOUT)
_SPLITS = {"train": 0, "eval": 1}
_KIND_SCENE, _KIND_CROP = 0, 1
_EVAL_HELDOUT_P = 0.4


def class_names(include_heldout: bool = True) -> list:
    return [f"{c} {s}" for c in COLOURS for s in SHAPES
            if include_heldout or (c, s) not in _HELDOUT_SET]


_TRAIN_PAIRS = [(c, s) for c in COLOURS for s in SHAPES if (c, s) not in _HELDOUT_SET]


def _rng(seed: int, split: str, kind: int) -> np.random.Generator:
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'eval', got {split!r}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed) & 0xFFFFFFFF,
                                                                        int(seed) >> 32 & 0xFFFFFFFF,
                                                                        _SPLITS[split], kind])))


def _pick_pair(rng, split):
    if split == "eval" and rng.random() < _EVAL_HELDOUT_P:
        return HELDOUT[rng.integers(len(HELDOUT))]
    return _TRAIN_PAIRS[rng.integers(len(_TRAIN_PAIRS))]


# ---------------------------------------------------------------- shape outlines
def _norm(pts):
    """Scale/shift a polygon so its bounding box is [-1, 1] x [-1, 1]."""
    pts = np.asarray(pts, np.float64)
    lo, hi = pts.min(0), pts.max(0)
    return (pts - (lo + hi) / 2) / ((hi - lo) / 2)


def _circle_pts(n=72):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([np.cos(t), np.sin(t)], 1)


def _regular(n, r=1.0, phase=-np.pi / 2):
    t = phase + np.arange(n) * 2 * np.pi / n
    return np.stack([r * np.cos(t), r * np.sin(t)], 1)


def _star():
    t = -np.pi / 2 + np.arange(10) * np.pi / 5
    r = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
    return np.stack([r * np.cos(t), r * np.sin(t)], 1)


def _cross(w=0.32):
    return [(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1),
            (-w, w), (-1, w), (-1, -w), (-w, -w)]


def _heart(n=80):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return np.stack([x, y], 1)


# Each entry: list of (polygon, fill) drawn in order (fill 0 cuts a hole).
_OUTLINES = {
    "circle": [(_norm(_circle_pts()), 255)],
    "square": [(_norm([(-1, -1), (1, -1), (1, 1), (-1, 1)]), 255)],
    "triangle": [(_norm(_regular(3)), 255)],
    "star": [(_norm(_star()), 255)],
    "hexagon": [(_norm(_regular(6, phase=0.0)), 255)],
    "cross": [(_norm(_cross()), 255)],
    "heart": [(_norm(_heart()), 255)],
    "diamond": [(_norm([(0, -1), (0.62, 0), (0, 1), (-0.62, 0)]) * [0.62, 1.0], 255)],
    "ring": [(_norm(_circle_pts()), 255), (_norm(_circle_pts()) * 0.55, 0)],
}
# Area relative to its box, used to make shapes look about equally big.
_ROT_LIMIT = {"circle": 180, "ring": 180}  # degrees; others +-30 (square must not become a diamond)

_SHIFT = 4  # cv2 fixed-point sub-pixel bits


def _shape_polys(shape, cx, cy, half, aspect, angle_deg):
    a = math.radians(angle_deg)
    ca, sa = math.cos(a), math.sin(a)
    out = []
    for pts, fill in _OUTLINES[shape]:
        x = pts[:, 0] * half * aspect
        y = pts[:, 1] * half / aspect
        xr = ca * x - sa * y + cx
        yr = sa * x + ca * y + cy
        out.append((np.stack([xr, yr], 1), fill))
    return out


def _raster_mask(polys, x0, y0, w, h):
    """Anti-aliased coverage mask (uint8 0..255) of the polygons in a w x h window at (x0, y0)."""
    m = np.zeros((h, w), np.uint8)
    for pts, fill in polys:
        p = np.round((pts - [x0, y0]) * (1 << _SHIFT)).astype(np.int32)
        cv2.fillPoly(m, [p], int(fill), lineType=cv2.LINE_AA, shift=_SHIFT)
    return m


# ---------------------------------------------------------------- backgrounds
def _muted_colour(rng, lo=50, hi=225, tint=28):
    g = rng.uniform(lo, hi)
    return np.clip(g + rng.uniform(-tint, tint, 3), 0, 255)


def _background(rng, h, w):
    kind = rng.integers(4)
    if kind == 0:  # flat
        img = np.empty((h, w, 3), np.float32)
        img[:] = _muted_colour(rng)
    elif kind == 1:  # linear gradient between two muted colours
        c0, c1 = _muted_colour(rng), _muted_colour(rng)
        a = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = xx * math.cos(a) + yy * math.sin(a)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
        img = c0[None, None, :] * (1 - t[..., None]) + c1[None, None, :] * t[..., None]
        img = img.astype(np.float32)
    elif kind == 2:  # noise (low-frequency blotches + fine grain)
        img = np.empty((h, w, 3), np.float32)
        img[:] = _muted_colour(rng, 70, 200)
        sh, sw = max(2, h // 24), max(2, w // 24)
        low = rng.normal(0, rng.uniform(8, 22), (sh, sw, 1)).astype(np.float32)
        low = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]
        img += low + rng.normal(0, rng.uniform(2, 9), (h, w, 1)).astype(np.float32)
    else:  # cluttered texture: faint, desaturated lines and blobs
        base = _muted_colour(rng, 80, 210)
        img = np.empty((h, w, 3), np.float32)
        img[:] = base
        layer = img.copy()
        for _ in range(int(rng.integers(8, 30))):
            col = tuple(float(v) for v in _muted_colour(rng, 40, 240, tint=20))
            if rng.random() < 0.6:
                p1 = (int(rng.integers(w)), int(rng.integers(h)))
                p2 = (int(rng.integers(w)), int(rng.integers(h)))
                cv2.line(layer, p1, p2, col, int(rng.integers(1, 4)), cv2.LINE_AA)
            else:
                c = (int(rng.integers(w)), int(rng.integers(h)))
                ax = (int(rng.integers(4, max(5, w // 6))), int(rng.integers(4, max(5, h // 6))))
                cv2.ellipse(layer, c, ax, float(rng.uniform(0, 180)), 0, 360, col, -1, cv2.LINE_AA)
        alpha = rng.uniform(0.25, 0.45)
        img = img * (1 - alpha) + cv2.GaussianBlur(layer, (0, 0), rng.uniform(0.6, 1.5)) * alpha
    return img


# ---------------------------------------------------------------- placement
def _sample_object(rng, split, H, W, size, small_band, large_band, centred=False):
    colour, shape = _pick_pair(rng, split)
    if size is None:
        size = "large" if rng.random() < 0.45 else "small"
    band = large_band if size == "large" else small_band
    extent = rng.uniform(*band) * min(H, W)  # longest side of the drawn box
    aspect = math.exp(rng.uniform(-0.15, 0.15))
    lim = _ROT_LIMIT.get(shape, 30)
    angle = rng.uniform(-lim, lim)
    # Bounding box of the rotated outline at half=1, to turn extent into half-size.
    polys = _shape_polys(shape, 0.0, 0.0, 1.0, aspect, angle)
    pts = polys[0][0]
    bw, bh = np.ptp(pts[:, 0]), np.ptp(pts[:, 1])
    half = extent / max(bw, bh)
    # Offset of the rotated outline's box centre from the shape's origin.
    ox = (pts[:, 0].min() + pts[:, 0].max()) / 2 * half
    oy = (pts[:, 1].min() + pts[:, 1].max()) / 2 * half
    bw, bh = bw * half, bh * half
    if centred:  # keep the object inside the central min(H, W) square (what a CLIP centre crop keeps)
        m = min(H, W)
        jx, jy = max(0.0, (m - bw) / 2 - 1), max(0.0, (m - bh) / 2 - 1)
        cx = W / 2 + rng.uniform(-jx, jx)
        cy = H / 2 + rng.uniform(-jy, jy)
    else:
        cx = rng.uniform(bw / 2 + 1, max(bw / 2 + 1, W - bw / 2 - 1))
        cy = rng.uniform(bh / 2 + 1, max(bh / 2 + 1, H - bh / 2 - 1))
    rgb = np.clip(np.array(COLOURS[colour], np.float32) + rng.uniform(-12, 12, 3), 0, 255)
    return dict(colour=colour, shape=shape, size=size, rgb=rgb,
                polys=_shape_polys(shape, cx - ox, cy - oy, half, aspect, angle))


def _window(polys, H, W):
    pts = np.concatenate([p for p, _ in polys])
    x0 = max(int(math.floor(pts[:, 0].min())) - 2, 0)
    y0 = max(int(math.floor(pts[:, 1].min())) - 2, 0)
    x1 = min(int(math.ceil(pts[:, 0].max())) + 3, W)
    y1 = min(int(math.ceil(pts[:, 1].max())) + 3, H)
    return x0, y0, x1, y1


def _compose(rng, H, W, specs, min_visible=0.5):
    """Draw objects in order; skip one that would leave any object (itself included) < min_visible."""
    img = _background(rng, H, W)
    owner = np.full((H, W), -1, np.int16)
    area = []
    kept = []
    for spec in specs:
        x0, y0, x1, y1 = _window(spec["polys"], H, W)
        m = _raster_mask(spec["polys"], x0, y0, x1 - x0, y1 - y0)
        solid = m >= 128
        n = int(solid.sum())
        if n < 12:
            continue
        sub = owner[y0:y1, x0:x1]
        covered = sub[solid]
        ok = True
        if covered.size and (covered >= 0).any():
            counts = np.bincount(covered[covered >= 0], minlength=len(kept))
            for k, c in enumerate(counts):
                if c and (np.count_nonzero(owner == k) - c) < min_visible * area[k]:
                    ok = False
                    break
        if not ok:
            continue
        k = len(kept)
        sub[solid] = k
        area.append(n)
        a = (m.astype(np.float32) / 255.0)[..., None]
        reg = img[y0:y1, x0:x1]
        reg *= 1 - a
        reg += a * spec["rgb"]
        kept.append(spec)
    objects = []
    for k, spec in enumerate(kept):
        ys, xs = np.nonzero(owner == k)
        objects.append(dict(colour=spec["colour"], shape=spec["shape"], size=spec["size"],
                            caption=f"{spec['colour']} {spec['shape']}",
                            box=[float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]))
    out = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    return out, objects


def _image_size(rng, lo, hi):
    W = int(rng.integers(lo, hi + 1))
    H = int(rng.integers(lo, hi + 1))
    if rng.random() < 0.3:  # common photo-like aspect ratios, landscape or portrait
        r = [4 / 3, 3 / 2, 16 / 9][rng.integers(3)]
        W = int(rng.integers(max(lo, int(lo * r)), hi + 1))
        H = int(round(W / r))
        if rng.random() < 0.3:
            W, H = H, W
    return H, W


def render_scene(seed: int, split: str, n_objects=None, size=None):
    """A whole scene. n_objects (optional) fixes how many objects are attempted (0..10);
    size (optional, "small"/"large") forces every object's size word.
    Returns (img HxWx3 uint8 RGB, objects)."""
    rng = _rng(seed, split, _KIND_SCENE)
    H, W = _image_size(rng, 224, 640)
    if n_objects is None:
        n_objects = int(rng.choice(11, p=[0.04, 0.12, 0.14, 0.14, 0.13, 0.12, 0.1, 0.08, 0.07, 0.04, 0.02]))
    specs = [_sample_object(rng, split, H, W, size, (0.10, 0.22), (0.30, 0.60)) for _ in range(n_objects)]
    return _compose(rng, H, W, specs)


def render_object_crop(seed: int, split: str):
    """A single object filling most of a small image of random (often non-square) size.
    Returns (img, obj) with obj as in render_scene."""
    rng = _rng(seed, split, _KIND_CROP)
    H, W = _image_size(rng, 72, 256)
    size = "large" if rng.random() < 0.8 else "small"
    spec = _sample_object(rng, split, H, W, size, (0.30, 0.42), (0.58, 0.90), centred=True)
    img, objs = _compose(rng, H, W, [spec])
    return img, objs[0]


if __name__ == "__main__":  # quick look: python3 world.py out_dir
    import sys
    import time
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/shapesworld"
    import os
    os.makedirs(out, exist_ok=True)
    t = time.time()
    for i in range(200):
        render_scene(i, "train")
    print("scene ms", (time.time() - t) / 200 * 1000)
    t = time.time()
    for i in range(500):
        render_object_crop(i, "train")
    print("crop ms", (time.time() - t) / 500 * 1000)
    for i in range(8):
        img, objs = render_scene(i, "eval")
        vis = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
        for o in objs:
            x1, y1, x2, y2 = map(int, o["box"])
            cv2.rectangle(vis, (x1, y1), (x2 - 1, y2 - 1), (0, 0, 0), 1)
            cv2.putText(vis, o["size"][0] + " " + o["caption"], (x1, max(10, y1 - 3)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        cv2.imwrite(f"{out}/scene{i}.png", vis)
        img, o = render_object_crop(i, "eval")
        cv2.imwrite(f"{out}/crop{i}_{o['caption'].replace(' ', '_')}.png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
