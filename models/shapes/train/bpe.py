"""Byte-level BPE for ShapesWorld, in OpenAI CLIP's vocabulary format.

Training (`python3 bpe.py`) learns merges from the ShapesWorld captions and prompt
templates and writes models/shapes/vocab.bpe.txt in the `bpe_simple_vocab_16e6.txt`
layout: first line "#version: 0.2", then one merge "a b" per line, with "</w>"
marking a word-final piece.

Vocabulary, built exactly as OpenAI's SimpleTokenizer builds it:
  ids 0..255     the 256 byte-to-unicode characters (in bytes_to_unicode() order)
  ids 256..511   the same characters + "</w>"
  then one id per merge (the two pieces joined), in file order
  then "<|startoftext|>", "<|endoftext|>" (the last two ids; EOT is the largest id,
  which the text encoder's argmax pooling relies on).
Every merge line of the file is used (OpenAI slices merges[1:49152-256-2+1]; with this
small file the slice is the whole file).

Tokenizing (`tokenize`), following OpenAI's simple_tokenizer:
  NFC, html.unescape twice, collapse whitespace, strip, lower-case (ftfy.fix_text is
  not applied: ftfy is not available here; it is a no-op on plain ASCII prompts);
  split with the pattern below; each piece -> UTF-8 bytes -> byte-to-unicode chars ->
  BPE (lowest-rank pair first, "</w>" on the last char) -> ids.
  Output: [SOT] + ids + [EOT], zero-padded to CONTEXT_LENGTH (16); longer input is cut
  to CONTEXT_LENGTH tokens and the last one replaced by EOT (OpenAI's truncate=True).

Pattern: OpenAI uses the `regex` module:
  <\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+
Python's `re` has no \\p classes, so here \\p{L} is approximated by [^\\W\\d_] (Unicode word
characters minus digits and underscore: this also admits combining marks \\p{M} and
letter-like numerics such as Roman numerals, which \\p{L} does not), and \\p{N} by \\d
(decimal digits only; \\p{N} also has e.g. superscripts and fractions). For ASCII text,
which is all ShapesWorld uses, the two patterns are identical.
"""
from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter

from paths import VOCAB

CONTEXT_LENGTH = 16
SOT, EOT = "<|startoftext|>", "<|endoftext|>"
VOCAB_PATH = VOCAB

_PAT = re.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+""",
    re.IGNORECASE)


def bytes_to_unicode() -> dict:
    """Map each byte to a printable unicode char (printable Latin-1 bytes map to themselves,
    the rest to 256 + n in order), same mapping as GPT-2/CLIP."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    table = {}
    extra = 0
    for b in keep:
        table[b] = chr(b)
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    # Order matters for the vocabulary: kept bytes first, then the remapped ones.
    order = keep + [b for b in range(256) if b not in keep]
    return {b: table[b] for b in order}


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = html.unescape(html.unescape(text))
    text = re.sub(r"\s+", " ", text).strip()
    return text.lower()


def split_words(text: str) -> list:
    return _PAT.findall(clean(text))


# ---------------------------------------------------------------- tokenizer
class Tokenizer:
    def __init__(self, bpe_path: str = VOCAB_PATH):
        with open(bpe_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(l.split()) for l in lines[1:] if l.strip()]
        self.byte_encoder = bytes_to_unicode()
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += [SOT, EOT]
        self.encoder = {v: i for i, v in enumerate(vocab)}
        self.decoder = {i: v for v, i in self.encoder.items()}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.sot, self.eot = self.encoder[SOT], self.encoder[EOT]
        self.vocab_size = len(vocab)
        self.cache = {SOT: SOT, EOT: EOT}

    def bpe(self, token: str) -> str:
        if token in self.cache:
            return self.cache[token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            a, b = best
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == a and word[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        res = " ".join(word)
        self.cache[token] = res
        return res

    def encode(self, text: str) -> list:
        ids = []
        for piece in split_words(text):
            piece = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(piece).split(" "))
        return ids

    def decode(self, ids) -> str:
        inv = {v: k for k, v in self.byte_encoder.items()}
        text = "".join(self.decoder[i] for i in ids)
        return bytearray(inv[c] for c in text.replace("</w>", " ").replace(SOT, "").replace(EOT, "")
                         if c in inv).decode("utf-8", errors="replace").strip()

    def tokenize(self, texts, context_length: int = CONTEXT_LENGTH):
        import torch
        if isinstance(texts, str):
            texts = [texts]
        out = torch.zeros(len(texts), context_length, dtype=torch.long)
        for i, t in enumerate(texts):
            ids = [self.sot] + self.encode(t) + [self.eot]
            if len(ids) > context_length:
                ids = ids[:context_length]
                ids[-1] = self.eot
            out[i, :len(ids)] = torch.tensor(ids)
        return out


_DEFAULT = None


def get_tokenizer() -> Tokenizer:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Tokenizer()
    return _DEFAULT


def tokenize(texts, context_length: int = CONTEXT_LENGTH):
    """list[str] -> LongTensor [N, context_length] (SOT ... EOT, zero padding)."""
    return get_tokenizer().tokenize(texts, context_length)


# ---------------------------------------------------------------- training
def training_corpus() -> list:
    """Every text the CLIP is trained or evaluated with (captions.all_caption_texts)."""
    from captions import all_caption_texts
    return all_caption_texts()


def learn_merges(texts) -> list:
    """Plain BPE on word counts: merge the most frequent adjacent pair (ties: the
    lexicographically smallest pair) until every word is one symbol."""
    enc = bytes_to_unicode()
    counts = Counter()
    for t in texts:
        for w in split_words(t):
            counts["".join(enc[b] for b in w.encode("utf-8"))] += 1
    words = {w: (list(w[:-1]) + [w[-1] + "</w>"]) for w in counts}
    merges = []
    while True:
        pairs = Counter()
        for w, syms in words.items():
            for i in range(len(syms) - 1):
                pairs[(syms[i], syms[i + 1])] += counts[w]
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        a, b = best
        for w, syms in words.items():
            out, i = [], 0
            while i < len(syms):
                if i < len(syms) - 1 and syms[i] == a and syms[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            words[w] = out
    return merges


def main():
    texts = training_corpus()
    merges = learn_merges(texts)
    with open(VOCAB_PATH, "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    tok = Tokenizer(VOCAB_PATH)
    worst = 0
    for t in set(texts):
        for w in split_words(t):
            worst = max(worst, len(tok.encode(w)))
    print(f"{len(merges)} merges, vocab size {tok.vocab_size}, max tokens per word {worst}")
    for t in ["a photo of a red star.", "  Small   ORANGE circle ", "it's a pink&amp;blue ring!"]:
        print(repr(t), tok.tokenize([t])[0].tolist())


if __name__ == "__main__":
    main()
