"""The captions the ShapesWorld CLIP is trained with (train classes only): templates, the full caption list (also
the BPE corpus), and per-image sampling."""
from __future__ import annotations

import world

FULL_TEMPLATES = ["{}", "a {}", "a {}.", "the {}", "a photo of a {}.", "a photo of the {}.",
                  "a picture of a {}.", "an image of a {}.", "a drawing of a {}.", "a rendering of a {}.",
                  "a {} shape.", "a photo of a {} shape."]
COLOUR_TEMPLATES = ["{}", "a {} shape", "a {} shape.", "a photo of a {} shape.", "something {}",
                    "a {} object.", "a photo of a {} object."]
SHAPE_TEMPLATES = ["{}", "a {}", "a {}.", "the {}", "a photo of a {}.", "a picture of a {}."]
SIZES = ["small", "large"]
EVAL_TEMPLATE = "a photo of a {}."


def all_caption_texts(w=world):
    """Every caption the trainer can produce (train classes only); also the BPE corpus."""
    out = []
    for cs in w.class_names(include_heldout=False):
        for t in FULL_TEMPLATES:
            out.append(t.format(cs))
            for z in SIZES:
                out.append(t.format(f"{z} {cs}"))
    for c in w.COLOURS:
        out += [t.format(c) for t in COLOUR_TEMPLATES]
    for s in w.SHAPES:
        out += [t.format(s) for t in SHAPE_TEMPLATES]
    return out


def sample_caption(rng, colour, shape, size, p_full=0.6, p_size=0.3, p_colour=0.12):
    """A caption for an image and what it asserts: (text, colour|None, shape|None, size|None)."""
    r = rng.random()
    if r < p_full:
        z = size if rng.random() < p_size else None
        phrase = f"{z} {colour} {shape}" if z else f"{colour} {shape}"
        return FULL_TEMPLATES[rng.integers(len(FULL_TEMPLATES))].format(phrase), colour, shape, z
    if r < p_full + p_colour:
        return COLOUR_TEMPLATES[rng.integers(len(COLOUR_TEMPLATES))].format(colour), colour, None, None
    return SHAPE_TEMPLATES[rng.integers(len(SHAPE_TEMPLATES))].format(shape), None, shape, None
