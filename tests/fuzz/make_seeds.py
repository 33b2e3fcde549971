#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""Writes the fuzz seed corpora that the fixtures do not already provide, into tests/fuzz/corpus/<target>/.

Python's standard library only (the formats are written from their specifications, not by EntroScope):
  safetensors  valid files: F32/F16/BF16/F64 tensors, a scalar, an empty tensor, __metadata__
  pickle       data.pkl of the fixture checkpoints (valid, forbidden-global and eval-based ones)
  vocab        WordPiece vocab.txt + NUL + a text (LF, CRLF, BOM, Unicode, [MASK])
  npy          float32 arrays, format 1.0 and 2.0, C and Fortran order, 0-d
  session      .entroscope sessions (minimal, full, custom method, concat)
Run it after changing a fixture: /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import json
import os
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def safetensors(tensors, metadata=None):
    """tensors: name -> (dtype, shape, raw bytes)."""
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)  # the format pads the header to 8 bytes
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def f32(values):
    return struct.pack("<%df" % len(values), *values)


def f16(values):
    return struct.pack("<%de" % len(values), *values)


def bf16(values):
    return b"".join(struct.pack("<f", v)[2:] for v in values)


def npy(shape, values, version=1, fortran=False):
    d = "{'descr': '<f4', 'fortran_order': %s, 'shape': (%s), }" % (
        "True" if fortran else "False",
        "".join("%d," % s for s in shape) if len(shape) != 1 else "%d," % shape[0])
    pre = 10 if version == 1 else 12
    pad = (64 - (pre + len(d) + 1) % 64) % 64
    h = (d + " " * pad + "\n").encode("latin1")
    magic = b"\x93NUMPY" + bytes([version, 0])
    hl = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))
    return magic + hl + h + f32(values)


def main():
    put("safetensors", "f32.safetensors", safetensors({
        "gau_alpha.embeddings.word_embeddings.weight": ("F32", [4, 3], f32([0.1 * i for i in range(12)])),
        "b": ("F32", [3], f32([1, 2, 3]))}))
    put("safetensors", "mixed.safetensors", safetensors({
        "half": ("F16", [2, 2], f16([0.5, -1, 2, 0])),
        "brain": ("BF16", [3], bf16([1.0, -2.0, 3.5])),
        "double": ("F64", [2], struct.pack("<2d", 1.5, -2.5)),
        "scalar": ("F32", [], f32([7])),
        "empty": ("F32", [0, 4], b"")}, metadata={"format": "pt"}))
    put("safetensors", "empty-header.safetensors", safetensors({}))

    for name in ("models/mini-2layer", "bad/hostile-pickle", "bad/hostile-eval", "bad/missing-key"):
        with zipfile.ZipFile(os.path.join(DATA, name, "pytorch_model.bin")) as z:
            pkl = [n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"][0]
            put("pickle", name.replace("/", "-") + ".pkl", z.read(pkl))

    with open(os.path.join(DATA, "models", "mini-2layer", "vocab.txt"), "rb") as f:
        vocab = f.read()
    texts = ["hello world", "Hello, WORLD!! 12345 [MASK] x", "你好，世界。 naïve café ﬁ", "  tabs\tand\u00a0spaces  \n"]
    for i, text in enumerate(texts):
        put("vocab", "lf-%d.bin" % i, vocab + b"\0" + text.encode("utf-8"))
    put("vocab", "crlf-bom.bin", b"\xef\xbb\xbf" + vocab.replace(b"\n", b"\r\n") + b"\0" + texts[1].encode())
    put("vocab", "tiny.bin", b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n##b\n\0ab ba a")

    put("npy", "v1.npy", npy([2, 3], [0, 1, 2, 3, 4, 5]))
    put("npy", "v2-fortran.npy", npy([3, 2], [0, 1, 2, 3, 4, 5], version=2, fortran=True))
    put("npy", "scalar.npy", npy([], [3.5]))
    put("npy", "vector.npy", npy([4], [1, 2, 3, 4]))

    base = {"format": "entroscope-session", "version": 1}
    put("session", "minimal.entroscope", json.dumps(base))
    put("session", "full.entroscope", json.dumps(dict(base, model="/models/demo", text="A text.\nTwo lines.",
        length=4096, fill="concat", method="infoscale", compare=["log-n", "window:32"],
        compare_reference="window:32", train_length=64, layer=2,
        view={"tab": 6, "log_scale": True, "inspect_query": 12}), indent=1))
    put("session", "custom.entroscope", json.dumps(dict(base, method="ssmax:0.3,cosscale:14,rerope:16,visible",
        length=1, fill="truncate", compare=[])))
    put("session", "wrong-types.entroscope", json.dumps(dict(base, length="long", layer=[], view=3)))


if __name__ == "__main__":
    main()
