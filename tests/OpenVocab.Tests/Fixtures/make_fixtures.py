"""Writes the small ONNX fixtures the tests use to provoke load-time checks.

Run with Debian's interpreter: /usr/bin/python3 tests/OpenVocab.Tests/Fixtures/make_fixtures.py
"""
import os

import torch

here = os.path.dirname(os.path.abspath(__file__))


class TextEncoderOfWidth17(torch.nn.Module):
    """A text encoder that takes ShapesWorld's input_ids [B, 16] but gives 17-wide embeddings."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(1024, 17)

    def forward(self, input_ids):
        return self.embed(input_ids % 1024).mean(dim=1)


torch.manual_seed(0)
torch.onnx.export(TextEncoderOfWidth17().eval(), torch.zeros(2, 16, dtype=torch.int64),
                  os.path.join(here, "text-width17.onnx"), input_names=["input_ids"], output_names=["text_embeds"],
                  dynamic_axes={"input_ids": {0: "batch"}, "text_embeds": {0: "batch"}}, opset_version=17)


class TinyWorld(torch.nn.Module):
    """A minimal text-conditioned detector on 32x32 inputs and ShapesWorld's 64-wide text embeddings, exported in both
    output layouts the loader reads, so a test can show both decode to the same detections."""

    def __init__(self, scores_boxes):
        super().__init__()
        self.scores_boxes = scores_boxes
        self.feat = torch.nn.Conv2d(3, 16, 4, stride=4)
        self.box = torch.nn.Conv2d(16, 4, 1)
        self.embed = torch.nn.Conv2d(16, 64, 1)
        ys, xs = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
        self.register_buffer("centres", torch.stack(((xs.flatten() + 0.5) * 4, (ys.flatten() + 0.5) * 4)).unsqueeze(0))

    def forward(self, images, txt_feats):
        f = torch.relu(self.feat(images))
        d = self.box(f).flatten(2).sigmoid() * 12 + 2  # distances to the left, top, right, bottom edges
        x1y1 = self.centres - d[:, :2]
        x2y2 = self.centres + d[:, 2:]
        e = torch.nn.functional.normalize(self.embed(f).flatten(2), dim=1)
        scores = torch.einsum("bca,bnc->bna", e, txt_feats).mul(10).sigmoid()
        if self.scores_boxes:
            return scores.transpose(1, 2), torch.cat((x1y1, x2y2), 1).transpose(1, 2)
        return torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1, scores), 1)


torch.manual_seed(0)
tiny = TinyWorld(scores_boxes=False).eval()
tiny_images, tiny_text = torch.rand(1, 3, 32, 32), torch.nn.functional.normalize(torch.randn(1, 3, 64), dim=-1)
torch.onnx.export(tiny, (tiny_images, tiny_text), os.path.join(here, "tiny-world-yolo.onnx"),
                  input_names=["images", "txt_feats"], output_names=["output0"],
                  dynamic_axes={"txt_feats": {1: "num_classes"}, "output0": {1: "rows"}}, opset_version=17)
tiny.scores_boxes = True
torch.onnx.export(tiny, (tiny_images, tiny_text), os.path.join(here, "tiny-world-scores-boxes.onnx"),
                  input_names=["images", "text_features"], output_names=["scores", "boxes"],
                  dynamic_axes={"text_features": {1: "num_classes"}, "scores": {2: "num_classes"}}, opset_version=17)
