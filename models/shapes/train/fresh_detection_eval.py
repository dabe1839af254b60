"""Is the committed detection eval set representative? Draws fresh eval scenes from the generator with seeds no
other set uses, and evaluates the shipped pack on them and on the committed set through the C# CLI
(`openvocab eval`: C# tokenizer, text encoder, letterbox, decoding, NMS and COCO evaluation on ONNX Runtime).

    /usr/bin/python3 models/shapes/train/fresh_detection_eval.py [--count 240] [--sets 1] [--seed-base 2000000]

Set k holds scenes world.render_scene(seed_base + k * count + i, "eval"). Seeds in use elsewhere: detector training
0..11999 ("train"), CLIP data 0..~9600 ("train"), the committed eval set 1,000,000 + i, the classification eval set
and samples small seeds ("eval"). The fresh images go to a temporary folder and are deleted afterwards.
The CLI is built first (Release), as openvocab.sh does.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time

import evaluate
from paths import DETECTION_EVAL_DIR, REPO, SHIPPED_PACK

CLI_PROJECT = os.path.join(REPO, "src", "OpenVocab.Cli")
CLI_DLL = os.path.join(CLI_PROJECT, "bin", "Release", "net10.0", "OpenVocab.Cli.dll")


def cli_eval(annotations, images, pack=SHIPPED_PACK):
    """Runs `openvocab eval --json` and returns its document."""
    out = subprocess.run(["dotnet", CLI_DLL, "eval", "--model", pack, "--annotations", annotations,
                          "--images", images, "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def summary(doc):
    """(seen mAP50, held-out mAP50, seen mAP50-95, held-out mAP50-95) from the CLI's JSON."""
    seen, held = doc["seen"], doc["heldOut"]
    return seen["map50"], held["map50"], seen["map50_95"], held["map50_95"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=240, help="scenes per set (the committed set has 240)")
    ap.add_argument("--sets", type=int, default=1, help="number of fresh sets")
    ap.add_argument("--seed-base", type=int, default=2_000_000)
    a = ap.parse_args(argv)
    subprocess.run(["dotnet", "build", CLI_PROJECT, "-c", "Release", "-nologo", "-v", "q"], check=True,
                   capture_output=True)
    t = time.time()
    committed = summary(cli_eval(os.path.join(DETECTION_EVAL_DIR, "annotations.json"), DETECTION_EVAL_DIR))
    print(f"committed set (seeds {evaluate.EVAL_SEED_BASE}+): seen mAP50 {committed[0]:.4f}, held-out mAP50 "
          f"{committed[1]:.4f} (mAP50-95 {committed[2]:.4f} / {committed[3]:.4f}) [{time.time() - t:.0f}s]", flush=True)
    for k in range(a.sets):
        base = a.seed_base + k * a.count
        with tempfile.TemporaryDirectory(prefix="shapes-fresh-eval-") as folder:
            t = time.time()
            gt = evaluate.make_eval_set(a.count, folder, seed_base=base, log=lambda _: None)
            fresh = summary(cli_eval(os.path.join(folder, "annotations.json"), folder))
            print(f"fresh set {k} (seeds {base}..{base + a.count - 1}, {len(gt['annotations'])} objects): seen mAP50 "
                  f"{fresh[0]:.4f} ({fresh[0] - committed[0]:+.4f}), held-out mAP50 {fresh[1]:.4f} "
                  f"({fresh[1] - committed[1]:+.4f}) (mAP50-95 {fresh[2]:.4f} / {fresh[3]:.4f}) [{time.time() - t:.0f}s]",
                  flush=True)


if __name__ == "__main__":
    main()
