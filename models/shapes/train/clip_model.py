"""A small CLIP for ShapesWorld: causal-transformer text tower + small CNN image tower.

Text:  token embedding + positional embedding -> N pre-LayerNorm causal transformer
       blocks -> final LayerNorm -> the state at the EOT position (argmax of input_ids,
       as OpenAI does: EOT has the largest id) -> linear projection to EMBED_DIM.
Image: conv/BatchNorm/ReLU stages at IMAGE_SIZE x IMAGE_SIZE -> global average pool ->
       linear projection to EMBED_DIM.
Similarity: exp(logit_scale) * cosine, logit_scale learned and clamped at ln(100).

load_text_encoder(path) -> nn.Module mapping input_ids [B, 16] int64 to L2-normalised
text embeddings [B, EMBED_DIM] (frozen by the detector training).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

CONTEXT_LENGTH = 16
EMBED_DIM = 64
IMAGE_SIZE = 64
# OpenAI CLIP's normalisation constants.
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, mask):
        B, L, W = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q = q.reshape(B, L, h, W // h).transpose(1, 2)
        k = k.reshape(B, L, h, W // h).transpose(1, 2)
        v = v.reshape(B, L, h, W // h).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(W // h)) + mask
        y = att.softmax(-1) @ v
        x = x + self.out(y.transpose(1, 2).reshape(B, L, W))
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, width=96, layers=3, heads=4, embed_dim=EMBED_DIM,
                 context_length=CONTEXT_LENGTH):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, width=width, layers=layers, heads=heads,
                           embed_dim=embed_dim, context_length=context_length)
        self.tok = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(context_length, width) * 0.01)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.ln_final = nn.LayerNorm(width)
        self.proj = nn.Linear(width, embed_dim, bias=False)
        mask = torch.full((context_length, context_length), float("-inf")).triu(1)
        self.register_buffer("mask", mask, persistent=False)
        nn.init.normal_(self.tok.weight, std=0.02)

    def forward(self, input_ids):
        x = self.tok(input_ids) + self.pos
        for b in self.blocks:
            x = b(x, self.mask)
        x = self.ln_final(x)
        eot = input_ids.argmax(dim=-1)
        x = x.gather(1, eot[:, None, None].expand(-1, 1, x.shape[-1]))[:, 0]
        return self.proj(x)


def _cbr(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ImageEncoder(nn.Module):
    def __init__(self, embed_dim=EMBED_DIM, widths=(0, 64, 96, 192)):
        super().__init__()
        self.config = dict(embed_dim=embed_dim, widths=list(widths))
        _, w1, w2, w3 = widths
        self.features = nn.Sequential(
            nn.Conv2d(3, w1, 4, 4, 0, bias=False), nn.BatchNorm2d(w1), nn.ReLU(inplace=True),  # 16x16 patches
            _cbr(w1, w1, 1),
            _cbr(w1, w1, 1),
            _cbr(w1, w2, 2),           # 8x8
            _cbr(w2, w2, 1),
            _cbr(w2, w3, 2),           # 4x4
        )
        self.proj = nn.Linear(w3, embed_dim)

    def forward(self, pixel_values):
        x = self.features(pixel_values)
        return self.proj(x.mean(dim=(2, 3)))


class CLIP(nn.Module):
    def __init__(self, vocab_size, text_cfg=None, image_cfg=None):
        super().__init__()
        self.text = TextEncoder(vocab_size, **(text_cfg or {}))
        self.image = ImageEncoder(**(image_cfg or {}))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def scale(self):
        return self.logit_scale.clamp(max=math.log(100.0)).exp()

    def encode_text(self, ids):
        return F.normalize(self.text(ids), dim=-1)

    def encode_image(self, px):
        return F.normalize(self.image(px), dim=-1)


class NormalisedText(nn.Module):
    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids):
        return F.normalize(self.text(input_ids), dim=-1)


class NormalisedImage(nn.Module):
    def __init__(self, image):
        super().__init__()
        self.image = image

    def forward(self, pixel_values):
        return F.normalize(self.image(pixel_values), dim=-1)


def save(model: CLIP, path, extra=None):
    torch.save(dict(vocab_size=model.text.config["vocab_size"], text_cfg={k: v for k, v in model.text.config.items()
                                                                         if k != "vocab_size"},
                    image_cfg=model.image.config, state=model.state_dict(),
                    image_size=IMAGE_SIZE, mean=MEAN, std=STD, extra=extra or {}), path)


def load(path) -> CLIP:
    ck = torch.load(path, map_location="cpu")
    m = CLIP(ck["vocab_size"], ck["text_cfg"], ck["image_cfg"])
    m.load_state_dict(ck["state"])
    return m.eval()


def load_text_encoder(path) -> nn.Module:
    """input_ids [B, 16] int64 -> L2-normalised text embeddings [B, EMBED_DIM] (eval mode).
    Builds only the text tower, so checkpoints whose image tower differs from today's code still load."""
    ck = torch.load(path, map_location="cpu")
    text = TextEncoder(ck["vocab_size"], **ck["text_cfg"])
    text.load_state_dict({k[5:]: v for k, v in ck["state"].items() if k.startswith("text.")})
    return NormalisedText(text).eval()


def encode_prompts(prompts, clip_path=None):
    """Prompts -> [N, D] L2-normalised text embeddings from a frozen checkpoint (default paths.clip_pt()): the
    detector's text features in training, evaluation and export."""
    import bpe
    from paths import clip_pt
    enc = load_text_encoder(clip_path or clip_pt())
    with torch.no_grad():
        emb = enc(bpe.tokenize(list(prompts))).float()
    return F.normalize(emb, dim=-1)


def load_image_encoder(path) -> nn.Module:
    """pixel_values [B, 3, IMAGE_SIZE, IMAGE_SIZE] -> L2-normalised image embeddings."""
    return NormalisedImage(load(path).image).eval()


# ---------------------------------------------------------------- preprocessing
def preprocess_pil(img, size=IMAGE_SIZE):
    """CLIP's _transform up to ToTensor: shortest side -> size with PIL BICUBIC (long side
    int(size * long / short)), centre crop at round((dim - size) / 2). Returns uint8 HxWx3."""
    import numpy as np
    from PIL import Image
    if not isinstance(img, Image.Image):
        img = Image.fromarray(img)
    img = img.convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = size, int(size * h / w)
    else:
        nw, nh = int(size * w / h), size
    if (nw, nh) != (w, h):
        img = img.resize((nw, nh), Image.BICUBIC)
    left, top = int(round((nw - size) / 2.0)), int(round((nh - size) / 2.0))
    img = img.crop((left, top, left + size, top + size))
    return np.asarray(img, dtype=np.uint8)


def to_pixel_values(u8):
    """uint8 [N, H, W, 3] (or [H, W, 3]) -> float32 normalised [N, 3, H, W] tensor."""
    import numpy as np
    t = torch.from_numpy(np.array(u8, dtype=np.uint8)) if not torch.is_tensor(u8) else u8
    if t.dim() == 3:
        t = t[None]
    t = t.permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (t - mean) / std
