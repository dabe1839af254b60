"""Where the ShapesWorld training code reads and writes (every path in one place), and its environment settings.

The scripts in this folder import each other as plain modules; running any of them as
`/usr/bin/python3 models/shapes/train/<script>.py` puts this folder on the import path, so none of them edits
sys.path.
"""
from __future__ import annotations

import os

TRAIN_DIR = os.path.dirname(os.path.abspath(__file__))
SHIPPED_PACK = os.path.dirname(TRAIN_DIR)                          # models/shapes
REPO = os.path.dirname(os.path.dirname(SHIPPED_PACK))

# The pack being written: the shipped one, or another folder (build_pack.py --out sets SHAPES_PACK_DIR, so that a
# trial rebuild never overwrites the shipped pack; the samples then go into that folder too).
PACK = os.path.abspath(os.environ.get("SHAPES_PACK_DIR") or SHIPPED_PACK)
SAMPLES = os.path.join(REPO, "samples") if PACK == SHIPPED_PACK else os.path.join(PACK, "samples")

# Git-ignored working files. Rendered training data depends on nothing but the generator, so every build shares it;
# the PyTorch checkpoints belong to one build (SHAPES_CHECKPOINT_DIR, set by build_pack.py --out).
CACHE = os.path.join(TRAIN_DIR, ".cache")
CLIP_DATA = os.path.join(CACHE, "clip_data.npz")
CHECKPOINTS = os.path.abspath(os.environ.get("SHAPES_CHECKPOINT_DIR") or CACHE)
CLIP_PT = os.path.join(CHECKPOINTS, "clip.pt")
DETECTOR_PT = os.path.join(CHECKPOINTS, "detector.pt")

# Pack files.
VOCAB = os.path.join(PACK, "vocab.bpe.txt")
TEXT_ONNX = os.path.join(PACK, "text.onnx")
VISION_ONNX = os.path.join(PACK, "vision.onnx")
DETECTOR_ONNX = os.path.join(PACK, "detector.onnx")
CLOSED_DIR = os.path.join(PACK, "closed")
MANIFEST = os.path.join(PACK, "openvocab.json")
REFERENCE_DIR = os.path.join(PACK, "reference")
DETECTION_EVAL_DIR = os.path.join(PACK, "eval", "detection")            # COCO annotations.json + images/
CLASSIFICATION_EVAL_DIR = os.path.join(PACK, "eval", "classification")  # labels.json + images/


def clip_pt():
    """The CLIP checkpoint the detector is trained and exported against: $SHAPES_CLIP_PT, else CLIP_PT."""
    return os.environ.get("SHAPES_CLIP_PT") or CLIP_PT


def threads():
    """Torch threads: $SHAPES_THREADS, default 2 (use 1 when the cores are shared; 2 threads on 2 busy cores is
    several times slower)."""
    return int(os.environ.get("SHAPES_THREADS", "2"))
