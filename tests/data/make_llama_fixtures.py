#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""Generate EntroScope's Llama-family test fixtures and golden outputs (deterministic, fixed seeds).

Run from the repository root:

    /usr/bin/python3 tests/data/make_llama_fixtures.py            # (re)write everything under tests/data/llama/
    /usr/bin/python3 tests/data/make_llama_fixtures.py --check    # self-checks of the reference only

Needs PyTorch (1.13) and numpy only: no `transformers`, no `safetensors` package (safetensors files are
written and read by hand with struct + json). The reference forward pass below is a deliberately plain,
full-matrix, per-head float64 implementation of Hugging Face's LlamaForCausalLM (and its Mistral / Qwen2
variants) written from shared research/llama_family.md sections 1-4, parameterised by an attention method
exactly as design/METHODS.md sections 1, 3 and 6 define it. It shares no code with the C++ engine.

Outputs (see tests/data/README.md, section "llama/"):
  llama/models/<name>/      tiny random-weight checkpoints (config.json + weights), four of them with rope_scaling
  llama/bad/<name>/         broken checkpoints a loader must reject; EXPECT = a substring of the error
  llama/golden/cases.json   list of golden cases (method, ids, next_top1, per-(layer, head) metrics)
  llama/golden/<case>/      maps.npy (float32 [L, H, n, n]) and logits.npy (float32 [n, V])
"""

import argparse
import collections
import json
import math
import os
import re
import shutil
import struct
import sys

import numpy as np
import torch

DATA_DIR = os.path.dirname(os.path.abspath(__file__))
TRAIN_LENGTH = 16          # max_position_embeddings of every model here
N_LONG = 40                # test length of most cases (2.5 T)
N_SHORT = 12               # a length below T

# Margins the goldens are kept away from (asserted in make_goldens; the seeds were chosen for them).
MARGIN_K90 = 1e-5          # every sorted cumulative row sum is this far from the k90 threshold 0.9 - 1e-6
MARGIN_TOP1 = 1e-3         # every top-1 logit leads the runner-up by at least this much
MAX_FP32_ATTENTION = 5e-6  # a float32 run of this very reference stays this close to the float64 maps
MAX_FP32_RELU2 = 2e-5      # ... squared_relu maps, relative to max(1, |weight|) (raw weights reach ~100)
MAX_FP32_LOGITS = 1e-4     # ... and to the float64 logits


# ----------------------------------------------------------------------------------------------
# Configs (Hugging Face form) and geometry
# ----------------------------------------------------------------------------------------------

def hf_config(model_type, heads, kv_heads, rope_theta, tie, torch_dtype, head_dim=None, extra=None):
    arch = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM"}[model_type]
    cfg = {
        "architectures": [arch],
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": TRAIN_LENGTH,
        "model_type": model_type,
        "num_attention_heads": heads,
        "num_hidden_layers": 2,
        "num_key_value_heads": kv_heads,
        "rms_norm_eps": 1e-05,
        "rope_theta": float(rope_theta),
        "tie_word_embeddings": tie,
        "torch_dtype": torch_dtype,
        "transformers_version": "4.44.0",
        "use_cache": True,
        "vocab_size": 80,
    }
    if model_type == "llama":
        cfg.update({"attention_bias": False, "mlp_bias": False, "pretraining_tp": 1, "rope_scaling": None})
    if head_dim is not None:
        cfg["head_dim"] = head_dim
    if extra:
        cfg.update(extra)
    return collections.OrderedDict(sorted(cfg.items()))  # transformers writes sorted keys


def geometry(cfg):
    """(heads, kv_heads, head_dim) with the Hugging Face defaults (llama_family.md 1.1)."""
    H = int(cfg["num_attention_heads"])
    KV = cfg.get("num_key_value_heads")
    KV = H if KV is None else int(KV)
    d = cfg.get("head_dim")
    d = int(cfg["hidden_size"]) // H if d is None else int(d)
    return H, KV, d


def model_window(cfg, layer):
    """The checkpoint's own sliding window for a layer (None = none): Mistral's applies to every layer;
    Qwen2's only with use_sliding_window and then for layers >= max_window_layers (llama_family.md 3.8-3.9)."""
    mt = cfg["model_type"]
    if mt == "mistral":
        return cfg.get("sliding_window")
    if mt == "qwen2" and cfg.get("use_sliding_window"):
        if layer >= int(cfg.get("max_window_layers", 0)):
            return cfg.get("sliding_window")
    return None


def has_qkv_bias(cfg):
    return cfg["model_type"] == "qwen2" or (cfg["model_type"] == "llama" and cfg.get("attention_bias", False))


def tied(cfg):
    return bool(cfg.get("tie_word_embeddings", False))


def weight_names_shapes(cfg):
    """State-dict names and shapes, in the order of a Hugging Face state_dict (llama_family.md 2.1)."""
    Hd, I, V = int(cfg["hidden_size"]), int(cfg["intermediate_size"]), int(cfg["vocab_size"])
    H, KV, d = geometry(cfg)
    out = [("model.embed_tokens.weight", [V, Hd])]
    for L in range(int(cfg["num_hidden_layers"])):
        p = "model.layers.%d." % L
        out += [(p + "self_attn.q_proj.weight", [H * d, Hd])]
        if has_qkv_bias(cfg):
            out += [(p + "self_attn.q_proj.bias", [H * d])]
        out += [(p + "self_attn.k_proj.weight", [KV * d, Hd])]
        if has_qkv_bias(cfg):
            out += [(p + "self_attn.k_proj.bias", [KV * d])]
        out += [(p + "self_attn.v_proj.weight", [KV * d, Hd])]
        if has_qkv_bias(cfg):
            out += [(p + "self_attn.v_proj.bias", [KV * d])]
        out += [(p + "self_attn.o_proj.weight", [Hd, H * d]),
                (p + "mlp.gate_proj.weight", [I, Hd]),
                (p + "mlp.up_proj.weight", [I, Hd]),
                (p + "mlp.down_proj.weight", [Hd, I]),
                (p + "input_layernorm.weight", [Hd]),
                (p + "post_attention_layernorm.weight", [Hd])]
    out += [("model.norm.weight", [Hd])]
    if not tied(cfg):
        out += [("lm_head.weight", [V, Hd])]
    return out


def random_weights(cfg, seed, qk_std=0.35, other_std=0.15, bias_std=0.3, lm_head_std=1.0):
    """float32 weights, scaled so attention is far from uniform: embeddings N(0,1), q/k N(0, qk_std²),
    v/o/MLP N(0, other_std²), RMSNorm weights 1 + 0.1 N(0,1), q/k/v biases N(0, bias_std²)."""
    g = torch.Generator().manual_seed(seed)
    w = collections.OrderedDict()
    for name, shape in weight_names_shapes(cfg):
        z = torch.randn(*shape, generator=g, dtype=torch.float32)
        if name.endswith("layernorm.weight") or name == "model.norm.weight":
            t = 1.0 + 0.1 * z
        elif name.endswith(".bias"):
            t = bias_std * z
        elif name == "model.embed_tokens.weight":
            t = z
        elif name == "lm_head.weight":
            t = lm_head_std * z
        elif ".q_proj." in name or ".k_proj." in name:
            t = qk_std * z
        else:
            t = other_std * z
        w[name] = t.contiguous()
    return w


# ----------------------------------------------------------------------------------------------
# safetensors, written and read by hand (llama_family.md section 4)
# ----------------------------------------------------------------------------------------------

ST_DTYPES = {torch.float32: ("F32", 4), torch.float16: ("F16", 2), torch.bfloat16: ("BF16", 2)}
ST_NAMES = {v[0]: (k, v[1]) for k, v in ST_DTYPES.items()}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    if t.dtype == torch.float16:
        return t.numpy().astype("<f2").tobytes()
    assert t.dtype == torch.float32
    return t.numpy().astype("<f4").tobytes()


def safetensors_bytes(tensors, metadata=True):
    """Like the reference writer: tensors laid out by dtype size descending, then by name; offsets
    contiguous from 0; header padded with spaces to a multiple of 8; {"format": "pt"} metadata."""
    header = collections.OrderedDict()
    if metadata:
        header["__metadata__"] = {"format": "pt"}
    blobs = []
    offset = 0
    for name in sorted(tensors, key=lambda k: (-ST_DTYPES[tensors[k].dtype][1], k)):
        t = tensors[name]
        b = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype][0], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    return struct.pack("<Q", len(hb)) + hb + b"".join(blobs)


def read_safetensors(path):
    """Strict reader (the checks of llama_family.md 4.5). Returns name -> tensor in the stored dtype."""
    with open(path, "rb") as f:
        return parse_safetensors(f.read(), path)


def parse_safetensors(raw, path="<bytes>"):
    if len(raw) < 8:
        raise ValueError("%s: file shorter than 8 bytes" % path)
    (hlen,) = struct.unpack("<Q", raw[:8])
    if 8 + hlen > len(raw):
        raise ValueError("%s: header length %d beyond the file size %d" % (path, hlen, len(raw)))
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    data = raw[8 + hlen:]
    out = {}
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            assert all(isinstance(v, str) for v in info.values())
            continue
        dtype, size = ST_NAMES[info["dtype"]]
        a, b = info["data_offsets"]
        numel = int(np.prod(info["shape"])) if info["shape"] else 1
        if not (0 <= a <= b <= len(data)) or b - a != numel * size:
            raise ValueError("%s: bad data_offsets for %s" % (path, name))
        spans.append((a, b))
        chunk = data[a:b]
        if dtype == torch.bfloat16:
            t = torch.from_numpy(np.frombuffer(chunk, dtype="<i2").astype(np.int16)).view(torch.bfloat16)
        elif dtype == torch.float16:
            t = torch.from_numpy(np.frombuffer(chunk, dtype="<f2").astype(np.float16))
        else:
            t = torch.from_numpy(np.frombuffer(chunk, dtype="<f4").astype(np.float32))
        out[name] = t.reshape(info["shape"]).clone()
    spans.sort()
    end = 0
    for a, b in spans:
        if a != end:
            raise ValueError("%s: hole or overlap in the data section" % path)
        end = b
    if end != len(data):
        raise ValueError("%s: data section longer than its tensors" % path)
    return out


def load_model(folder):
    """Independent plain loader for the goldens: config + weights upcast to float64 (lm_head = embedding
    when tied; rotary_emb.inv_freq ignored; every expected tensor present with its expected shape)."""
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f, object_pairs_hook=collections.OrderedDict)
    raw = {}
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index, encoding="utf-8") as f:
            wm = json.load(f)["weight_map"]
        shards = {fn: read_safetensors(os.path.join(folder, fn)) for fn in sorted(set(wm.values()))}
        for name, fn in wm.items():
            raw[name] = shards[fn][name]
        assert sum(len(s) for s in shards.values()) == len(wm)
    elif os.path.exists(os.path.join(folder, "model.safetensors")):
        raw = read_safetensors(os.path.join(folder, "model.safetensors"))
    else:
        raw = torch.load(os.path.join(folder, "pytorch_model.bin"), map_location="cpu")
    w = {}
    for name, t in raw.items():
        if name.endswith("rotary_emb.inv_freq"):
            continue
        w[name] = t.detach().to(torch.float64).contiguous()
    expected = dict(weight_names_shapes(cfg))
    assert set(w) == set(expected), (folder, set(w) ^ set(expected))
    for name, shape in expected.items():
        assert list(w[name].shape) == shape, (name, w[name].shape, shape)
    return cfg, w


# ----------------------------------------------------------------------------------------------
# Methods: canonical strings (METHODS.md 1 and 6)
# ----------------------------------------------------------------------------------------------

def fmt_num(x):
    """Integer-valued parameters without decimals, otherwise the shortest round-trip repr."""
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


def parse_method(temperature, qk, position, key_count, T):
    """Returns (spec, canonical strings (temperature, qk, position)). Every parameter must be explicit
    or takes the METHODS.md default (ssmax s = 1/ln T, window/rerope W = T, sinks S = 4, ALiBi M = 1/256)."""
    spec = {"key_count": key_count}
    assert key_count in ("rows", "visible")
    t = temperature.split(":")
    if t[0] == "ssmax":
        s = float(t[1]) if len(t) > 1 else 1.0 / math.log(T)
        spec["temperature"], spec["ssmax_s"] = "ssmax", s
        ct = "ssmax:" + fmt_num(s)
    else:
        assert len(t) == 1 and t[0] in ("softmax", "softmax_plus", "logn", "infoscale", "squared_relu"), temperature
        spec["temperature"] = t[0]
        ct = t[0]
    q = qk.split(":")
    if q[0] == "plain":
        assert len(q) == 1
        spec["qk"] = {"kind": "plain"}
        cq = "plain"
    else:
        assert q[0] == "cosscale" and len(q) == 2, qk
        spec["qk"] = {"kind": "cosscale", "S": float(q[1])}
        cq = "cosscale:" + fmt_num(q[1])
    p = position.split(":")
    kind, args = p[0], p[1:]
    if kind in ("rope", "native"):
        assert not args
        spec["position"] = {"kind": kind}
        cp = kind
    elif kind in ("pi", "ntk", "yarn"):
        # pi:F, ntk:F, yarn:F: Hugging Face's linear, dynamic-free NTK and yarn with factor F at every n
        # (METHODS.md 6); without F the factor is n/T when n > T (section 1.2).
        assert len(args) <= 1
        spec["position"] = {"kind": kind}
        cp = kind
        if args:
            spec["position"]["F"] = float(args[0])
            assert spec["position"]["F"] > 0
            cp = kind + ":" + fmt_num(args[0])
    elif kind in ("rerope", "window"):
        W = int(args[0]) if args else T
        spec["position"] = {"kind": kind, "W": W}
        cp = "%s:%d" % (kind, W)
    elif kind == "alibi":
        M = float(args[0]) if args else 1.0 / 256.0
        spec["position"] = {"kind": kind, "M": M}
        cp = "alibi:" + fmt_num(M)
    elif kind in ("streamingllm", "lminfinite"):
        S = int(args[0]) if len(args) >= 1 else 4
        W = int(args[1]) if len(args) >= 2 else T
        spec["position"] = {"kind": kind, "S": S, "W": W}
        cp = "%s:%d:%d" % (kind, S, W)
    else:
        raise ValueError("bad position " + position)
    return spec, (ct, cq, cp)


# ----------------------------------------------------------------------------------------------
# Reference forward pass: plain, full matrices, one head at a time, float64 (or float32 for the probe)
# ----------------------------------------------------------------------------------------------

def rms_norm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps) * w


def default_inv_freq(d, theta):
    m = np.arange(d // 2, dtype=np.float64)
    return theta ** (-2.0 * m / d)


def yarn_bounds(d, T, theta):
    def c(beta):
        return d * math.log(T / (2.0 * math.pi * beta)) / (2.0 * math.log(theta))
    lo = max(math.floor(c(32.0)), 0)
    hi = min(math.ceil(c(1.0)), d - 1)
    return lo, hi


def yarn_inv_freq(d, T, theta, s):
    inv = default_inv_freq(d, theta)
    lo, hi = yarn_bounds(d, T, theta)
    span = float(hi - lo) if hi != lo else 0.001
    m = np.arange(d // 2, dtype=np.float64)
    r = 1.0 - np.clip((m - lo) / span, 0.0, 1.0)
    return (inv / s) * (1.0 - r) + inv * r


def hf_rope_config(cfg):
    """(rope_theta, rope dict or None) as transformers reads them (llama_family.md 1.3): v5 rope_parameters,
    else v4 rope_theta + rope_scaling; the type is rope_type, else its older alias type, else default."""
    rope = cfg.get("rope_parameters")
    if not isinstance(rope, dict):
        rope = cfg.get("rope_scaling")
    theta = float(cfg.get("rope_theta", 10000.0))
    if rope is None:
        return theta, None
    theta = float(rope.get("rope_theta", theta))
    rope = dict(rope)
    rope["rope_type"] = rope.get("rope_type", rope.get("type", "default"))
    return theta, (None if rope["rope_type"] == "default" else rope)


def hf_rope_parameters(rope, d, theta, max_position_embeddings, seq_len):
    """(inv_freq [d/2] float64, attention_factor): a transcription of transformers' modeling_rope_utils
    _compute_{linear_scaling,dynamic_ntk,yarn,llama3}_parameters (llama_family.md 1.4; yarn in its newer form
    with mscale / mscale_all_dim / truncate and the correction range on original_max_position_embeddings,
    `factor` as given), in float64. seq_len: the sequence length the rotary module sees (dynamic)."""
    t = rope["rope_type"]
    factor = float(rope["factor"])
    exps = np.arange(0, d, 2, dtype=np.int64).astype(np.float64) / d
    inv = 1.0 / (theta ** exps)
    if t == "linear":
        return inv / factor, 1.0
    if t == "dynamic":
        L0 = rope.get("original_max_position_embeddings") or max_position_embeddings
        L = seq_len if seq_len > L0 else L0
        base = theta * ((factor * L / L0) - (factor - 1)) ** (d / (d - 2))
        return 1.0 / (base ** exps), 1.0
    if t == "yarn":
        L0 = rope.get("original_max_position_embeddings") or max_position_embeddings
        attention_factor = rope.get("attention_factor")
        mscale, mscale_all_dim = rope.get("mscale"), rope.get("mscale_all_dim")

        def get_mscale(scale, m=1.0):
            return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0
        if attention_factor is None:
            if mscale and mscale_all_dim:
                attention_factor = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
            else:
                attention_factor = get_mscale(factor)
        beta_fast = rope.get("beta_fast") or 32
        beta_slow = rope.get("beta_slow") or 1

        def corr_dim(rot):
            return (d * math.log(L0 / (rot * 2 * math.pi))) / (2 * math.log(theta))
        low, high = corr_dim(beta_fast), corr_dim(beta_slow)
        if rope.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, d - 1)
        if low == high:
            high += 0.001
        ramp = np.clip((np.arange(d // 2, dtype=np.float64) - low) / (high - low), 0, 1)
        extra = 1 - ramp
        pos_freqs = theta ** exps
        inv_extrapolation, inv_interpolation = 1.0 / pos_freqs, 1.0 / (factor * pos_freqs)
        return inv_interpolation * (1 - extra) + inv_extrapolation * extra, float(attention_factor)
    if t == "llama3":
        lo_f, hi_f = float(rope["low_freq_factor"]), float(rope["high_freq_factor"])
        old = float(rope["original_max_position_embeddings"])
        low_wavelen, high_wavelen = old / lo_f, old / hi_f
        wavelen = 2 * math.pi / inv
        inv_llama = np.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - lo_f) / (hi_f - lo_f)
        smoothed = (1 - smooth) * inv_llama / factor + smooth * inv_llama
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        return np.where(medium, smoothed, inv_llama), 1.0
    raise ValueError("rope type " + t)


def rope_half(x, positions, inv_freq):
    """Hugging Face's rotate_half layout: dimension m pairs with m + d/2, both at frequency inv_freq[m].
    Angles and their cos/sin in float64 (rounded to x's dtype for the float32 probe)."""
    d = x.shape[-1]
    ang = np.outer(np.asarray(positions, dtype=np.float64), inv_freq)
    cos = torch.from_numpy(np.cos(ang)).to(x.dtype)
    sin = torch.from_numpy(np.sin(ang)).to(x.dtype)
    x1, x2 = x[:, :d // 2], x[:, d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def alibi_slopes(H, M):
    """Press et al. slopes 2^(-8k/H), k = 1..H, scaled by M*256 (METHODS.md 6)."""
    return [M * 256.0 * 2.0 ** (-8.0 * (h + 1) / H) for h in range(H)]


def visibility(n, pos, window):
    """bool [n, n]: causal (j <= i), the model's own window (0 <= i-j < window) and the position mode's mask."""
    i = torch.arange(n).view(n, 1)
    j = torch.arange(n).view(1, n)
    rel = i - j
    vis = rel >= 0
    if window is not None:
        vis = vis & (rel < int(window))
    kind = pos["kind"]
    if kind == "window":
        vis = vis & (rel < pos["W"])
    if kind in ("streamingllm", "lminfinite"):
        vis = vis & ((rel < pos["W"]) | (j < pos["S"]))
    return vis


def key_counts(spec, vis):
    n = vis.shape[0]
    if spec["key_count"] == "visible":
        return vis.sum(dim=1).to(torch.float64)
    return torch.arange(1, n + 1, dtype=torch.float64)


def temperature_taus(spec, counts, T, d):
    """tau_i per query row (METHODS.md 1.3 with the causal clamps of section 6)."""
    kind = spec["temperature"]
    out = []
    for c in counts.tolist():
        if kind == "softmax":
            t = 1.0
        elif kind == "softmax_plus":
            t = math.log(c) / math.log(512.0)
        elif kind == "logn":
            t = max(1.0, math.log(c) / math.log(T))
        elif kind == "infoscale":
            t = max(1.0, math.sqrt((1.0 - c ** (-2.0 / d)) / (1.0 - T ** (-2.0 / d))))
        elif kind == "ssmax":
            t = max(1.0, spec["ssmax_s"] * math.log(c))
        else:
            raise ValueError(kind)
        out.append(t)
    return torch.tensor(out, dtype=torch.float64)


def head_scores(q, k, h, H, pos, n, T, d, theta, rope_cfg=None):
    """Base scores s_ij (already including YaRN's attention factor²) and the additive bias, [n, n].
    rope_cfg: (rope dict, max_position_embeddings) of the checkpoint, for `native`."""
    kind = pos["kind"]
    if kind == "native" and rope_cfg is not None and rope_cfg[0] is not None:
        inv_freq, af = hf_rope_parameters(rope_cfg[0], d, theta, rope_cfg[1], n)
        # HF multiplies cos and sin by attention_factor: q' and k' both carry it.
        qr = rope_half(q, np.arange(n, dtype=np.float64), inv_freq) * af
        kr = rope_half(k, np.arange(n, dtype=np.float64), inv_freq) * af
        return (qr @ kr.T) / math.sqrt(d), torch.zeros(n, n, dtype=q.dtype)
    if kind in ("pi", "ntk", "yarn") and "F" in pos:
        F = pos["F"]
        if kind == "ntk":  # dynamic-free NTK: HF's dynamic base formula at seq_len = L0, base b·F^(d/(d-2))
            inv_freq, af = default_inv_freq(d, theta * F ** (d / (d - 2.0))), 1.0
        else:
            rope = {"rope_type": "linear" if kind == "pi" else "yarn", "factor": F,
                    "original_max_position_embeddings": T}
            inv_freq, af = hf_rope_parameters(rope, d, theta, T, n)
        qr = rope_half(q, np.arange(n, dtype=np.float64), inv_freq) * af
        kr = rope_half(k, np.arange(n, dtype=np.float64), inv_freq) * af
        return (qr @ kr.T) / math.sqrt(d), torch.zeros(n, n, dtype=q.dtype)
    if kind == "native":
        kind = "rope"  # no rope_scaling: the checkpoint's own position is plain RoPE
    dt = q.dtype
    bias = torch.zeros(n, n, dtype=dt)
    positions = np.arange(n, dtype=np.float64)
    inv_freq = default_inv_freq(d, theta)
    if kind == "alibi":
        rel = (torch.arange(n).view(n, 1) - torch.arange(n).view(1, n)).to(torch.float64)
        slope = alibi_slopes(H, pos["M"])[h]
        return (q @ k.T) / math.sqrt(d), (-slope * rel).to(dt)
    factor = 1.0
    if kind == "pi" and n > T:
        positions = positions * (float(T) / float(n))
    if kind == "ntk" and n > T:
        inv_freq = default_inv_freq(d, theta * (float(n) / T) ** (d / (d - 2.0)))
    if kind == "yarn" and n > T:
        s = float(n) / T
        inv_freq = yarn_inv_freq(d, T, theta, s)
        factor = (0.1 * math.log(s) + 1.0) ** 2
    qr = rope_half(q, positions, inv_freq)
    kr = rope_half(k, positions, inv_freq)
    s = (qr @ kr.T) / math.sqrt(d)
    if factor != 1.0:
        s = s * factor
    if kind in ("rerope", "lminfinite"):
        W = pos["W"]
        # i - j > W-1: the score at relative position W-1, q rotated at W-1 and k at 0.
        qc = rope_half(q, np.full(n, float(W - 1)), inv_freq)
        kc = rope_half(k, np.zeros(n), inv_freq)
        sc = (qc @ kc.T) / math.sqrt(d)
        rel = torch.arange(n).view(n, 1) - torch.arange(n).view(1, n)
        s = torch.where(rel > W - 1, sc, s)
    return s, bias


def attention_head(q, k, h, H, spec, n, T, d, theta, vis, rope_cfg=None):
    """Attention weights of one head as applied to the values ([n, n], rows = queries)."""
    s, bias = head_scores(q, k, h, H, spec["position"], n, T, d, theta, rope_cfg)
    z = s + bias
    counts = key_counts(spec, vis).to(q.dtype)
    if spec["temperature"] == "squared_relu":
        return torch.where(vis, torch.relu(z) ** 2 / counts[:, None], torch.zeros_like(z))
    tau = temperature_taus(spec, counts.double(), T, d).to(q.dtype)
    z = (tau[:, None] * z).masked_fill(~vis, float("-inf"))
    return torch.softmax(z, dim=-1)


def forward(cfg, w, ids, spec, T, dtype=torch.float64):
    """Returns (maps [L, H, n, n], logits [n, V]) in `dtype`."""
    w = {k: t.to(dtype) for k, t in w.items()}
    H, KV, d = geometry(cfg)
    rep = H // KV
    eps = float(cfg["rms_norm_eps"])
    theta, rope = hf_rope_config(cfg)
    rope_cfg = (rope, int(cfg["max_position_embeddings"]))
    n = len(ids)
    h = w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.long)]
    maps = []
    for L in range(int(cfg["num_hidden_layers"])):
        p = "model.layers.%d." % L
        x = rms_norm(h, w[p + "input_layernorm.weight"], eps)
        q = x @ w[p + "self_attn.q_proj.weight"].T
        k = x @ w[p + "self_attn.k_proj.weight"].T
        v = x @ w[p + "self_attn.v_proj.weight"].T
        if has_qkv_bias(cfg):
            q = q + w[p + "self_attn.q_proj.bias"]
            k = k + w[p + "self_attn.k_proj.bias"]
            v = v + w[p + "self_attn.v_proj.bias"]
        vis = visibility(n, spec["position"], model_window(cfg, L))
        outs, layer_maps = [], []
        for hh in range(H):
            g = hh // rep  # GQA: query head hh uses KV head hh // (H / KV)
            qh = q[:, hh * d:(hh + 1) * d]
            kh = k[:, g * d:(g + 1) * d]
            vh = v[:, g * d:(g + 1) * d]
            if spec["qk"]["kind"] == "cosscale":
                qh = spec["qk"]["S"] * math.sqrt(d) * qh / (torch.linalg.norm(qh, dim=-1, keepdim=True) + 1e-9)
                kh = kh / (torch.linalg.norm(kh, dim=-1, keepdim=True) + 1e-9)
            A = attention_head(qh, kh, hh, H, spec, n, T, d, theta, vis, rope_cfg)
            layer_maps.append(A)
            outs.append(A @ vh)
        maps.append(torch.stack(layer_maps))
        h = h + torch.cat(outs, dim=-1) @ w[p + "self_attn.o_proj.weight"].T
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = x @ w[p + "mlp.gate_proj.weight"].T
        up = x @ w[p + "mlp.up_proj.weight"].T
        h = h + (gate * torch.sigmoid(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    h = rms_norm(h, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if tied(cfg) else w["lm_head.weight"]
    return torch.stack(maps), h @ head.T


def forward_hf_style(cfg, w, ids):
    """An independent, vectorised transcription of transformers' eager path (rope, softmax only), used by
    the self-checks: cos/sin from cat(freqs, freqs), rotate_half, repeat_kv (expand + reshape), additive
    finfo.min mask, float softmax."""
    w = {k: t.double() for k, t in w.items()}
    H, KV, d = geometry(cfg)
    rep = H // KV
    eps = float(cfg["rms_norm_eps"])
    n = len(ids)
    theta, rope = hf_rope_config(cfg)
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.int64).double() / d))
    af = 1.0
    if rope is not None:  # the checkpoint's rope_scaling (HF's rope_init_fn, then cos/sin × attention_scaling)
        inv, af = hf_rope_parameters(rope, d, theta, int(cfg["max_position_embeddings"]), n)
        inv_freq = torch.from_numpy(inv)
    freqs = torch.arange(n, dtype=torch.float64)[:, None] * inv_freq[None, :]
    emb = torch.cat([freqs, freqs], dim=-1)
    cos, sin = emb.cos() * af, emb.sin() * af

    def rotate_half(x):
        return torch.cat([-x[..., d // 2:], x[..., :d // 2]], dim=-1)

    def norm(x, wt):
        return wt * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    h = w["model.embed_tokens.weight"][torch.tensor(ids)]
    probs_all = []
    for L in range(int(cfg["num_hidden_layers"])):
        p = "model.layers.%d.self_attn." % L
        x = norm(h, w["model.layers.%d.input_layernorm.weight" % L])
        bias = (lambda nm: w[p + nm + ".bias"]) if has_qkv_bias(cfg) else (lambda nm: 0.0)
        q = (x @ w[p + "q_proj.weight"].T + bias("q_proj")).view(n, H, d).transpose(0, 1)
        k = (x @ w[p + "k_proj.weight"].T + bias("k_proj")).view(n, KV, d).transpose(0, 1)
        v = (x @ w[p + "v_proj.weight"].T + bias("v_proj")).view(n, KV, d).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k[:, None].expand(KV, rep, n, d).reshape(H, n, d)
        v = v[:, None].expand(KV, rep, n, d).reshape(H, n, d)
        cache_position = torch.arange(n)
        masked = torch.arange(n)[None, :] > cache_position[:, None]
        W = model_window(cfg, L)
        if W is not None:
            masked = masked | (torch.arange(n)[None, :] <= cache_position[:, None] - W)
        mask = torch.zeros(n, n, dtype=torch.float64).masked_fill(masked, torch.finfo(torch.float64).min)
        scores = q @ k.transpose(1, 2) * d ** -0.5 + mask
        probs = torch.softmax(scores, dim=-1)
        probs_all.append(probs)
        o = (probs @ v).transpose(0, 1).reshape(n, H * d)
        h = h + o @ w[p + "o_proj.weight"].T
        x = norm(h, w["model.layers.%d.post_attention_layernorm.weight" % L])
        m = "model.layers.%d.mlp." % L
        h = h + (torch.nn.functional.silu(x @ w[m + "gate_proj.weight"].T) * (x @ w[m + "up_proj.weight"].T)) \
            @ w[m + "down_proj.weight"].T
    h = norm(h, w["model.norm.weight"])
    lm = w["model.embed_tokens.weight"] if tied(cfg) else w["lm_head.weight"]
    return torch.stack(probs_all), h @ lm.T


# ----------------------------------------------------------------------------------------------
# Metrics (METHODS.md 3), float64
# ----------------------------------------------------------------------------------------------

def distance_bin(dist):
    return 0 if dist == 0 else int(dist).bit_length()  # [0], [1], [2,3], [4,7], ...


def metric_rows(A, squared_relu):
    A = np.asarray(A, dtype=np.float64)
    if not squared_relu:
        return A
    rs = A.sum(axis=1, keepdims=True)
    return np.where(rs > 0, A / np.where(rs > 0, rs, 1.0), 0.0)


def head_metrics(A, T, squared_relu, counts):
    P = metric_rows(A, squared_relu)
    n = P.shape[0]
    counts = np.asarray(counts, dtype=np.float64)
    ent = 0.0 - np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0).sum(axis=1)
    norm_ent = np.array([e / math.log(c) if c > 1 else 0.0 for e, c in zip(ent, counts)])
    k90 = np.empty(n)
    for i in range(n):
        if P[i].sum() <= 0:
            k90[i] = counts[i]  # an all-zero row (squared_relu) counts n_i
            continue
        cs = np.cumsum(np.sort(P[i])[::-1])
        k90[i] = int(np.nonzero(cs >= 0.9 - 1e-6)[0][0]) + 1
    dist = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    bins = np.vectorize(distance_bin)(dist) if n > 1 else np.zeros((1, 1), dtype=int)
    nbins = distance_bin(n - 1) + 1
    return collections.OrderedDict([
        ("entropy", [float(x) for x in ent]),
        ("entropy_mean", float(ent.mean())),
        ("normalized_entropy_mean", float(norm_ent.mean())),
        ("max_weight_mean", float(P.max(axis=1).mean())),
        ("k90_mean", float(k90.mean())),
        ("sink_mass_mean", float(P[:, 0].mean())),
        ("retained_mass_mean", None),  # causal models: null (METHODS.md 6)
        ("local_mass_mean", float(np.where(dist < T, P, 0.0).sum(axis=1).mean())),
        ("distance_profile", [float(np.where(bins == b, P, 0.0).sum(axis=1).mean()) for b in range(nbins)]),
    ])


def k90_margin(A, squared_relu):
    P = metric_rows(A, squared_relu)
    P = P[P.sum(axis=1) > 0]
    if P.size == 0:
        return float("inf")
    cs = np.cumsum(-np.sort(-P, axis=1), axis=1)
    return float(np.abs(cs - (0.9 - 1e-6)).min())


# ----------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------

# name -> (config, weight seed, storage dtype, layout). The seeds were picked so that no golden sits on a
# knife edge (k90 margin >= MARGIN_K90, top-1 gap >= MARGIN_TOP1; make_goldens asserts both).
def model_specs():
    return collections.OrderedDict([
        ("llama-gqa2", (hf_config("llama", 4, 2, 10000.0, False, "float32"), 44, torch.float32, "single")),
        ("llama-gqa4-bf16-sharded", (hf_config("llama", 8, 2, 500000.0, True, "bfloat16", head_dim=6), 1,
                                     torch.bfloat16, "sharded")),
        ("qwen2-bias-fp16", (hf_config("qwen2", 4, 2, 1000000.0, True, "float16",
                                       extra={"use_sliding_window": False, "sliding_window": 8,
                                              "max_window_layers": 1}), 3, torch.float16, "single")),
        ("mistral-window-bin", (hf_config("mistral", 4, 1, 10000.0, False, "float32",
                                          extra={"sliding_window": 8}), 2, torch.float32, "bin")),
        # A 16-bit pytorch_model.bin (older Hugging Face conversions): BF16 storages, tied head.
        ("llama-bf16-bin", (hf_config("llama", 4, 2, 10000.0, True, "bfloat16"), 6, torch.bfloat16, "bin")),
        # rope_scaling in each of its shapes (llama_family.md 1.3-1.4). llama-linear has llama-gqa2's weights
        # (same config but rope_scaling, same seed): its native run equals gqa2 under pi:4.
        ("llama3-scaling", (hf_config("llama", 4, 2, 10000.0, False, "float32", extra={
            "max_position_embeddings": 4 * TRAIN_LENGTH,
            "rope_scaling": ordered({"factor": 4.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                     "original_max_position_embeddings": TRAIN_LENGTH, "rope_type": "llama3"})}),
            7, torch.float32, "single")),
        ("llama-yarn", (hf_config("llama", 4, 2, 1000.0, False, "float32", head_dim=16, extra={
            "max_position_embeddings": 4 * TRAIN_LENGTH,
            "rope_scaling": ordered({"beta_fast": 8.0, "beta_slow": 0.5, "factor": 4.0, "mscale": 1.0,
                                     "mscale_all_dim": 0.5, "original_max_position_embeddings": TRAIN_LENGTH,
                                     "rope_type": "yarn", "truncate": False, "type": "yarn"})}),
            8, torch.float32, "single")),
        ("llama-linear", (hf_config("llama", 4, 2, 10000.0, False, "float32", extra={
            "rope_scaling": ordered({"factor": 4.0, "type": "linear"}), "transformers_version": "4.38.0"}),
            44, torch.float32, "single")),
        ("llama-dynamic", (v5_config(hf_config("llama", 4, 2, 10000.0, False, "float32"),
                                     ordered({"factor": 2.0, "rope_theta": 10000.0, "rope_type": "dynamic"})),
                           9, torch.float32, "single")),
    ])


def ordered(d):
    return collections.OrderedDict(sorted(d.items()))


def v5_config(cfg, rope_parameters):
    """transformers v5's form: rope_parameters (with rope_theta) instead of rope_theta and rope_scaling."""
    c = collections.OrderedDict((k, v) for k, v in cfg.items() if k not in ("rope_theta", "rope_scaling"))
    c["rope_parameters"] = rope_parameters
    c["transformers_version"] = "5.0.0"
    c["dtype"] = c.pop("torch_dtype")
    return collections.OrderedDict(sorted(c.items()))


def stored_weights(cfg, seed, dtype):
    """The tensors as stored (in `dtype`) and their float64 upcast (what the goldens use)."""
    w32 = random_weights(cfg, seed)
    stored = collections.OrderedDict((k, t.to(dtype).contiguous()) for k, t in w32.items())
    return stored, {k: t.to(torch.float64) for k, t in stored.items()}


def write_json(path, obj):
    """Indented JSON with every list of numbers on one line (keeps cases.json small and diffable)."""
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    text = re.sub(r"\[\s*([-0-9.eE+]+(?:,\s*[-0-9.eE+]+)*)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    assert json.loads(text) == obj
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def reset_dir(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def shard_split(stored):
    """Two shards: embeddings + layer 0 (+ the stray inv_freq) | layer 1 + final norm."""
    first = collections.OrderedDict((k, t) for k, t in stored.items()
                                    if k == "model.embed_tokens.weight" or k.startswith("model.layers.0."))
    second = collections.OrderedDict((k, t) for k, t in stored.items() if k not in first)
    return first, second


SHARD1 = "model-00001-of-00002.safetensors"
SHARD2 = "model-00002-of-00002.safetensors"


def write_sharded(folder, shards, weight_map=None):
    """shards: list of (file name, tensors); the index maps every stored tensor to its shard unless a
    (deliberately wrong) weight_map is given."""
    wm = {}
    total = 0
    for fn, tensors in shards:
        if tensors is not None:
            write_bytes(os.path.join(folder, fn), safetensors_bytes(tensors))
        for k, t in (tensors or {}).items():
            wm[k] = fn
            total += len(tensor_bytes(t))
    if weight_map is not None:
        wm = weight_map
    index = collections.OrderedDict([("metadata", {"total_size": total}),
                                     ("weight_map", collections.OrderedDict(sorted(wm.items())))])
    write_json(os.path.join(folder, "model.safetensors.index.json"), index)
    return wm


def write_model(folder, cfg, stored, layout):
    reset_dir(folder)
    write_json(os.path.join(folder, "config.json"), cfg)
    if layout == "single":
        write_bytes(os.path.join(folder, "model.safetensors"), safetensors_bytes(stored))
    elif layout == "sharded":
        first, second = shard_split(stored)
        H, KV, d = geometry(cfg)
        # An older converter's stray buffer (float32, like the module's buffer): loaders must ignore it.
        first["model.layers.0.self_attn.rotary_emb.inv_freq"] = torch.from_numpy(
            default_inv_freq(d, float(cfg["rope_theta"]))).to(torch.float32)
        write_sharded(folder, [(SHARD1, first), (SHARD2, second)])
    elif layout == "bin":
        od = collections.OrderedDict((k, t.clone()) for k, t in stored.items())
        torch.save(od, os.path.join(folder, "pytorch_model.bin"))  # torch 1.13 default: zip format
    else:
        raise ValueError(layout)


def make_models(out):
    mdir = os.path.join(out, "models")
    reset_dir(mdir)
    models = collections.OrderedDict()
    for name, (cfg, seed, dtype, layout) in model_specs().items():
        stored, w64 = stored_weights(cfg, seed, dtype)
        folder = os.path.join(mdir, name)
        write_model(folder, cfg, stored, layout)
        cfg2, w2 = load_model(folder)  # read back with the independent reader
        assert cfg2 == cfg and set(w2) == set(w64) and all(torch.equal(w2[k], w64[k]) for k in w64), name
        models[name] = (cfg2, w2)
    # Facts about the files.
    sd = torch.load(os.path.join(mdir, "mistral-window-bin", "pytorch_model.bin"))
    assert type(sd) is collections.OrderedDict and all(t.dtype == torch.float32 for t in sd.values())
    assert "lm_head.weight" in sd
    sd = torch.load(os.path.join(mdir, "llama-bf16-bin", "pytorch_model.bin"))
    assert all(t.dtype == torch.bfloat16 for t in sd.values()) and "lm_head.weight" not in sd
    sh = os.path.join(mdir, "llama-gqa4-bf16-sharded")
    a = read_safetensors(os.path.join(sh, SHARD1))
    b = read_safetensors(os.path.join(sh, SHARD2))
    assert "lm_head.weight" not in a and "lm_head.weight" not in b
    assert all(t.dtype == torch.bfloat16 for k, t in list(a.items()) + list(b.items()) if "inv_freq" not in k)
    assert list(a["model.layers.0.self_attn.q_proj.weight"].shape) == [48, 32]
    q = read_safetensors(os.path.join(mdir, "qwen2-bias-fp16", "model.safetensors"))
    assert "model.layers.0.self_attn.q_proj.bias" in q and "model.layers.0.self_attn.o_proj.bias" not in q
    assert all(t.dtype == torch.float16 for t in q.values())
    return models


# ----------------------------------------------------------------------------------------------
# Bad checkpoints: llama-gqa2 (same config and weights) with exactly one defect each
# ----------------------------------------------------------------------------------------------

def bad_rope_scaling(rope):
    """Why a rope_scaling dict cannot be applied (None when it can): transformers' required keys per type
    (llama_family.md 1.3) and factor > 0."""
    if not rope:
        return None
    t = rope.get("rope_type", rope.get("type", "default"))
    required = {"default": (), "linear": ("factor",), "dynamic": ("factor",), "yarn": ("factor",),
                "llama3": ("factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor")}
    if t not in required:
        return "unsupported type " + t
    for key in required[t]:
        if key not in rope:
            return "missing " + key
    if "factor" in rope and not rope["factor"] > 0:
        return "factor <= 0"
    return None


def make_bad(out):
    bdir = os.path.join(out, "bad")
    reset_dir(bdir)
    cfg, seed, dtype, _ = model_specs()["llama-gqa2"]
    stored, _ = stored_weights(cfg, seed, dtype)
    made = collections.OrderedDict()

    def folder(name, expect, config=cfg):
        p = os.path.join(bdir, name)
        os.makedirs(p)
        write_json(os.path.join(p, "config.json"), config)
        with open(os.path.join(p, "EXPECT"), "w") as f:
            f.write(expect + "\n")
        made[name] = expect
        return p

    def single(p, tensors):
        write_bytes(os.path.join(p, "model.safetensors"), safetensors_bytes(tensors))

    key = "model.layers.1.self_attn.k_proj.weight"
    single(folder("missing-tensor", key), collections.OrderedDict((k, t) for k, t in stored.items() if k != key))

    key = "model.layers.1.self_attn.v_proj.weight"
    w = collections.OrderedDict(stored)
    w[key] = torch.cat([stored[key], stored[key][:8]], dim=0)  # [24, 32] instead of [16, 32]
    single(folder("wrong-shape", key), w)

    c = collections.OrderedDict(cfg)
    c["model_type"] = "gpt_neox"
    c["architectures"] = ["GPTNeoXForCausalLM"]
    single(folder("unsupported-model-type", "gpt_neox", c), stored)

    c = collections.OrderedDict(cfg)
    c["rope_scaling"] = collections.OrderedDict([("rope_type", "longrope"), ("short_factor", [1.0, 1.0, 1.0, 1.0]),
                                                 ("long_factor", [1.0, 2.0, 4.0, 8.0])])
    single(folder("unsupported-rope-scaling", "longrope", c), stored)

    # rope_scaling fields: out of range, missing (one line naming the field and the reason).
    c = collections.OrderedDict(cfg)
    c["rope_scaling"] = ordered({"factor": 0.0, "type": "linear"})
    single(folder("rope-factor-zero", '"factor" must be > 0', c), stored)
    c = collections.OrderedDict(cfg)
    c["rope_scaling"] = ordered({"original_max_position_embeddings": TRAIN_LENGTH, "rope_type": "yarn"})
    single(folder("rope-yarn-no-factor", 'needs "factor"', c), stored)
    c = collections.OrderedDict(cfg)
    c["rope_scaling"] = ordered({"factor": 8.0, "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": TRAIN_LENGTH, "rope_type": "llama3"})
    single(folder("rope-llama3-no-low-freq-factor", 'needs "low_freq_factor"', c), stored)
    c = collections.OrderedDict(cfg)
    c["rope_scaling"] = ordered({"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "rope_type": "llama3"})
    single(folder("rope-llama3-no-original", 'needs "original_max_position_embeddings"', c), stored)

    # 4 query heads over 3 KV heads; the k/v tensors match that config ([24, 32]) so that the only defect
    # is the divisibility.
    c = collections.OrderedDict(cfg)
    c["num_key_value_heads"] = 3
    w = collections.OrderedDict()
    g = torch.Generator().manual_seed(99)
    for k, t in stored.items():
        if k.endswith("k_proj.weight") or k.endswith("v_proj.weight"):
            t = torch.cat([t, 0.15 * torch.randn(8, 32, generator=g)], dim=0)
        w[k] = t
    single(folder("heads-not-divisible", "num_key_value_heads", c), w)

    first, second = shard_split(stored)
    p = folder("index-missing-shard", SHARD2)
    wm = collections.OrderedDict((k, SHARD1) for k in first)
    wm.update((k, SHARD2) for k in second)
    write_sharded(p, [(SHARD1, first), (SHARD2, None)], weight_map=wm)
    p = folder("index-wrong-shard", "model.norm.weight")
    wm = collections.OrderedDict((k, SHARD1) for k in first)
    wm.update((k, SHARD2) for k in second)
    wm["model.norm.weight"] = SHARD1  # it is in shard 2
    write_sharded(p, [(SHARD1, first), (SHARD2, second)], weight_map=wm)

    c = collections.OrderedDict(cfg)
    assert c["tie_word_embeddings"] is False
    single(folder("untied-no-lm-head", "lm_head.weight", c),
           collections.OrderedDict((k, t) for k, t in stored.items() if k != "lm_head.weight"))

    # The 8-byte header length claims more bytes than the file has: a valid file cut inside its header.
    p = folder("header-too-long", "model.safetensors")
    full = safetensors_bytes(stored)
    (hlen,) = struct.unpack("<Q", full[:8])
    write_bytes(os.path.join(p, "model.safetensors"), full[:8 + hlen // 2])

    # Sanity: the independent loader rejects the weight-level defects; the config-level ones are checked
    # on config.json (their tensors are consistent).
    config_level = ("unsupported-model-type", "unsupported-rope-scaling", "heads-not-divisible", "rope-factor-zero",
                    "rope-yarn-no-factor", "rope-llama3-no-low-freq-factor", "rope-llama3-no-original")
    for name in made:
        p = os.path.join(bdir, name)
        if name in config_level:
            with open(os.path.join(p, "config.json")) as f:
                c2 = json.load(f)
            assert (c2["model_type"] not in ("llama", "mistral", "qwen2")
                    or bad_rope_scaling(c2.get("rope_scaling"))
                    or c2["num_attention_heads"] % c2["num_key_value_heads"] != 0), name
            continue
        try:
            load_model(p)
        except (AssertionError, ValueError, KeyError, FileNotFoundError):
            continue
        raise AssertionError("bad checkpoint %s loads" % name)
    return made


# ----------------------------------------------------------------------------------------------
# Golden cases
# ----------------------------------------------------------------------------------------------

def case_ids(n):
    g = torch.Generator().manual_seed(2026)
    ids = [int(t) for t in torch.randint(0, 80, (N_LONG,), generator=g)]
    return ids[:n]


def case_list():
    """(name, model, n, temperature, qk, position, key_count)."""
    m = "llama-gqa2"
    cases = [
        ("gqa2__softmax__n40", m, 40, "softmax", "plain", "rope", "rows"),
        ("gqa2__infoscale__n40", m, 40, "infoscale", "plain", "rope", "rows"),
        ("gqa2__logn__n40", m, 40, "logn", "plain", "rope", "rows"),
        ("gqa2__softmax_plus__n40", m, 40, "softmax_plus", "plain", "rope", "rows"),
        ("gqa2__ssmax0.3606737602__n40", m, 40, "ssmax:0.3606737602", "plain", "rope", "rows"),
        ("gqa2__squared_relu__n40", m, 40, "squared_relu", "plain", "rope", "rows"),
        ("gqa2__cosscale16__n40", m, 40, "softmax", "cosscale:16", "rope", "rows"),
        ("gqa2__infoscale-cosscale16__n40", m, 40, "infoscale", "cosscale:16", "rope", "rows"),
        ("gqa2__pi__n40", m, 40, "softmax", "plain", "pi", "rows"),
        ("gqa2__ntk__n40", m, 40, "softmax", "plain", "ntk", "rows"),
        ("gqa2__yarn__n40", m, 40, "softmax", "plain", "yarn", "rows"),
        ("gqa2__rerope16__n40", m, 40, "softmax", "plain", "rerope:16", "rows"),
        ("gqa2__window16__n40", m, 40, "softmax", "plain", "window:16", "rows"),
        ("gqa2__alibi__n40", m, 40, "softmax", "plain", "alibi:0.00390625", "rows"),
        ("gqa2__streamingllm4-16__n40", m, 40, "softmax", "plain", "streamingllm:4:16", "rows"),
        ("gqa2__lminfinite4-16__n40", m, 40, "softmax", "plain", "lminfinite:4:16", "rows"),
        ("gqa2__infoscale-window8-visible__n40", m, 40, "infoscale", "plain", "window:8", "visible"),
        ("gqa2__infoscale__n12", m, 12, "infoscale", "plain", "rope", "rows"),
    ]
    for short, model in (("gqa4bf16", "llama-gqa4-bf16-sharded"), ("qwen2fp16", "qwen2-bias-fp16"),
                         ("mistral", "mistral-window-bin"), ("bf16bin", "llama-bf16-bin")):
        cases.append(("%s__softmax__n40" % short, model, 40, "softmax", "plain", "rope", "rows"))
        cases.append(("%s__infoscale__n40" % short, model, 40, "infoscale", "plain", "rope", "rows"))
    cases.append(("mistral__squared_relu-visible__n40", "mistral-window-bin", 40, "squared_relu", "plain", "rope",
                  "visible"))
    cases.append(("mistral__alibi__n40", "mistral-window-bin", 40, "softmax", "plain", "alibi:0.00390625", "rows"))
    # Fixed factors (pi:F, ntk:F, yarn:F) on a model without rope_scaling, and the checkpoints' own
    # rope_scaling (native) on the four scaled models, below and above T.
    for F in ("pi:4", "ntk:4", "yarn:4"):
        cases.append(("gqa2__%s__n40" % F.replace(":", ""), m, 40, "softmax", "plain", F, "rows"))
    cases.append(("gqa2__yarn4__n12", m, 12, "softmax", "plain", "yarn:4", "rows"))
    for short, model in (("llama3", "llama3-scaling"), ("yarn", "llama-yarn"), ("linear", "llama-linear"),
                         ("dynamic", "llama-dynamic")):
        cases.append(("%s__native__n40" % short, model, 40, "softmax", "plain", "native", "rows"))
        cases.append(("%s__native__n12" % short, model, 12, "softmax", "plain", "native", "rows"))
    cases.append(("llama3__infoscale-native__n40", "llama3-scaling", 40, "infoscale", "plain", "native", "rows"))
    cases.append(("llama3__rope__n40", "llama3-scaling", 40, "softmax", "plain", "rope", "rows"))
    cases.append(("yarn__yarn4__n40", "llama-yarn", 40, "softmax", "plain", "yarn:4", "rows"))
    return cases


def run_case(cfg, w, ids, temperature, qk, position, key_count, T=TRAIN_LENGTH):
    spec, canon = parse_method(temperature, qk, position, key_count, T)
    maps, logits = forward(cfg, w, ids, spec, T)
    H, KV, d = geometry(cfg)
    sq = spec["temperature"] == "squared_relu"
    layers = []
    for L in range(maps.shape[0]):
        counts = key_counts(spec, visibility(len(ids), spec["position"], model_window(cfg, L))).numpy()
        for hh in range(H):
            e = collections.OrderedDict([("layer", L), ("head", hh)])
            e.update(head_metrics(maps[L, hh].numpy(), T, sq, counts))
            layers.append(e)
    return spec, canon, maps, logits, layers


def make_goldens(out, models):
    gdir = os.path.join(out, "golden")
    reset_dir(gdir)
    entries = []
    stats = {}
    for name, model, n, temperature, qk, position, key_count in case_list():
        cfg, w = models[model]
        ids = case_ids(n)
        spec, canon, maps, logits, layers = run_case(cfg, w, ids, temperature, qk, position, key_count)
        H, KV, d = geometry(cfg)
        sq = spec["temperature"] == "squared_relu"
        # Precision probe: the same reference in float32 (what a float32 engine should be near).
        maps32, logits32 = forward(cfg, w, ids, spec, TRAIN_LENGTH, dtype=torch.float32)
        scale = maps.abs().clamp_min(1.0) if sq else 1.0
        err_a = float(((maps32.double() - maps).abs() / scale).max())
        err_l = float((logits32.double() - logits).abs().max())
        k90m = min(k90_margin(maps[L, hh].numpy(), sq) for L in range(maps.shape[0]) for hh in range(H))
        top2 = torch.topk(logits, 2, dim=-1).values
        gap = float((top2[:, 0] - top2[:, 1]).min())
        stats[name] = (err_a, err_l, k90m, gap)
        assert err_a <= (MAX_FP32_RELU2 if sq else MAX_FP32_ATTENTION) and err_l <= MAX_FP32_LOGITS, (name, stats[name])
        assert k90m >= MARGIN_K90 and gap >= MARGIN_TOP1, (name, stats[name])
        if not sq:
            assert float((maps.sum(-1) - 1).abs().max()) < 1e-12, name
        cdir = os.path.join(gdir, name)
        os.makedirs(cdir)
        np.save(os.path.join(cdir, "maps.npy"), maps.numpy().astype(np.float32))
        np.save(os.path.join(cdir, "logits.npy"), logits.numpy().astype(np.float32))
        entries.append(collections.OrderedDict([
            ("name", name), ("model", model), ("ids", ids), ("length", n), ("train_length", TRAIN_LENGTH),
            ("key_size", d), ("heads", H), ("kv_heads", KV),
            ("temperature", canon[0]), ("qk", canon[1]), ("position", canon[2]), ("key_count", key_count),
            ("next_top1", [int(x) for x in torch.argmax(logits, dim=-1)]),
            ("layers", layers)]))
    write_json(os.path.join(gdir, "cases.json"), entries)
    # Cross-case facts.
    by = {e["name"]: e for e in entries}
    short_soft = forward(models["llama-gqa2"][0], models["llama-gqa2"][1], case_ids(N_SHORT),
                         parse_method("softmax", "plain", "rope", "rows", TRAIN_LENGTH)[0], TRAIN_LENGTH)
    info12 = np.load(os.path.join(gdir, "gqa2__infoscale__n12", "maps.npy"))
    assert np.array_equal(info12, short_soft[0].numpy().astype(np.float32))
    for a, b in (("gqa2__softmax__n40", "gqa2__infoscale__n40"), ("gqa2__softmax__n40", "gqa2__logn__n40"),
                 ("gqa2__infoscale__n40", "gqa2__infoscale-cosscale16__n40"),
                 ("mistral__softmax__n40", "mistral__infoscale__n40")):
        assert by[a]["layers"][0]["entropy_mean"] != by[b]["layers"][0]["entropy_mean"], (a, b)
    return entries, stats


# ----------------------------------------------------------------------------------------------
# Self-checks of the reference
# ----------------------------------------------------------------------------------------------

def self_checks():
    T = TRAIN_LENGTH
    specs = model_specs()
    ids = case_ids(N_LONG)
    mods = {name: (cfg, stored_weights(cfg, seed, dt)[1]) for name, (cfg, seed, dt, _) in specs.items()}
    checks = []

    def ok(msg):
        checks.append(msg)

    def run(model, n, temperature="softmax", qk="plain", position="rope", key_count="rows", cfg=None, w=None):
        c, ww = mods[model]
        spec, _ = parse_method(temperature, qk, position, key_count, T)
        return forward(cfg or c, w or ww, ids[:n], spec, T)

    # Formula anchors.
    tau = math.sqrt((1 - 4096 ** (-2 / 128)) / (1 - 64 ** (-2 / 128)))
    assert abs(tau - 1.39179) < 5e-6
    assert yarn_bounds(128, 64, 10000.0) == (0, 17) and yarn_bounds(8, 16, 10000.0) == (0, 1)
    assert fmt_num(16.0) == "16" and fmt_num(1 / 256) == "0.00390625" and fmt_num("0.3606737602") == "0.3606737602"
    assert alibi_slopes(8, 1 / 256) == [2.0 ** -k for k in range(1, 9)]
    assert geometry(specs["llama-gqa2"][0]) == (4, 2, 8) and geometry(specs["llama-gqa4-bf16-sharded"][0]) == (8, 2, 6)
    ok("formula anchors: InfoScale tau(4096; d=128, T=64) = %.5f, YaRN lo/hi (128, 64) = (0, 17) and "
       "(8, 16) = (0, 1), ALiBi slopes 2^-k, head_dim defaults" % tau)

    # RoPE: explicit half-split formula == rotate_half(cat(freqs, freqs)) == complex multiply of (m, m+d/2).
    g = torch.Generator().manual_seed(5)
    x = torch.randn(7, 8, generator=g, dtype=torch.float64)
    pos = np.arange(7, dtype=np.float64) * 2.5
    inv = default_inv_freq(8, 10000.0)
    y = rope_half(x, pos, inv)
    emb = torch.from_numpy(np.concatenate([np.outer(pos, inv)] * 2, axis=1))
    y2 = x * emb.cos() + torch.cat([-x[:, 4:], x[:, :4]], dim=-1) * emb.sin()
    xc = x[:, :4].numpy() + 1j * x[:, 4:].numpy()
    yc = xc * np.exp(1j * np.outer(pos, inv))
    assert float((y - y2).abs().max()) < 1e-14
    assert np.abs(y[:, :4].numpy() - yc.real).max() < 1e-14 and np.abs(y[:, 4:].numpy() - yc.imag).max() < 1e-14
    # Relative-position property that ReRoPE relies on: <R_a q, R_b k> depends on a - b only.
    q1, k1 = x[:1], torch.randn(1, 8, generator=g, dtype=torch.float64)
    s_a = float(rope_half(q1, [20.0], inv) @ rope_half(k1, [5.0], inv).T)
    s_b = float(rope_half(q1, [15.0], inv) @ rope_half(k1, [0.0], inv).T)
    assert abs(s_a - s_b) < 1e-12
    ok("RoPE half-split layout == rotate_half form == complex multiply of (m, m + d/2); scores depend on i - j only")

    # GQA: per-head mapping h // (H / KV) equals repeat_interleave and HF repeat_kv (expand + reshape), and
    # differs from the wrong h % KV mapping.
    for H, KV in ((4, 2), (8, 2), (4, 1)):
        rep = H // KV
        kv = torch.randn(KV, 5, 3, generator=g)
        mine = torch.stack([kv[h // rep] for h in range(H)])
        assert torch.equal(mine, torch.repeat_interleave(kv, rep, dim=0))
        assert torch.equal(mine, kv[:, None].expand(KV, rep, 5, 3).reshape(H, 5, 3))
        if KV > 1 and rep > 1:
            assert not torch.equal(mine, torch.stack([kv[h % KV] for h in range(H)]))
    ok("GQA head mapping h // (H/KV) == repeat_interleave == repeat_kv for (4,2), (8,2), (4,1)")

    # The plain per-head forward == a vectorised transcription of transformers' eager path, all four models.
    for name, (cfg, w) in mods.items():
        maps, logits = run(name, N_LONG, position="native")
        hm, hl = forward_hf_style(cfg, w, ids)
        assert float((maps - hm).abs().max()) < 1e-12 and float((logits - hl).abs().max()) < 1e-10, name
    ok("plain forward (native) == HF-style eager forward (rotate_half, repeat_kv, finfo.min mask, rope_scaling's "
       "inv_freq and attention_scaling on cos/sin) on all %d models, n = 40" % len(mods))

    # Causal rows: sum to 1, nothing above the diagonal; Mistral's window hides i - j >= 8.
    n = N_LONG
    upper = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    rel = torch.arange(n).view(n, 1) - torch.arange(n).view(1, n)
    for name in mods:
        for temp in ("softmax", "softmax_plus", "logn", "infoscale", "ssmax:0.3606737602"):
            for position in ("rope", "yarn", "alibi", "lminfinite:4:16"):
                maps, _ = run(name, n, temp, "plain", position)
                assert float((maps.sum(-1) - 1).abs().max()) < 1e-12, (name, temp, position)
                assert float(maps[..., upper].abs().max()) == 0.0
        maps, _ = run(name, n, "squared_relu", "plain", "rope")
        assert float(maps[..., upper].abs().max()) == 0.0
    for temp in ("softmax", "squared_relu"):
        maps, _ = run("mistral-window-bin", n, temp)
        assert float(maps[..., rel >= 8].abs().max()) == 0.0
        assert float(maps[..., (rel >= 0) & (rel < 8)].abs().max()) > 0.0
    ok("causal rows sum to 1 (5 temperatures x 4 positions x %d models), zero above the diagonal; "
       "Mistral's sliding_window 8 gives exactly 0 at i - j >= 8" % len(mods))

    # Qwen2's sliding_window is ignored without use_sliding_window; with it, only layers >= max_window_layers.
    qcfg = mods["qwen2-bias-fp16"][0]
    assert model_window(qcfg, 0) is None and model_window(qcfg, 1) is None
    q2 = collections.OrderedDict(qcfg)
    q2["use_sliding_window"] = True
    assert model_window(q2, 0) is None and model_window(q2, 1) == 8
    ok("qwen2: sliding_window ignored unless use_sliding_window (then from layer max_window_layers)")

    # At n <= T every temperature but softmax_plus / squared_relu leaves the model unchanged (exactly).
    for name in mods:
        for nn in (1, N_SHORT, T):
            base, bl = run(name, nn)
            for temp in ("infoscale", "logn", "ssmax:0.3606737602"):
                other, ol = run(name, nn, temp)
                assert torch.equal(base, other) and torch.equal(bl, ol), (name, nn, temp)
            for position in ("pi", "ntk", "yarn", "window:16", "streamingllm:4:16"):
                other, ol = run(name, nn, "softmax", "plain", position)
                assert torch.equal(base, other) and torch.equal(bl, ol), (name, nn, position)
            for position in ("rerope:16", "lminfinite:4:16"):
                other, _ = run(name, nn, "softmax", "plain", position)
                assert float((base - other).abs().max()) == 0.0, (name, nn, position)
    ok("n <= T (1, 12, 16): infoscale, logn, ssmax and pi, ntk, yarn, window:16, streamingllm, rerope:16, "
       "lminfinite equal softmax/rope exactly on all %d models" % len(mods))

    # n > T: each method really changes something (n = 40, llama-gqa2).
    base, _ = run("llama-gqa2", n)
    for temp, qk, position in (("infoscale", "plain", "rope"), ("logn", "plain", "rope"),
                               ("softmax_plus", "plain", "rope"), ("ssmax:0.3606737602", "plain", "rope"),
                               ("softmax", "cosscale:16", "rope"), ("softmax", "plain", "pi"),
                               ("softmax", "plain", "ntk"), ("softmax", "plain", "yarn"),
                               ("softmax", "plain", "rerope:16"), ("softmax", "plain", "window:16"),
                               ("softmax", "plain", "alibi:0.00390625"), ("softmax", "plain", "streamingllm:4:16"),
                               ("softmax", "plain", "lminfinite:4:16")):
        other, _ = run("llama-gqa2", n, temp, qk, position)
        assert float((base - other).abs().max()) > 1e-3, (temp, qk, position)
    # infoscale with window:8 and visible keys: n_i <= 8 < T, so tau = 1 and it is softmax + window:8; with
    # rows it differs.
    a, _ = run("llama-gqa2", n, "infoscale", "plain", "window:8", "visible")
    b, _ = run("llama-gqa2", n, "softmax", "plain", "window:8")
    c, _ = run("llama-gqa2", n, "infoscale", "plain", "window:8", "rows")
    assert torch.equal(a, b) and float((a - c).abs().max()) > 1e-3
    ok("n = 40 > T: all 13 methods differ from softmax/rope; infoscale+window:8+visible == softmax+window:8 "
       "(n_i <= 8 < T) != infoscale+window:8+rows")

    # ReRoPE entries: beyond the window the score equals q rotated at W-1 against k at 0.
    cfg, w = mods["llama-gqa2"]
    spec, _ = parse_method("softmax", "plain", "rerope:4", "rows", T)
    qh = torch.randn(10, 8, generator=g, dtype=torch.float64)
    kh = torch.randn(10, 8, generator=g, dtype=torch.float64)
    s, _ = head_scores(qh, kh, 0, 4, spec["position"], 10, T, 8, 10000.0)
    inv = default_inv_freq(8, 10000.0)
    ref = float(rope_half(qh[9:10], [3.0], inv) @ rope_half(kh[2:3], [0.0], inv).T) / math.sqrt(8)
    assert abs(float(s[9, 2]) - ref) < 1e-12
    ref = float(rope_half(qh[5:6], [5.0], inv) @ rope_half(kh[3:4], [3.0], inv).T) / math.sqrt(8)
    assert abs(float(s[5, 3]) - ref) < 1e-12
    ok("rerope:4 entries: s[9,2] = <R_3 q_9, R_0 k_2>/sqrt(d), s[5,3] = <R_5 q_5, R_3 k_3>/sqrt(d)")

    # Windows and sinks: zero mass outside; the sinks stay visible (streamingllm, lminfinite).
    far = rel >= 16
    sink = (torch.arange(n).view(1, n) < 4).expand(n, n)
    for position in ("window:16", "streamingllm:4:16", "lminfinite:4:16"):
        for temp in ("softmax", "squared_relu"):
            maps, _ = run("llama-gqa2", n, temp, "plain", position)
            hidden = far & ~sink if position != "window:16" else far
            assert float(maps[..., hidden].abs().max()) == 0.0, (position, temp)
            if position != "window:16" and temp == "softmax":
                assert float(maps[..., far & sink].min()) > 0.0
    ok("window / streamingllm / lminfinite put exactly 0 outside their band and sinks")

    # Tied == untied when lm_head equals the embedding.
    cfg, w = mods["llama-gqa4-bf16-sharded"]
    cu = collections.OrderedDict(cfg)
    cu["tie_word_embeddings"] = False
    wu = dict(w)
    wu["lm_head.weight"] = w["model.embed_tokens.weight"].clone()
    m1, l1 = run("llama-gqa4-bf16-sharded", n)
    m2, l2 = run("llama-gqa4-bf16-sharded", n, cfg=cu, w=wu)
    assert torch.equal(m1, m2) and torch.equal(l1, l2)
    ok("tied == untied with lm_head = embed_tokens")

    # Family equivalences: qwen2 with zero biases == llama; mistral with a window >= n == llama.
    cfg, w = mods["qwen2-bias-fp16"]
    wz = {k: (torch.zeros_like(t) if k.endswith(".bias") else t) for k, t in w.items()}
    cl = collections.OrderedDict(cfg)
    cl["model_type"] = "llama"
    wl = {k: t for k, t in w.items() if not k.endswith(".bias")}
    for temp in ("softmax", "infoscale"):
        a = run("qwen2-bias-fp16", n, temp, cfg=cfg, w=wz)
        b = run("qwen2-bias-fp16", n, temp, cfg=cl, w=wl)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    cfg, w = mods["mistral-window-bin"]
    cm = collections.OrderedDict(cfg)
    cm["sliding_window"] = n
    cl = collections.OrderedDict(cfg)
    cl["model_type"] = "llama"
    a = run("mistral-window-bin", n, cfg=cm)
    b = run("mistral-window-bin", n, cfg=cl)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert float((run("mistral-window-bin", n)[0] - a[0]).abs().max()) > 1e-3
    ok("qwen2 with zero biases == llama; mistral with sliding_window >= n == llama; window 8 changes it")

    # key_count visible under Mistral's own window: squared_relu divides by min(i+1, 8).
    spec, _ = parse_method("squared_relu", "plain", "rope", "visible", T)
    cnt = key_counts(spec, visibility(n, spec["position"], 8))
    assert cnt.tolist() == [float(min(i + 1, 8)) for i in range(n)]
    a, _ = run("mistral-window-bin", n, "squared_relu", "plain", "rope", "visible")
    b, _ = run("mistral-window-bin", n, "squared_relu", "plain", "rope", "rows")
    ratio = (torch.arange(1, n + 1, dtype=torch.float64) / cnt)[:, None]
    assert float((a[0] - b[0] * ratio).abs().max()) < 1e-12  # layer 0 (layer 1's input differs)
    ok("key_count visible counts the model's own window: n_i = min(i+1, 8) on mistral-window-bin (layer 0 "
       "maps = rows maps * (i+1)/n_i)")

    # cosscale: |q'| = S sqrt(d) and |k'| = 1 before RoPE, so |s_ij| <= S.
    a, _ = run("llama-gqa2", n, "squared_relu", "cosscale:16", "rope")
    counts = torch.arange(1, n + 1, dtype=torch.float64)[:, None]
    assert float((a * counts).max()) <= 16.0 ** 2 + 1e-9
    ok("cosscale:16 bounds every score by S (squared_relu·n_i <= S²)")

    # YaRN: m = 0 keeps its frequency, m >= hi are divided by s; attention factor squared on the scores.
    inv = default_inv_freq(8, 10000.0)
    yi = yarn_inv_freq(8, 16, 10000.0, 2.5)
    assert yi[0] == inv[0] and np.allclose(yi[1:], inv[1:] / 2.5, rtol=0, atol=1e-15)
    ok("yarn (d=8, T=16, s=2.5): inv_freq[0] kept, inv_freq[1..3] / s")

    # rope_scaling (llama_family.md 1.4) and the fixed factors of METHODS.md 6.
    cg, wg = mods["llama-gqa2"]
    cl, wl = mods["llama-linear"]
    assert all(torch.equal(wg[k], wl[k]) for k in wg)
    a = run("llama-gqa2", N_LONG, position="pi:4")
    b = run("llama-linear", N_LONG, position="native")
    assert float((a[0] - b[0]).abs().max()) < 1e-12 and float((a[1] - b[1]).abs().max()) < 1e-10
    assert float((a[0] - run("llama-gqa2", N_LONG)[0]).abs().max()) > 1e-3
    ok("linear factor 4 (native) == pi:4 on the same weights; differs from rope")
    for name in ("llama-dynamic",):
        a = run(name, N_SHORT, position="native")
        b = run(name, N_SHORT, position="rope")
        # The same frequencies, computed along another path (last-bit differences with some numpy builds).
        assert float((a[0] - b[0]).abs().max()) < 1e-12 and float((a[1] - b[1]).abs().max()) < 1e-10
        assert float((run(name, N_LONG, position="native")[0] - run(name, N_LONG)[0]).abs().max()) > 1e-3
    theta, rope = hf_rope_config(mods["llama-dynamic"][0])
    assert theta == 10000.0 and rope["rope_type"] == "dynamic"
    inv, af = hf_rope_parameters(rope, 8, theta, 16, 40)
    assert np.allclose(inv, default_inv_freq(8, 10000.0 * (2.0 * 40 / 16 - 1) ** (8 / 6)), rtol=1e-14) and af == 1.0
    ok("dynamic (v5 rope_parameters): n <= 16 == rope exactly; n = 40: base 10000*(2*40/16 - 1)^(4/3)")
    for name in ("llama-gqa2", "llama3-scaling", "llama-yarn", "llama-linear", "llama-dynamic"):
        a = run(name, N_SHORT, position="rope")
        for position in ("pi", "ntk", "yarn"):
            assert torch.equal(run(name, N_SHORT, position=position)[0], a[0])
        for position in ("pi:4", "ntk:4", "yarn:4"):
            assert float((run(name, N_SHORT, position=position)[0] - a[0]).abs().max()) > 1e-4, (name, position)
    ok("pi:4, ntk:4, yarn:4 apply at n <= T too (a fixed factor), pi, ntk, yarn do not")
    assert torch.equal(run("llama-gqa2", N_LONG, position="native")[0], run("llama-gqa2", N_LONG)[0])
    ok("native on a model without rope_scaling == rope")
    # yarn: mscale == mscale_all_dim gives attention factor 1; attention_factor overrides; truncate changes the ramp.
    y = {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16, "mscale": 0.7,
         "mscale_all_dim": 0.7}
    assert hf_rope_parameters(y, 16, 1000.0, 64, 40)[1] == 1.0
    y2 = dict(y, attention_factor=1.25)
    assert hf_rope_parameters(y2, 16, 1000.0, 64, 40)[1] == 1.25
    y3 = {"rope_type": "yarn", "factor": 4.0}
    assert abs(hf_rope_parameters(y3, 8, 10000.0, 16, 40)[1] - (0.1 * math.log(4) + 1)) < 1e-15
    inv_y, _ = hf_rope_parameters(y3, 8, 10000.0, 16, 40)
    assert np.allclose(inv_y, yarn_inv_freq(8, 16, 10000.0, 4.0), rtol=1e-14)
    cy = mods["llama-yarn"][0]
    ty, ry = hf_rope_config(cy)
    i_nt, af = hf_rope_parameters(ry, 16, ty, 64, 40)
    i_t, _ = hf_rope_parameters(dict(ry, truncate=True), 16, ty, 64, 40)
    assert abs(af - (0.1 * math.log(4) + 1) / (0.05 * math.log(4) + 1)) < 1e-15 and not np.allclose(i_nt, i_t)
    ok("yarn: attention factor 1 for mscale == mscale_all_dim, attention_factor wins, default 0.1 ln 4 + 1; "
       "factor 4 on T = 16 == the section 1.2 yarn at s = 4; truncate false moves the ramp")
    # llama3: factor 1 leaves inv_freq; the three bands of the fixture (d = 8, Lo = 16: 1 medium, 3 low).
    l3 = {"rope_type": "llama3", "factor": 1.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
          "original_max_position_embeddings": 16}
    assert np.allclose(hf_rope_parameters(l3, 8, 10000.0, 64, 40)[0], default_inv_freq(8, 10000.0), rtol=1e-15)
    _, r3 = hf_rope_config(mods["llama3-scaling"][0])
    i3, _ = hf_rope_parameters(r3, 8, 10000.0, 64, 40)
    base = default_inv_freq(8, 10000.0)
    sm = (16 / (2 * math.pi) - 1) / 3
    assert abs(i3[0] - ((1 - sm) * base[0] / 4 + sm * base[0])) < 1e-15 and np.allclose(i3[1:], base[1:] / 4, rtol=1e-15)
    ok("llama3: factor 1 is the identity; fixture bands: inv[0] smoothed (s = %.4f), inv[1:] / 4" % sm)

    # Metrics on hand-made rows.
    A = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]])
    m = head_metrics(A, 2, False, [1, 2, 3])
    assert m["entropy"][0] == 0.0 and abs(m["entropy"][1] - math.log(2)) < 1e-15
    assert abs(m["normalized_entropy_mean"] - (0 + 1 + (1.5 * math.log(2)) / math.log(3)) / 3) < 1e-15
    assert m["k90_mean"] == (1 + 2 + 3) / 3 and abs(m["max_weight_mean"] - 2 / 3) < 1e-15
    assert abs(m["sink_mass_mean"] - 1.75 / 3) < 1e-15 and abs(m["local_mass_mean"] - 2.75 / 3) < 1e-15
    assert m["distance_profile"] == [(1 + 0.5 + 0.5) / 3, (0.5 + 0.25) / 3, 0.25 / 3]
    assert m["retained_mass_mean"] is None
    z = head_metrics(np.zeros((3, 3)), 16, True, [1, 2, 3])
    assert z["k90_mean"] == 2.0 and z["entropy_mean"] == 0.0 and z["max_weight_mean"] == 0.0
    r = head_metrics(np.array([[0.0, 0.0], [2.0, 6.0]]), 16, True, [1, 2])
    assert r["k90_mean"] == (1 + 2) / 2 and r["max_weight_mean"] == 0.75 / 2
    assert len(head_metrics(np.eye(40), 16, False, range(1, 41))["distance_profile"]) == 7
    ok("metrics on hand-made rows (entropy, normalised entropy with n_i, k90 incl. zero rows = n_i, "
       "sink, local mass, distance bins)")

    # safetensors writer/reader round trip in the three dtypes; bf16/fp16 values are the rounded ones.
    t = torch.randn(3, 5, generator=g)
    for dt in (torch.float32, torch.float16, torch.bfloat16):
        buf = safetensors_bytes({"a": t.to(dt), "b": t[:1].to(dt)})
        (hl,) = struct.unpack("<Q", buf[:8])
        assert hl % 8 == 0
        back = parse_safetensors(buf)
        assert torch.equal(back["a"], t.to(dt)) and back["a"].dtype == dt
    ok("safetensors F32/F16/BF16 round trip (header padded to 8)")
    return checks


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------

def tree_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for fn in files:
            total += os.path.getsize(os.path.join(root, fn))
    return total


def report(out, entries, stats, bad):
    print("%-40s %-20s %-14s %-12s %-18s %-8s %8s %8s" % ("case", "model", "temperature", "qk", "position",
                                                            "keys", "H00", "local00"))
    for e in entries:
        l0 = e["layers"][0]
        print("%-40s %-20s %-14s %-12s %-18s %-8s %8.4f %8.4f" % (
            e["name"], e["model"][:20], e["temperature"][:14], e["qk"], e["position"], e["key_count"],
            l0["entropy_mean"], l0["local_mass_mean"]))
    ne = [l["normalized_entropy_mean"] for e in entries for l in e["layers"] if e["temperature"] == "softmax"]
    print("softmax cases: normalized entropy per (layer, head) %.3f .. %.3f" % (min(ne), max(ne)))
    w = max(stats, key=lambda c: stats[c][0])
    print("largest |maps fp32 - fp64| (relative to max(1,|x|) for squared_relu): %.3g (%s)" % (stats[w][0], w))
    w = max(stats, key=lambda c: stats[c][1])
    print("largest |logits fp32 - fp64|: %.3g (%s)" % (stats[w][1], w))
    w = min(stats, key=lambda c: stats[c][2])
    print("smallest k90 threshold margin: %.3g (%s)" % (stats[w][2], w))
    w = min(stats, key=lambda c: stats[c][3])
    print("smallest top-1/top-2 logit gap: %.4g (%s)" % (stats[w][3], w))
    for sub in ("models", "bad", "golden"):
        p = os.path.join(out, sub)
        print("%-8s %8.1f kB" % (sub + "/", tree_size(p) / 1024.0))
        if sub != "golden":
            for name in sorted(os.listdir(p)):
                print("    %-32s %8.1f kB%s" % (name, tree_size(os.path.join(p, name)) / 1024.0,
                                               ("   EXPECT " + bad[name]) if sub == "bad" else ""))
    print("total    %8.1f kB, %d cases" % (tree_size(out) / 1024.0, len(entries)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="run the reference self-checks only (writes nothing)")
    ap.add_argument("--out", default=os.path.join(DATA_DIR, "llama"), help="output directory (tests/data/llama)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    checks = self_checks()
    for c in checks:
        print("ok  " + c)
    print("%d self-checks passed" % len(checks))
    if args.check:
        return 0
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    models = make_models(out)
    bad = make_bad(out)
    entries, stats = make_goldens(out, models)
    report(out, entries, stats, bad)
    return 0


if __name__ == "__main__":
    sys.exit(main())
