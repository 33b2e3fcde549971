#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""The straightforward baseline for bench_analysis, in PyTorch eager (Python), same weights
(bench_analysis --save-model DIR), same thread count. Prints one JSON line.

--mode hf (default): what `GAUAlphaForMaskedLM(ids, attention_mask, output_attentions=True)` does (the
    JunnYu port, gau_alpha.md §2): the attention-mask fill on every score, the MLM logits at every position
    (the model's forward returns them), every layer's [n, n] attention kept in `outputs.attentions`, and the
    per-query entropy computed from those afterwards. This is the issue's "straightforward way".
--mode lean: a hand-trimmed forward that a performance-minded user might write instead: no mask fill, no
    MLM head, entropy taken per layer as the forward goes (the maps are still kept).

    /usr/bin/python3 bench/baseline_pytorch.py --model DIR --length 4096 --threads 2 [--mode lean]
"""
import argparse
import ctypes
import json
import math
import resource
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--length", type=int, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="report the fastest of this many runs")
    ap.add_argument("--mode", choices=["hf", "lean"], default="hf")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(a.model + "/config.json"))
    sd = torch.load(a.model + "/pytorch_model.bin")
    sd = {k.replace("gau_alpha.", ""): v.float() for k, v in sd.items()}
    L, E, S = cfg["num_hidden_layers"], cfg["intermediate_size"], cfg["attention_key_size"]
    eps = cfg["layer_norm_eps"]
    n = a.length
    V = cfg["vocab_size"]

    def norm(x):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)

    def rope(x, pos):
        inv = 10000.0 ** (-torch.arange(0, S // 2, dtype=torch.float64) * 2 / S)
        ang = pos[:, None].double() * inv[None, :]
        cos, sin = torch.cos(ang).float(), torch.sin(ang).float()
        x0, x1 = x[..., 0::2], x[..., 1::2]
        return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1).flatten(-2)

    hf = a.mode == "hf"

    def run(n):
        ids = torch.tensor([106 + (i * 7919) % (V - 106) for i in range(n)])
        with torch.no_grad():
            pos = torch.arange(n)
            mask = torch.ones(1, n)  # attention_mask of a single unpadded sequence
            h = norm(sd["embeddings.word_embeddings.weight"][ids] + sd["embeddings.token_type_embeddings.weight"][0])
            attentions, entropies = [], []
            for l in range(L):
                p = "encoder.layer.%d.gau." % l
                x = torch.nn.functional.silu(h @ sd[p + "i_dense.weight"].t())
                u, v, z = torch.split(x, [E, E, S], -1)
                q, k = rope(z * sd[p + "q_scaleoffset.weight"], pos), rope(z * sd[p + "k_scaleoffset.weight"], pos)
                s = q @ k.t() / math.sqrt(S)
                if hf:
                    s = torch.where(mask == 0, torch.tensor(-1e4), s)
                A = torch.softmax(s, -1)
                attentions.append(A)
                if not hf:
                    entropies.append(-(A * torch.log(A.clamp_min(1e-30))).sum(-1))
                h = norm(h + (u * (A @ v)) @ sd[p + "o_dense.weight"].t())
            if hf:
                decoder = sd.get("cls.predictions.decoder.weight", sd["embeddings.word_embeddings.weight"])
                logits = h @ decoder.t()  # noqa: F841 (the model forward returns these)
                entropies = [-(A * torch.log(A.clamp_min(1e-30))).sum(-1) for A in attentions]
        return entropies

    run(min(n, 64))  # warm-up (thread pool, allocator), as bench_analysis does
    secs, rss = float("inf"), None
    for _ in range(max(1, a.repeat)):
        t0 = time.perf_counter()
        entropies = run(n)
        secs = min(secs, time.perf_counter() - t0)
        if rss is None:  # peak RSS of one analysis, as bench_analysis reports it
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    try:  # the OpenBLAS kernel set in use (the same libblas.so.3 that torch loaded)
        corename = ctypes.CDLL("libblas.so.3").openblas_get_corename
        corename.restype = ctypes.c_char_p
        core = corename().decode()
    except (OSError, AttributeError):
        core = ""
    print(json.dumps({"impl": "pytorch-eager-" + a.mode, "length": n, "layers": L, "threads": a.threads, "seconds": secs,
                      "peak_rss_mb": rss, "blas_core": core, "entropy_mean_layer0": float(entropies[0].mean())}))


if __name__ == "__main__":
    main()
