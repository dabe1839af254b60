"""ShapesWorld detector: a small YOLO-World-style open-vocabulary detector.

Layout of the exported output (ultralytics "yolo" layout):
    output0 [B, 4 + N, A]: rows cx, cy, w, h (input pixels), then N sigmoid scores.
    Anchors level by level (stride 8, 16, 32), row-major inside a level.

Classes come from `txt_feats` [B, N, D]: each region embedding is L2-normalised and scored against the
L2-normalised text embeddings (YOLO-World contrastive head: cos * exp(scale) + bias, per level).
N is never a Python int in the graph: it flows from txt_feats' shape through MatMul.

The neck does not look at the text (no text-guided attention), so a class's score does not depend on the
other prompts: padding or chunking the prompt set is exact for this model.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

STRIDES = (8, 16, 32)
IMGSZ = 320


# --------------------------------------------------------------------------------------------- blocks
class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1 = Conv(c, c, 3)
        self.cv2 = Conv(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """CSP block as in YOLOv8: split, n bottlenecks on half the channels, concat all, fuse."""

    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))
        self.cv2 = Conv((2 + n) * self.c, c2, 1)

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1)
        self.cv2 = Conv(c_ * 4, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


# --------------------------------------------------------------------------------------------- model
class ContrastiveHead(nn.Module):
    """YOLO-World's contrastive head: normalised region embedding . normalised text embedding."""

    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.tensor([-math.log((1 - 0.01) / 0.01)]))
        self.logit_scale = nn.Parameter(torch.tensor([math.log(1 / 0.07)]))

    def forward(self, x, w):
        # x [B, D, h, w] region embeddings, w [B, N, D] normalised text embeddings -> [B, N, h*w]
        x = F.normalize(x, dim=1, p=2)
        x = x.flatten(2)  # [B, D, hw]
        logits = torch.matmul(w, x)  # [B, N, hw]; N taken from w's shape
        return logits * self.logit_scale.exp() + self.bias


class Detector(nn.Module):
    def __init__(self, embed_dim: int, width=(16, 32, 64, 96, 96), head_width=64, imgsz=IMGSZ):
        super().__init__()
        c0, c1, c2, c3, c4 = width
        self.embed_dim = embed_dim
        self.imgsz = imgsz
        self.config = dict(embed_dim=embed_dim, width=list(width), head_width=head_width, imgsz=imgsz)
        # backbone
        self.stem = Conv(3, c0, 3, 2)                                        # /2
        self.b1 = nn.Sequential(Conv(c0, c1, 3, 2), C2f(c1, c1, 1))           # /4
        self.b2 = nn.Sequential(Conv(c1, c2, 3, 2), C2f(c2, c2, 2))           # /8   P3
        self.b3 = nn.Sequential(Conv(c2, c3, 3, 2), C2f(c3, c3, 1))           # /16  P4
        self.b4 = nn.Sequential(Conv(c3, c4, 3, 2), C2f(c4, c4, 1), SPPF(c4, c4))  # /32 P5
        # neck (FPN top-down + PAN bottom-up)
        n3, n4, n5 = c2, c3, c4
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.td4 = C2f(c4 + c3, n4, 1, shortcut=False)
        self.td3 = C2f(n4 + c2, n3, 1, shortcut=False)
        self.dn3 = Conv(n3, n3, 3, 2)
        self.bu4 = C2f(n3 + n4, n4, 1, shortcut=False)
        self.dn4 = Conv(n4, n4, 3, 2)
        self.bu5 = C2f(n4 + c4, n5, 1, shortcut=False)
        chans = (n3, n4, n5)
        # heads
        hb = head_width
        he = max(head_width, embed_dim)
        self.box = nn.ModuleList(
            nn.Sequential(Conv(c, hb, 3), Conv(hb, hb, 3), nn.Conv2d(hb, 4, 1)) for c in chans)
        self.emb = nn.ModuleList(
            nn.Sequential(Conv(c, he, 3), Conv(he, he, 3), nn.Conv2d(he, embed_dim, 1)) for c in chans)
        self.cls = nn.ModuleList(ContrastiveHead() for _ in chans)
        self._init_bias()
        anchors, strides = make_anchors(imgsz, imgsz)
        self.register_buffer("anchors", anchors, persistent=False)   # [A, 2] in input pixels
        self.register_buffer("strides", strides, persistent=False)   # [A, 1]

    def _init_bias(self):
        for seq, s in zip(self.box, STRIDES):
            # softplus(b) * stride ~ 2 strides initially
            nn.init.constant_(seq[-1].bias, 1.5)

    def features(self, x):
        x = self.stem(x)
        x = self.b1(x)
        p3 = self.b2(x)
        p4 = self.b3(p3)
        p5 = self.b4(p4)
        t4 = self.td4(torch.cat([self.up(p5), p4], 1))
        t3 = self.td3(torch.cat([self.up(t4), p3], 1))
        o4 = self.bu4(torch.cat([self.dn3(t3), t4], 1))
        o5 = self.bu5(torch.cat([self.dn4(o4), p5], 1))
        return [t3, o4, o5]

    def forward_raw(self, images, txt_feats):
        """-> dist [B, 4, A] (ltrb in pixels), logits [B, N, A]."""
        txt = F.normalize(txt_feats, dim=-1, p=2)
        feats = self.features(images)
        dists, logits = [], []
        for i, f in enumerate(feats):
            d = F.softplus(self.box[i](f)) * STRIDES[i]
            dists.append(d.flatten(2))
            logits.append(self.cls[i](self.emb[i](f), txt))
        return torch.cat(dists, 2), torch.cat(logits, 2)

    def decode(self, dist):
        """ltrb distances [B, 4, A] -> cx, cy, w, h [B, 4, A] in input pixels."""
        a = self.anchors.t().unsqueeze(0)  # [1, 2, A]
        lt, rb = dist[:, :2], dist[:, 2:]
        x1y1 = a - lt
        x2y2 = a + rb
        return torch.cat([(x1y1 + x2y2) / 2, x2y2 - x1y1], 1)

    def forward(self, images, txt_feats):
        dist, logits = self.forward_raw(images, txt_feats)
        return torch.cat([self.decode(dist), logits.sigmoid()], 1)


class ClosedSetDetector(nn.Module):
    """The detector with the text embeddings baked in as a constant: only input `images`."""

    def __init__(self, det: Detector, txt_feats: torch.Tensor):
        super().__init__()
        self.det = det
        self.register_buffer("txt", txt_feats.detach().clone())

    def forward(self, images):
        return self.det(images, self.txt)


def make_anchors(h, w, strides=STRIDES):
    pts, st = [], []
    for s in strides:
        ny, nx = h // s, w // s
        ys = (torch.arange(ny, dtype=torch.float32) + 0.5) * s
        xs = (torch.arange(nx, dtype=torch.float32) + 0.5) * s
        yy, xx = torch.meshgrid(ys, xs, indexing="ij")
        pts.append(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1))
        st.append(torch.full((ny * nx, 1), float(s)))
    return torch.cat(pts), torch.cat(st)


# --------------------------------------------------------------------------------------------- letterbox
def letterbox(img, new_shape=(IMGSZ, IMGSZ), color=(114, 114, 114)):
    """ultralytics LetterBox(auto=False, scaleup=True, center=True). Returns img, gain r, (left, top)."""
    h, w = img.shape[:2]
    H, W = new_shape
    r = min(H / h, W / w)
    new_unpad = (int(round(w * r)), int(round(h * r)))
    dw, dh = (W - new_unpad[0]) / 2, (H - new_unpad[1]) / 2
    if (w, h) != new_unpad:
        img = cv2.resize(img, new_unpad, interpolation=cv2.INTER_LINEAR)
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=color)
    return img, r, (left, top)


def to_tensor(img_rgb_uint8):
    """HxWx3 uint8 RGB -> [1, 3, H, W] float32 0..1."""
    return torch.from_numpy(np.ascontiguousarray(img_rgb_uint8.transpose(2, 0, 1))).float().div_(255).unsqueeze(0)


def load_detector(path, map_location="cpu"):
    ck = torch.load(path, map_location=map_location)
    cfg = ck["config"]
    m = Detector(cfg["embed_dim"], tuple(cfg["width"]), cfg["head_width"], cfg["imgsz"])
    m.load_state_dict(ck["model"])
    m.eval()
    return m, ck
