"""Exemplar crops for image prompts: k example images per ShapesWorld class, from world.render_object_crop.

Seeds: split "eval", crop stream, seeds from 7,000,000 up, which nothing else renders (CLIP training uses
train crops 0..35,999; the classification eval set eval crops 0..159; scenes are another stream). Seeds are
walked in order and each crop goes to its class until every class has k; so the set is fixed by (k, base seed).
Held-out pairs are legitimate here: an exemplar is what a user would photograph, not training data.

    /usr/bin/python3 models/shapes/train/make_exemplars.py OUT_DIR [--k 5] [--base 7000000] [--size 96]

Writes OUT_DIR/<colour>_<shape>_<i>.jpg (JPEG quality 90, as a user's photo would be; i = 0..k-1, the k=1
set is i = 0) and OUT_DIR/exemplars.json (class -> [{file, seed, width, height}]). --size shrinks each crop so
its longer side is at most that many pixels (INTER_AREA) to keep committed test data small; 0 keeps the
rendered size (72..256 px a side).
"""
import argparse
import json
import os
import sys

import cv2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--base", type=int, default=7_000_000)
    ap.add_argument("--size", type=int, default=128)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    names = world.class_names()
    got = {n: [] for n in names}
    seed = a.base
    while any(len(v) < a.k for v in got.values()):
        img, obj = world.render_object_crop(seed, "eval")
        cls = obj["caption"]
        if len(got[cls]) < a.k:
            h, w = img.shape[:2]
            if a.size and max(h, w) > a.size:
                r = a.size / max(h, w)
                img = cv2.resize(img, (max(1, round(w * r)), max(1, round(h * r))), interpolation=cv2.INTER_AREA)
            i = len(got[cls])
            file = f"{cls.replace(' ', '_')}_{i}.jpg"
            cv2.imwrite(os.path.join(a.out, file), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
            got[cls].append(dict(file=file, seed=seed, width=int(img.shape[1]), height=int(img.shape[0])))
        seed += 1
    with open(os.path.join(a.out, "exemplars.json"), "w") as f:
        json.dump(dict(description=__doc__.strip().splitlines()[0], split="eval", base=a.base, k=a.k, size=a.size,
                       seeds_walked=seed - a.base, classes=got), f, indent=1)
    print(f"{sum(len(v) for v in got.values())} exemplars from {seed - a.base} seeds")


if __name__ == "__main__":
    main()
