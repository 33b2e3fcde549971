#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""The straightforward baseline for bench_analysis: the same GAU-α forward in PyTorch eager (Python),
full [n, n] attention per layer captured (as output_attentions would) and the per-query entropy computed
from it. Same weights (bench_analysis --save-model DIR), same thread count. Prints one JSON line.

    /usr/bin/python3 bench/baseline_pytorch.py --model DIR --length 4096 --threads 2
"""
import argparse
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
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(a.model + "/config.json"))
    sd = torch.load(a.model + "/pytorch_model.bin")
    sd = {k.replace("gau_alpha.", ""): v.float() for k, v in sd.items()}
    L, E, S = cfg["num_hidden_layers"], cfg["intermediate_size"], cfg["attention_key_size"]
    eps = cfg["layer_norm_eps"]
    n = a.length
    V = cfg["vocab_size"]
    ids = torch.tensor([106 + (i * 7919) % (V - 106) for i in range(n)])

    def norm(x):
        return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)

    def rope(x, pos):
        inv = 10000.0 ** (-torch.arange(0, S // 2, dtype=torch.float64) * 2 / S)
        ang = pos[:, None].double() * inv[None, :]
        cos, sin = torch.cos(ang).float(), torch.sin(ang).float()
        x0, x1 = x[..., 0::2], x[..., 1::2]
        return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1).flatten(-2)

    t0 = time.perf_counter()
    with torch.no_grad():
        pos = torch.arange(n)
        h = norm(sd["embeddings.word_embeddings.weight"][ids] + sd["embeddings.token_type_embeddings.weight"][0])
        attentions, entropies = [], []
        for l in range(L):
            p = "encoder.layer.%d.gau." % l
            x = torch.nn.functional.silu(h @ sd[p + "i_dense.weight"].t())
            u, v, z = torch.split(x, [E, E, S], -1)
            q, k = rope(z * sd[p + "q_scaleoffset.weight"], pos), rope(z * sd[p + "k_scaleoffset.weight"], pos)
            A = torch.softmax(q @ k.t() / math.sqrt(S), -1)
            attentions.append(A)
            entropies.append(-(A * torch.log(A.clamp_min(1e-30))).sum(-1))
            h = norm(h + (u * (A @ v)) @ sd[p + "o_dense.weight"].t())
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"impl": "pytorch-eager", "length": n, "layers": L, "threads": a.threads, "seconds": secs,
                      "peak_rss_mb": rss, "entropy_mean_layer0": float(entropies[0].mean())}))


if __name__ == "__main__":
    main()
