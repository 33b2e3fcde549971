#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""The Llama path's speed and memory (issue #14): entroscope-cli analyze against a PyTorch-eager baseline of the
same weights, in the same run, with the same thread count. Prints a table and (--json) one JSON object.

The model is random, of a real small shape: by default 4 layers of TinyLlama-1.1B's width (hidden 2048, 32
heads, 4 KV heads, head 64, intermediate 5632, vocab 32000), stored as BF16 safetensors (written here, once,
into --workdir). The baseline is what a user writes with Hugging Face's eager attention: per layer the
[heads, n, n] probabilities (float32 softmax of q·kᵀ/√d + causal mask), the per-query entropy, max weight, sink
and local mass from them, then the LM head at every position and its argmax. EntroScope computes every
metric of METHODS.md §3 per head and next_top1. Peak RSS of each is measured as its own process's (GNU time).
The GEMM fraction is the forward's useful FLOPs (causal attention counted over the visible keys) per second of
the analysis against the matmul peak of the MLP's product shape, measured before and after each analysis with
bench_analysis --probe-only (sustained: as many products back to back as the analysis has FLOPs; burst:
the best single product), as bench_analysis reports it for GAU-α.

    /usr/bin/python3 bench/bench_llama.py --cli build/app/entroscope-cli --lengths 1024,4096 [--layers 4] [--json]
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "data"))
from make_llama_fixtures import safetensors_bytes  # noqa: E402  (the fixtures' hand-written safetensors writer)


def make_model(folder, layers, hidden, heads, kv, inter, vocab, T):
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab, "hidden_size": hidden,
           "intermediate_size": inter, "num_hidden_layers": layers, "num_attention_heads": heads,
           "num_key_value_heads": kv, "max_position_embeddings": T, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
           "tie_word_embeddings": False, "torch_dtype": "bfloat16"}
    path = os.path.join(folder, "config.json")
    if os.path.exists(path) and json.load(open(path)) == cfg and os.path.exists(os.path.join(folder, "model.safetensors")):
        return cfg
    os.makedirs(folder, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    hd = hidden // heads

    def rnd(*shape, std=0.02):
        return (torch.randn(*shape, generator=g) * std).to(torch.bfloat16)

    w = {"model.embed_tokens.weight": rnd(vocab, hidden, std=1.0), "model.norm.weight": torch.ones(hidden).to(torch.bfloat16),
         "lm_head.weight": rnd(vocab, hidden)}
    for l in range(layers):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = torch.ones(hidden).to(torch.bfloat16)
        w[p + "post_attention_layernorm.weight"] = torch.ones(hidden).to(torch.bfloat16)
        w[p + "self_attn.q_proj.weight"] = rnd(heads * hd, hidden, std=0.05)
        w[p + "self_attn.k_proj.weight"] = rnd(kv * hd, hidden, std=0.05)
        w[p + "self_attn.v_proj.weight"] = rnd(kv * hd, hidden)
        w[p + "self_attn.o_proj.weight"] = rnd(hidden, heads * hd)
        w[p + "mlp.gate_proj.weight"] = rnd(inter, hidden)
        w[p + "mlp.up_proj.weight"] = rnd(inter, hidden)
        w[p + "mlp.down_proj.weight"] = rnd(hidden, inter)
    with open(os.path.join(folder, "model.safetensors.partial"), "wb") as f:
        f.write(safetensors_bytes(w))
    os.replace(os.path.join(folder, "model.safetensors.partial"), os.path.join(folder, "model.safetensors"))
    json.dump(cfg, open(path, "w"), indent=1)
    return cfg


def baseline(folder, n, threads):
    """Run in its own process (--baseline): HF-eager semantics, float32."""
    torch.set_num_threads(threads)
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "data"))
    from make_llama_fixtures import read_safetensors  # noqa: E402
    cfg = json.load(open(os.path.join(folder, "config.json")))
    w = {k: v.float() for k, v in read_safetensors(os.path.join(folder, "model.safetensors")).items()}
    H, nh, kv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, T, eps = H // nh, cfg["max_position_embeddings"], cfg["rms_norm_eps"]
    ids = torch.tensor([(i * 7919 + 13) % cfg["vocab_size"] for i in range(n)])
    t0 = time.time()
    with torch.inference_mode():
        def norm(x, wt):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * wt
        inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        ang = torch.arange(n, dtype=torch.float32)[:, None] * inv[None, :]
        emb = torch.cat([ang, ang], -1)
        cos, sin = emb.cos(), emb.sin()

        def rot(x):
            x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
            return x * cos + torch.cat([-x2, x1], -1) * sin
        mask = torch.full((n, n), torch.finfo(torch.float32).min).triu(1)
        h = w["model.embed_tokens.weight"][ids]
        metrics = []
        for l in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{l}."
            x = norm(h, w[p + "input_layernorm.weight"])
            q = (x @ w[p + "self_attn.q_proj.weight"].T).view(n, nh, hd).transpose(0, 1)
            k = (x @ w[p + "self_attn.k_proj.weight"].T).view(n, kv, hd).transpose(0, 1)
            v = (x @ w[p + "self_attn.v_proj.weight"].T).view(n, kv, hd).transpose(0, 1)
            q, k = rot(q), rot(k)
            k = k.repeat_interleave(nh // kv, 0)
            v = v.repeat_interleave(nh // kv, 0)
            probs = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd) + mask, -1)  # [nh, n, n]
            ent = -(probs * torch.log(probs.clamp_min(1e-30))).sum(-1)
            rel = torch.arange(n)[:, None] - torch.arange(n)[None, :]
            local = (probs * (rel.abs() < T)).sum(-1)
            metrics.append((ent.mean(-1), probs.max(-1).values.mean(-1), probs[..., 0].mean(-1), local.mean(-1)))
            out = (probs @ v).transpose(0, 1).reshape(n, nh * hd)
            del probs
            h = h + out @ w[p + "self_attn.o_proj.weight"].T
            y = norm(h, w[p + "post_attention_layernorm.weight"])
            h = h + (torch.nn.functional.silu(y @ w[p + "mlp.gate_proj.weight"].T) * (y @ w[p + "mlp.up_proj.weight"].T)) \
                @ w[p + "mlp.down_proj.weight"].T
        top = (norm(h, w["model.norm.weight"]) @ w["lm_head.weight"].T).argmax(-1)
    seconds = time.time() - t0
    print(json.dumps({"seconds": seconds, "top": top[:4].tolist(), "entropy_mean_l0h0": float(metrics[0][0][0])}))


def timed(cmd):
    """Runs cmd under GNU time; returns (stdout, stderr, peak RSS in MB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "PEAK_RSS_KB %M"] + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench_llama: %s failed:\n%s" % (cmd[0], p.stderr[-2000:]))
    rss = int(re.search(r"PEAK_RSS_KB (\d+)", p.stderr).group(1)) / 1024.0
    return p.stdout, p.stderr, rss


def forward_gflop(n, layers, hidden, heads, kv, inter, vocab):
    """The useful float32 FLOPs of one causal forward with the LM head at every position, in GFLOP: the
    projections, the MLP, the LM head and q·kᵀ and p·v over the visible (lower-triangle) keys only."""
    hd = hidden // heads
    per_layer = 2 * n * hidden * (heads * hd + 2 * kv * hd) + 2 * n * heads * hd * hidden + 3 * 2 * n * hidden * inter \
        + 2 * 2 * heads * hd * n * (n + 1) / 2
    return (layers * per_layer + 2 * n * hidden * vocab) / 1e9


def probe(tool, threads, m, k, cols, gflop):
    """The matmul peak of the dominant product shape (bench_analysis --probe-only), with enough products back
    to back to last as long as the analysis's FLOPs at that rate (the sustained peak) and a best-of-5 (burst)."""
    reps = max(5, int(math.ceil(gflop * 1e9 / (2.0 * m * k * cols))))
    p = subprocess.run([tool, "--probe-only", "%d,%d,%d,%d" % (m, k, cols, reps), "--threads", str(threads)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench_llama: %s failed:\n%s" % (tool, p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(HERE, "..", "build", "app", "entroscope-cli"))
    ap.add_argument("--lengths", default="1024,4096")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "entroscope-bench-llama"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--probe", default=os.path.join(HERE, "..", "build", "bench", "bench_analysis"),
                    help="bench_analysis, whose --probe-only measures the matmul peak (GEMM fraction)")
    ap.add_argument("--no-probe", action="store_true", help="skip the matmul peak and the GEMM fraction")
    ap.add_argument("--baseline", type=int, help=argparse.SUPPRESS)  # internal: run the baseline at this n
    a = ap.parse_args()
    folder = os.path.join(a.workdir, "model")
    if a.baseline:
        return baseline(folder, a.baseline, a.threads)
    cfg = make_model(folder, a.layers, 2048, 32, 4, 5632, 32000, 2048)
    rows = []
    for n in [int(x) for x in a.lengths.split(",")]:
        ids = ",".join(str((i * 7919 + 13) % cfg["vocab_size"]) for i in range(n))
        gflop = forward_gflop(n, a.layers, 2048, 32, 4, 5632, 32000)
        # The peak of the MLP's product (most of the FLOPs) at this n, measured before and after the analysis.
        shape_mkn = (min(n, 2048), 2048, 5632)
        before = None if a.no_probe else probe(a.probe, a.threads, *shape_mkn, gflop)
        out = os.path.join(a.workdir, "out-%d" % n)
        _, err, rss = timed([a.cli, "analyze", "--model", folder, "--ids", ids, "--length", str(n), "--preset", "native",
                             "--threads", str(a.threads), "--out", out, "--overwrite"])
        es = int(re.search(r"in (\d+) ms", err).group(1)) / 1000.0
        after = None if a.no_probe else probe(a.probe, a.threads, *shape_mkn, gflop)
        bout, _, brss = timed([sys.executable, os.path.abspath(__file__), "--baseline", str(n), "--threads", str(a.threads),
                               "--workdir", a.workdir])
        b = json.loads(bout.strip().splitlines()[-1])
        summary = json.load(open(os.path.join(out, "summary.json")))
        rows.append({"n": n, "entroscope_s": es, "baseline_s": b["seconds"], "speedup": b["seconds"] / es,
                     "entroscope_rss_mb": rss, "baseline_rss_mb": brss, "rss_ratio": rss / brss,
                     "same_top1": summary["next_top1"][:4] == b["top"],
                     "entropy_mean_l0h0_diff": abs(summary["layers"][0]["entropy_mean"] - b["entropy_mean_l0h0"]),
                     "gflop": gflop, "entroscope_gflops": gflop / es, "baseline_gflops": gflop / b["seconds"]})
        if before and after:
            sustained = (before["sustained_gflops"] + after["sustained_gflops"]) / 2
            burst = max(before["burst_gflops"], after["burst_gflops"])
            rows[-1].update({"probe_shape": list(shape_mkn), "sustained_peak_gflops": sustained,
                             "burst_peak_gflops": burst, "gemm_fraction_sustained": gflop / es / sustained,
                             "gemm_fraction_burst": gflop / es / burst})
    shape = {"layers": a.layers, "hidden": 2048, "heads": 32, "kv_heads": 4, "intermediate": 5632, "vocab": 32000,
             "threads": a.threads}
    if a.json:
        print(json.dumps({"shape": shape, "llama": rows}))
        return 0
    print("Llama path, %(layers)d layers of TinyLlama width, %(threads)d threads (same weights, same run)" % shape)
    print("%6s %12s %12s %8s %12s %12s %9s %s" % ("n", "EntroScope s", "baseline s", "speedup", "ES RSS MB", "base RSS MB",
                                                 "RSS ratio", "same top-1, |ΔH| layer 0 head 0"))
    for r in rows:
        print("%6d %12.2f %12.2f %7.2fx %12.0f %12.0f %9.2f %s, %.1e" % (
            r["n"], r["entroscope_s"], r["baseline_s"], r["speedup"], r["entroscope_rss_mb"], r["baseline_rss_mb"],
            r["rss_ratio"], r["same_top1"], r["entropy_mean_l0h0_diff"]))
    print("%6s %8s %14s %14s %16s %14s %14s" % ("n", "GFLOP", "ES GFLOP/s", "base GFLOP/s", "sustained peak",
                                                "ES / sustained", "ES / burst"))
    for r in rows:
        if "sustained_peak_gflops" in r:
            print("%6d %8.0f %14.1f %14.1f %16.1f %13.0f%% %13.0f%%" % (
                r["n"], r["gflop"], r["entroscope_gflops"], r["baseline_gflops"], r["sustained_peak_gflops"],
                100 * r["gemm_fraction_sustained"], 100 * r["gemm_fraction_burst"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
