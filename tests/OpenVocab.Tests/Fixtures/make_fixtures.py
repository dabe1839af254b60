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
