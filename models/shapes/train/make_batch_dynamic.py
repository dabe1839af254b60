"""Give every graph of the ShapesWorld pack a dynamic batch dimension, without touching its weights.

    /usr/bin/python3 models/shapes/train/make_batch_dynamic.py [--check] [pack folder]

The shipped graphs were traced with one image: the detectors declare `images` [1,3,320,320] and `output0`
[1,4+N,2100], although every shape inside them is already computed from the input (Reshape targets come from
Shape -> Slice -> Concat, the anchors are a [1,2,A] constant that broadcasts, the contrastive head is a batched
MatMul). So the batch is only frozen in the graph's declared inputs and outputs. This script:

1. sets dimension 0 of every graph input and output to the symbolic dimension `batch` (text.onnx and vision.onnx
   were exported with it already; they are checked the same way);
2. walks the graph from the inputs and refuses any Reshape / Expand / Tile / ConstantOfShape whose data depends on
   the batch but whose target shape is a constant with a leading 1 (a frozen batch); a Reshape whose constant
   target starts with 1 is rewritten to 0 ("copy the input's dimension 0") when the data's dimension 0 is the batch;
3. runs ONNX shape inference (strict) and checks that no output's dimension 0 comes out fixed, then
   onnx.checker;
4. proves the weights are untouched: every initializer and every Constant node's tensor is byte-identical before and
   after, and the node list is the same apart from rewritten Reshape targets;
5. sets the metadata `batch` to "dynamic" where the graph carries a `batch` key (the detectors), and saves.

Running it again changes nothing (the files come out byte-identical). `--check` only reports and exits 1 when a
graph still has a fixed batch. The numerical proof (batch B equals batch 1 per item) runs in C# on ONNX Runtime
(tests/OpenVocab.Tests/Inference/PackBatchTests.cs): the outputs came out bit-identical.

This is how the shipped files, whose weights the tests pin, became dynamic-batch graphs without a retrain.
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

PACK = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRAPHS = ("text.onnx", "vision.onnx", "detector.onnx", os.path.join("closed", "detector.onnx"))
BATCH = "batch"
# Ops whose second input is a target shape (or repeats) that a trace with one image may have frozen.
SHAPE_OPS = {"Reshape": 1, "Expand": 1, "Tile": 1, "ConstantOfShape": 0}


def _dim0(value_info):
    dims = value_info.type.tensor_type.shape.dim
    return dims[0] if len(dims) else None


def _set_batch(value_info):
    """Makes dimension 0 symbolic `batch`; returns True when it changed."""
    d = _dim0(value_info)
    if d is None:
        raise ValueError(f"'{value_info.name}' has no dimensions; expected a batch dimension first")
    if d.HasField("dim_param") and d.dim_param == BATCH:
        return False
    if d.HasField("dim_value") and d.dim_value != 1:
        raise ValueError(f"'{value_info.name}' has a fixed batch of {d.dim_value}; expected 1 (a trace with one "
                         "item) or the symbolic dimension 'batch'")
    d.Clear()
    d.dim_param = BATCH
    return True


def _constants(graph):
    """name -> numpy array for initializers and Constant node outputs."""
    out = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    out[n.output[0]] = numpy_helper.to_array(a.t)
    return out


def _batch_dependent(graph):
    """Names of the tensors whose value depends on the graph inputs (and so on the batch)."""
    inits = {i.name for i in graph.initializer}
    tainted = {i.name for i in graph.input if i.name not in inits}
    for n in graph.node:  # ONNX nodes are stored in topological order
        if any(i in tainted for i in n.input if i):
            tainted.update(n.output)
    return tainted


def _fix_frozen_shapes(model, log):
    """Rewrites Reshape targets with a frozen leading 1; fails on any other frozen batch. Returns the rewrites."""
    g = model.graph
    consts = _constants(g)
    tainted = _batch_dependent(g)
    inferred = {vi.name: vi for vi in shape_inference.infer_shapes(model).graph.value_info}
    inferred.update({vi.name: vi for vi in g.input})
    rewrites = []
    for n in g.node:
        if n.op_type not in SHAPE_OPS:
            continue
        data = n.input[0] if n.op_type != "ConstantOfShape" else None
        shape_name = n.input[SHAPE_OPS[n.op_type]]
        if shape_name not in consts or (data is not None and data not in tainted):
            continue  # computed from Shape (dynamic), or acts on constants only (e.g. the baked text embeddings)
        shape = consts[shape_name]
        if shape.ndim != 1 or shape.size == 0 or int(shape[0]) != 1:
            continue
        if n.op_type == "Expand":
            continue  # a leading 1 in Expand's target broadcasts against any batch
        src = inferred.get(data) if data else None
        src_dim0 = _dim0(src) if src is not None else None
        if n.op_type == "Reshape" and src_dim0 is not None and src_dim0.dim_param == BATCH:
            fixed = shape.copy()
            fixed[0] = 0
            new_name = f"{shape_name}_batch_dynamic"
            g.initializer.append(numpy_helper.from_array(fixed.astype(np.int64), new_name))
            n.input[1] = new_name
            rewrites.append(n.name)
            log(f"  {n.name}: Reshape target {shape.tolist()} -> {fixed.tolist()} (0 = keep the batch)")
            continue
        raise ValueError(f"{n.op_type} '{n.name}' has the constant target {shape.tolist()} on batch-dependent data: "
                         "the batch is frozen inside the graph; re-export the model with a dynamic batch instead")
    return rewrites


def _weights(model):
    g = model.graph
    out = {i.name: i.SerializeToString() for i in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            out[n.output[0]] = n.attribute[0].SerializeToString()
    return out


def make_dynamic(path, check_only=False, log=print):
    """Rewrites one graph in place; returns True when the file changed (or, with check_only, would change)."""
    model = onnx.load(path)
    before = _weights(model)
    nodes_before = [(n.op_type, list(n.input), list(n.output)) for n in model.graph.node]
    g = model.graph
    inits = {i.name for i in g.initializer}
    changed = False
    for vi in list(g.input) + list(g.output):
        if vi.name not in inits:
            changed |= _set_batch(vi)
    rewrites = _fix_frozen_shapes(model, log)
    changed |= bool(rewrites)
    meta = {p.key: p for p in model.metadata_props}
    if "batch" in meta and meta["batch"].value != "dynamic":
        meta["batch"].value = "dynamic"
        changed = True
    if check_only:
        log(f"{os.path.relpath(path, PACK)}: {'fixed batch' if changed else 'dynamic batch'}")
        return changed

    # The weights must come through unchanged: same initializers and Constant tensors, same nodes (only the
    # rewritten Reshape targets may point at a new initializer).
    after = _weights(model)
    assert all(after[k] == v for k, v in before.items()), "a weight changed"
    nodes_after = [(n.op_type, list(n.input), list(n.output)) for n in model.graph.node]
    assert len(nodes_after) == len(nodes_before) and all(
        a[0] == b[0] and a[2] == b[2] for a, b in zip(nodes_after, nodes_before)), "the node list changed"

    del g.value_info[:]  # traced intermediate shapes may name the old fixed batch; ONNX Runtime infers its own
    shape_inference.infer_shapes(model, check_type=True, strict_mode=True)  # raises on a declared/inferred clash
    # Infer the outputs again without their declared shapes: a dimension 0 that comes out fixed means the batch is
    # frozen somewhere inside. (ONNX's inference gives up on the detectors' Resize/Reshape chain and leaves the
    # output rank unknown; the C# batch tests are the proof for those.)
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for o in probe.graph.output:
        o.type.tensor_type.ClearField("shape")
    for o in shape_inference.infer_shapes(probe, strict_mode=True, data_prop=True).graph.output:
        d = _dim0(o)
        if d is not None and d.HasField("dim_value"):
            raise ValueError(f"{path}: output '{o.name}' infers dimension 0 as {d.dim_value}; expected the batch")
    onnx.checker.check_model(model, full_check=True)
    if changed:
        onnx.save(model, path)
    dims = {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in list(g.input) + list(g.output) if v.name not in inits}
    log(f"{os.path.relpath(path, PACK)}: {'rewritten' if changed else 'already dynamic'} {dims}")
    return changed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pack", nargs="?", default=PACK, help="pack folder (default: models/shapes)")
    ap.add_argument("--check", action="store_true", help="report only; exit 1 when a graph has a fixed batch")
    a = ap.parse_args(argv)
    fixed = [f for f in GRAPHS if os.path.exists(os.path.join(a.pack, f))
             and make_dynamic(os.path.join(a.pack, f), a.check)]
    if a.check and fixed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
