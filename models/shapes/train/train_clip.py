"""Train, evaluate and export the ShapesWorld CLIP.

  /usr/bin/python3 train_clip.py bpe        # vocab (same as python3 bpe.py)
  /usr/bin/python3 train_clip.py evalset    # models/shapes/eval/classification/
  /usr/bin/python3 train_clip.py data       # pre-render the training set into .cache/
  /usr/bin/python3 train_clip.py train [steps]
  /usr/bin/python3 train_clip.py eval
  /usr/bin/python3 train_clip.py export     # text.onnx, vision.onnx
  /usr/bin/python3 train_clip.py reference  # reference/*.json, pixel_values_*.bin
  /usr/bin/python3 train_clip.py samples    # samples/*.jpg
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

import world
from captions import EVAL_TEMPLATE, SIZES, all_caption_texts, sample_caption
from paths import CACHE, CLASSIFICATION_EVAL_DIR, CLIP_DATA, CLIP_PT, REFERENCE_DIR, SAMPLES, TEXT_ONNX, \
    VISION_ONNX, threads

# ---------------------------------------------------------------- data
N_CROPS = 36000
N_SCENES = 6000


def _centred(box, H, W, frac=0.9):
    m = min(H, W)
    l, t = round((W - m) / 2), round((H - m) / 2)
    x1, y1, x2, y2 = box
    ix = max(0.0, min(x2, l + m) - max(x1, l))
    iy = max(0.0, min(y2, t + m) - max(y1, t))
    return ix * iy >= frac * (x2 - x1) * (y2 - y1)


def _jpeg(img, rng):
    import cv2
    if rng.random() < 0.6:
        q = int(rng.integers(70, 97))
        ok, buf = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, q])
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1]
    return img


def _make_crop(seed):
    from clip_model import preprocess_pil
    img, o = world.render_object_crop(seed, "train")
    img = _jpeg(img, np.random.default_rng([seed, 7]))
    return preprocess_pil(np.ascontiguousarray(img)), o


def _make_scene(seed):
    from clip_model import preprocess_pil
    img, objs = world.render_scene(seed, "train", n_objects=1, size="large")
    if len(objs) != 1 or not _centred(objs[0]["box"], *img.shape[:2]):
        return None
    img = _jpeg(img, np.random.default_rng([seed, 8]))
    return preprocess_pil(np.ascontiguousarray(img)), objs[0]


def build_data():
    from multiprocessing import Pool
    os.makedirs(CACHE, exist_ok=True)
    t = time.time()
    with Pool(2) as p:
        crops = p.map(_make_crop, range(N_CROPS), chunksize=256)
        scenes = [r for r in p.map(_make_scene, range(int(N_SCENES * 1.6)), chunksize=64) if r is not None][:N_SCENES]
    items = crops + scenes
    cidx = {c: i for i, c in enumerate(world.COLOURS)}
    sidx = {s: i for i, s in enumerate(world.SHAPES)}
    np.savez(CLIP_DATA,
             x=np.stack([a for a, _ in items]),
             colour=np.array([cidx[o["colour"]] for _, o in items], np.int64),
             shape=np.array([sidx[o["shape"]] for _, o in items], np.int64),
             size=np.array([SIZES.index(o["size"]) for _, o in items], np.int64),
             kind=np.array([0] * len(crops) + [1] * len(scenes), np.int64))
    print(f"{len(crops)} crops + {len(scenes)} scenes in {time.time() - t:.0f}s")


# ---------------------------------------------------------------- training
CLIP_STEPS = 1300  # the recipe's length (CLIP_NOTES.md: 650 steps left held-out zero-shot at 0.60-0.85 by seed)


def train(steps=CLIP_STEPS, batch=128, lr=2e-3, log_every=25, seed=0, out=None, p_full=0.6, p_colour=0.12):
    import torch
    import torch.nn.functional as F
    import clip_model as cm
    from bpe import get_tokenizer
    out = out or CLIP_PT
    torch.set_num_threads(threads())
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    d = np.load(CLIP_DATA)
    X, C, S, Z = d["x"], d["colour"], d["shape"], d["size"]
    colours, shapes = list(world.COLOURS), world.SHAPES
    tok = get_tokenizer()
    texts = sorted(set(all_caption_texts()))
    ids_all = tok.tokenize(texts)
    tid = {t: i for i, t in enumerate(texts)}

    model = cm.CLIP(tok.vocab_size)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "tok" not in n and n != "text.pos"]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "tok" not in n and n != "text.pos")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98))
    mean = torch.tensor(cm.MEAN).view(1, 3, 1, 1)
    std = torch.tensor(cm.STD).view(1, 3, 1, 1)
    t0 = time.time()
    step, warm = 0, 50
    losses = []
    while step < steps:
        # Cosine decay over steps, so that a retrain is reproducible whatever the machine's load.
        f = min(1.0, (step + 1) / warm) * 0.5 * (1 + np.cos(np.pi * step / steps))
        for g in opt.param_groups:
            g["lr"] = lr * max(f, 0.02)
        idx = rng.integers(len(X), size=batch)
        x = torch.from_numpy(X[idx]).permute(0, 3, 1, 2).float() / 255.0
        flip = torch.from_numpy(rng.random(batch) < 0.5)
        x[flip] = x[flip].flip(-1)
        x = (x - mean) / std
        caps = [sample_caption(rng, colours[C[i]], shapes[S[i]], SIZES[Z[i]], p_full=p_full, p_colour=p_colour)
                for i in idx]
        uniq = sorted({c for c in caps})
        ids = ids_all[[tid[u[0]] for u in uniq]]
        # match[i, j]: image i satisfies every attribute caption j asserts.
        cu = np.array([colours.index(u[1]) if u[1] else -1 for u in uniq])
        su = np.array([shapes.index(u[2]) if u[2] else -1 for u in uniq])
        zu = np.array([SIZES.index(u[3]) if u[3] else -1 for u in uniq])
        ci, si, zi = C[idx][:, None], S[idx][:, None], Z[idx][:, None]
        match = ((cu < 0) | (cu == ci)) & ((su < 0) | (su == si)) & ((zu < 0) | (zu == zi))
        m = torch.from_numpy(match.astype(np.float32))
        img = model.encode_image(x)
        txt = model.encode_text(ids)
        logits = model.scale() * img @ txt.t()
        li = -(F.log_softmax(logits, 1) * (m / m.sum(1, keepdim=True))).sum(1).mean()
        lt = -(F.log_softmax(logits, 0) * (m / m.sum(0, keepdim=True))).sum(0).mean()
        loss = (li + lt) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
        if step % log_every == 0:
            print(f"step {step} {time.time() - t0:.0f}s loss {np.mean(losses[-log_every:]):.3f} "
                  f"scale {model.scale().item():.1f} lr {opt.param_groups[0]['lr']:.2e}", flush=True)
        if step % 100 == 0:
            cm.save(model, out, dict(steps=step, seconds=time.time() - t0))
    took = time.time() - t0
    cm.save(model.eval(), out, dict(steps=step, seconds=took, batch=batch, lr=lr, seed=seed))
    print(f"trained {step} steps in {took:.0f}s, final loss {np.mean(losses[-50:]):.3f}, "
          f"logit scale {model.scale().item():.2f}")


# ---------------------------------------------------------------- eval set
def _write_jpeg(path, img):
    import cv2
    os.makedirs(os.path.dirname(path), exist_ok=True)
    cv2.imwrite(path, img[:, :, ::-1].copy(), [cv2.IMWRITE_JPEG_QUALITY, 95])


def build_evalset(n_crops=160, n_scenes=160):
    held = set(world.HELDOUT)
    labels = []
    img_dir = os.path.join(CLASSIFICATION_EVAL_DIR, "images")
    if os.path.isdir(img_dir):
        for f in os.listdir(img_dir):
            os.remove(os.path.join(img_dir, f))
    k = 0
    for seed in range(n_crops):
        img, o = world.render_object_crop(seed, "eval")
        k += 1
        name = f"images/{k:04d}.jpg"
        _write_jpeg(os.path.join(CLASSIFICATION_EVAL_DIR, name), img)
        labels.append(dict(file=name, caption=o["caption"], colour=o["colour"], shape=o["shape"],
                           heldout=(o["colour"], o["shape"]) in held, kind="crop", size=o["size"],
                           width=img.shape[1], height=img.shape[0], box=o["box"]))
    seed, got = 0, 0
    while got < n_scenes:
        img, objs = world.render_scene(seed, "eval", n_objects=1, size="large")
        seed += 1
        H, W = img.shape[:2]
        # Keep the folder small: skip the biggest scenes (noise backgrounds compress badly).
        if len(objs) != 1 or not _centred(objs[0]["box"], H, W) or H * W > 480 * 400:
            continue
        o = objs[0]
        k += 1
        got += 1
        name = f"images/{k:04d}.jpg"
        _write_jpeg(os.path.join(CLASSIFICATION_EVAL_DIR, name), img)
        labels.append(dict(file=name, caption=o["caption"], colour=o["colour"], shape=o["shape"],
                           heldout=(o["colour"], o["shape"]) in held, kind="scene", size=o["size"],
                           width=W, height=H, box=o["box"]))
    with open(os.path.join(CLASSIFICATION_EVAL_DIR, "labels.json"), "w") as f:
        json.dump(labels, f, indent=1)
    ho = sum(l["heldout"] for l in labels)
    size = sum(os.path.getsize(os.path.join(CLASSIFICATION_EVAL_DIR, l["file"])) for l in labels)
    print(f"{len(labels)} images, {ho} held-out ({ho / len(labels):.0%}), {size / 1e6:.2f} MB")


# ---------------------------------------------------------------- evaluation
def load_eval_pixels():
    from PIL import Image
    import clip_model as cm
    labels = json.load(open(os.path.join(CLASSIFICATION_EVAL_DIR, "labels.json")))
    u8 = np.stack([cm.preprocess_pil(Image.open(os.path.join(CLASSIFICATION_EVAL_DIR, l["file"])))
                   for l in labels])
    return labels, cm.to_pixel_values(u8)


def evaluate(path=CLIP_PT, quiet=False):
    import torch
    import clip_model as cm
    from bpe import tokenize
    torch.set_num_threads(threads())
    model = cm.load(path)
    labels, px = load_eval_pixels()
    names = world.class_names()
    res = {}
    with torch.no_grad():
        img = model.encode_image(px)
        for tname, tmpl in [("template", EVAL_TEMPLATE), ("plain", "{}")]:
            txt = model.encode_text(tokenize([tmpl.format(n) for n in names]))
            pred = (img @ txt.t()).argmax(1).numpy()
            ok = np.array([names[p] == l["caption"] for p, l in zip(pred, labels)])
            ho = np.array([l["heldout"] for l in labels])
            kind = np.array([l["kind"] for l in labels])
            r = dict(seen=float(ok[~ho].mean()), heldout=float(ok[ho].mean()), all=float(ok.mean()),
                     crop=float(ok[kind == "crop"].mean()), scene=float(ok[kind == "scene"].mean()))
            # colour / shape accuracy of the predicted class separately
            r["colour_ok"] = float(np.mean([names[p].split()[0] == l["colour"] for p, l in zip(pred, labels)]))
            r["shape_ok"] = float(np.mean([names[p].split()[1] == l["shape"] for p, l in zip(pred, labels)]))
            res[tname] = r
    if not quiet:
        print(json.dumps(res, indent=1))
    return res


# ---------------------------------------------------------------- export
def export(path=CLIP_PT):
    import onnx
    import torch
    import clip_model as cm
    from bpe import tokenize
    torch.set_num_threads(threads())
    model = cm.load(path)
    text = cm.NormalisedText(model.text).eval()
    vis = cm.NormalisedImage(model.image).eval()
    ids = tokenize(["a photo of a red star.", "blue ring", "x"])
    out_t, out_v = TEXT_ONNX, VISION_ONNX
    torch.onnx.export(text, (ids,), out_t, input_names=["input_ids"], output_names=["text_embeds"],
                      dynamic_axes={"input_ids": {0: "batch"}, "text_embeds": {0: "batch"}},
                      opset_version=17, do_constant_folding=True)
    px = torch.randn(2, 3, cm.IMAGE_SIZE, cm.IMAGE_SIZE)
    torch.onnx.export(vis, (px,), out_v, input_names=["pixel_values"], output_names=["image_embeds"],
                      dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
                      opset_version=17, do_constant_folding=True)
    for p in (out_t, out_v):
        m = onnx.load(p)
        # F.normalize hides the embedding width from the exporter's shape inference: state it.
        d = m.graph.output[0].type.tensor_type.shape.dim[1]
        d.Clear()
        d.dim_value = cm.EMBED_DIM
        m.doc_string = "ShapesWorld CLIP (OpenVocab), L2-normalised output"
        onnx.save(m, p)
        onnx.checker.check_model(m, full_check=True)
        ins = [(i.name, [d.dim_value or d.dim_param for d in i.type.tensor_type.shape.dim]) for i in m.graph.input]
        outs = [(o.name, [d.dim_value or d.dim_param for d in o.type.tensor_type.shape.dim]) for o in m.graph.output]
        print(os.path.basename(p), f"{os.path.getsize(p) / 1e6:.2f} MB", ins, outs,
              sorted({n.op_type for n in m.graph.node}))


# ---------------------------------------------------------------- references
REF_PROMPTS = [
    "a photo of a red triangle.", "a photo of a orange circle.", "a photo of a yellow heart.",
    "a photo of a green triangle.", "a photo of a cyan square.", "a photo of a blue cross.",
    "a photo of a purple hexagon.", "a photo of a pink diamond.", "a photo of a red star.",
    "blue ring", "green star", "small purple heart", "a photo of a large yellow diamond.",
    "red", "triangle", "  Photo OF   a   PINK\tRing  ", "A Small  CYAN\nstar!",
    "it's a red &amp; blue circle", "",
    "a photo of a small red triangle and a large blue circle next to a green star on a grey background.",
    "zebra crossing 123",
]


def reference(path=CLIP_PT):
    import torch
    from PIL import Image
    import clip_model as cm
    from bpe import tokenize
    torch.set_num_threads(threads())
    model = cm.load(path)
    ref_dir = REFERENCE_DIR
    os.makedirs(ref_dir, exist_ok=True)
    ids = tokenize(REF_PROMPTS)
    with torch.no_grad():
        emb = model.encode_text(ids)
    prompts = [dict(text=t, ids=i.tolist(), embedding=[round(float(v), 7) for v in e])
               for t, i, e in zip(REF_PROMPTS, ids, emb)]
    json.dump(dict(contextLength=cm.CONTEXT_LENGTH, embedDim=cm.EMBED_DIM, prompts=prompts),
              open(os.path.join(ref_dir, "text_embeds.json"), "w"), indent=1)
    labels = json.load(open(os.path.join(CLASSIFICATION_EVAL_DIR, "labels.json")))
    # six images of different sizes/aspects: wide, tall, square-ish, small, large
    by = sorted(labels, key=lambda l: l["width"] / l["height"])
    pick = [by[0], by[-1], by[len(by) // 2],
            min(labels, key=lambda l: l["width"] * l["height"]),
            max(labels, key=lambda l: l["width"] * l["height"]),
            next(l for l in labels if l["kind"] == "scene" and l["heldout"])]
    seen, chosen = set(), []
    for l in pick:
        if l["file"] not in seen:
            seen.add(l["file"])
            chosen.append(l)
    images = []
    for n, l in enumerate(chosen):
        u8 = cm.preprocess_pil(Image.open(os.path.join(CLASSIFICATION_EVAL_DIR, l["file"])))
        px = cm.to_pixel_values(u8)
        with torch.no_grad():
            e = model.encode_image(px)[0]
        entry = dict(file="eval/classification/" + l["file"], width=l["width"], height=l["height"],
                     caption=l["caption"], embedding=[round(float(v), 7) for v in e])
        if n < 2:
            name = f"pixel_values_{n}.bin"
            with open(os.path.join(ref_dir, name), "wb") as f:
                f.write(px[0].numpy().astype("<f4").tobytes())
            entry["pixelValues"] = name
        images.append(entry)
    json.dump(dict(imageSize=cm.IMAGE_SIZE, mean=list(cm.MEAN), std=list(cm.STD),
                   resize="PIL BICUBIC shortest side -> imageSize (long side int(imageSize*long/short)), "
                          "centre crop at round((dim-imageSize)/2), RGB/255, (x-mean)/std",
                   pixelValuesFormat="float32 little-endian, shape [3, imageSize, imageSize] (CHW), "
                                     "after normalisation",
                   images=images),
              open(os.path.join(ref_dir, "image_embeds.json"), "w"), indent=1)
    print(f"{len(prompts)} prompts, {len(images)} images")


def samples():
    out = SAMPLES
    os.makedirs(out, exist_ok=True)
    chosen, seed = [], 0
    # Pick the first eval scenes at 640x426-ish sizes by re-rendering with fixed, nice seeds.
    while len(chosen) < 4:
        img, objs = world.render_scene(seed, "eval")
        seed += 1
        H, W = img.shape[:2]
        if W >= 560 and 0.55 <= H / W <= 0.8 and 4 <= len(objs) <= 8 and len({o["colour"] for o in objs}) == len(objs):
            chosen.append((seed - 1, img, objs))
    for n, (s, img, objs) in enumerate(chosen, 1):
        _write_jpeg(os.path.join(out, f"shapes_{n}.jpg"), img)
        print(f"samples/shapes_{n}.jpg  render_scene({s}, 'eval')  {img.shape[1]}x{img.shape[0]}  "
              + ", ".join(o["caption"] for o in objs))


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "train"
    if cmd == "bpe":
        import bpe
        bpe.main()
    elif cmd == "evalset":
        build_evalset()
    elif cmd == "data":
        build_data()
    elif cmd == "train":
        train(int(sys.argv[2]) if len(sys.argv) > 2 else CLIP_STEPS)
    elif cmd == "eval":
        evaluate()
    elif cmd == "export":
        export()
    elif cmd == "reference":
        reference()
    elif cmd == "samples":
        samples()
    else:
        raise SystemExit(__doc__)
