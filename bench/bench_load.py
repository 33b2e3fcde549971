#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""Memory of loading a Llama-family checkpoint (issue #14: "a 1 B-parameter checkpoint loads without doubling its
size in RAM"). Writes one random model of a real shape (default: 2 layers of TinyLlama-1.1B's width, untied
head: 2 × 44 M + 2 × 65.5 M parameters) as F32 and as BF16 `model.safetensors`, and a tiny model of the same
layout; runs `entroscope-cli analyze --length 16` on each under GNU time; prints the peak RSS of each run
against, in the same run, (a) the tiny model's peak RSS (the process without weights) and (b) the weights'
float32 size, the least a float32 engine can hold. `(peak − tiny) / float32` near 1 means the file is not held
a second time beside the float32 weights.

    /usr/bin/python3 bench/bench_load.py --cli build/app/entroscope-cli [--layers 2] [--workdir DIR] [--json]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "data"))
from make_llama_fixtures import safetensors_bytes  # noqa: E402  (the fixtures' hand-written safetensors writer)


def make(folder, dtype, layers, hidden, heads, kv, inter, vocab):
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab, "hidden_size": hidden,
           "intermediate_size": inter, "num_hidden_layers": layers, "num_attention_heads": heads,
           "num_key_value_heads": kv, "max_position_embeddings": 2048, "rms_norm_eps": 1e-5,
           "tie_word_embeddings": False}
    path = os.path.join(folder, "config.json")
    weights = os.path.join(folder, "model.safetensors")
    g = torch.Generator().manual_seed(3)
    hd = hidden // heads
    shapes = {"model.embed_tokens.weight": (vocab, hidden), "model.norm.weight": (hidden,), "lm_head.weight": (vocab, hidden)}
    for l in range(layers):
        p = "model.layers.%d." % l
        shapes.update({p + "input_layernorm.weight": (hidden,), p + "post_attention_layernorm.weight": (hidden,),
                       p + "self_attn.q_proj.weight": (heads * hd, hidden), p + "self_attn.k_proj.weight": (kv * hd, hidden),
                       p + "self_attn.v_proj.weight": (kv * hd, hidden), p + "self_attn.o_proj.weight": (hidden, heads * hd),
                       p + "mlp.gate_proj.weight": (inter, hidden), p + "mlp.up_proj.weight": (inter, hidden),
                       p + "mlp.down_proj.weight": (hidden, inter)})
    params = sum(torch.Size(s).numel() for s in shapes.values())
    if not (os.path.exists(path) and json.load(open(path)) == cfg and os.path.exists(weights)):
        os.makedirs(folder, exist_ok=True)
        w = {k: (torch.randn(*s, generator=g) * 0.02).to(dtype) if len(s) == 2 else torch.ones(*s).to(dtype)
             for k, s in shapes.items()}
        with open(weights + ".partial", "wb") as f:
            f.write(safetensors_bytes(w))
        os.replace(weights + ".partial", weights)
        json.dump(cfg, open(path, "w"), indent=1)
    return params, os.path.getsize(weights)


def peak(cli, folder, out):
    p = subprocess.run(["/usr/bin/time", "-f", "PEAK_RSS_KB %M", cli, "analyze", "--model", folder, "--ids",
                        ",".join(str(i) for i in range(16)), "--length", "16", "--out", out, "--overwrite",
                        "--threads", "1"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench_load: analyze failed:\n" + p.stderr[-2000:])
    return int(re.search(r"PEAK_RSS_KB (\d+)", p.stderr).group(1)) / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "build", "app", "entroscope-cli"))
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "entroscope-bench-load"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    out = os.path.join(a.workdir, "out")
    _, _ = make(os.path.join(a.workdir, "tiny"), torch.float32, 1, 64, 4, 2, 128, 256)
    base = peak(a.cli, os.path.join(a.workdir, "tiny"), out)
    rows = []
    for name, dtype in (("F32", torch.float32), ("BF16", torch.bfloat16)):
        params, size = make(os.path.join(a.workdir, name.lower()), dtype, a.layers, 2048, 32, 4, 5632, 32000)
        rss = peak(a.cli, os.path.join(a.workdir, name.lower()), out)
        f32 = params * 4 / 2 ** 20
        rows.append({"dtype": name, "parameters": params, "file_mb": size / 2 ** 20, "float32_mb": f32,
                     "peak_rss_mb": rss, "tiny_model_rss_mb": base, "ratio_to_float32": (rss - base) / f32})
    if a.json:
        print(json.dumps(rows))
        return
    print("| stored | parameters | file MB | float32 MB | peak RSS MB | − tiny model (%.0f MB) | / float32 |" % base)
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %.1f M | %.0f | %.0f | %.0f | %.0f | %.2f |" % (
            r["dtype"], r["parameters"] / 1e6, r["file_mb"], r["float32_mb"], r["peak_rss_mb"],
            r["peak_rss_mb"] - base, r["ratio_to_float32"]))


if __name__ == "__main__":
    main()
