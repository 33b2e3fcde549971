#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""Goldens for the multi-run analyses (method comparison, MLM evaluation), computed with the plain
reference implementation of make_fixtures.py on the committed tiny models.

Run from the repository root after make_fixtures.py:  /usr/bin/python3 tests/data/make_experiment_goldens.py
Writes tests/data/golden/experiments.json."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load(model):
    folder = os.path.join(HERE, "models", model)
    cfg = json.load(open(os.path.join(folder, "config.json")))
    return cfg, mf.load_checkpoint(folder)


def method(cfg, T, preset):
    return mf.resolve_method(cfg, T, *mf.preset_axes(cfg, preset))


def main():
    out = {"compare": [], "evaluate": []}
    ids = [300, 1200, 450, 7675, 2351, 861, 585, 1253, 4041]
    for model, n, a, b in [("tiny-neko", 37, "extrapolate", "infoscale"), ("tiny-neko", 37, "extrapolate", "window"),
                           ("tiny-junnyu", 64, "native", "rerope"), ("tiny-junnyu", 20, "log-n", "alibi")]:
        cfg, w = load(model)
        T = mf.train_length_of(cfg)
        x = mf.make_input(ids, n, "tile")
        (sa, ca), (sb, cb) = method(cfg, T, a), method(cfg, T, b)
        atts_a, _ = mf.forward(w, cfg, x, sa, T)
        atts_b, _ = mf.forward(w, cfg, x, sb, T)
        out["compare"].append({"model": model, "ids": ids, "length": n, "a": a, "b": b,
                               "js_per_layer": mf.js_per_layer(atts_a, atts_b)})
    docs = [[300, 1200, 450, 7675, 2351, 861, 585], [1253, 4041, 179, 317, 1466, 2100, 1506, 2351, 861, 585, 1253]]
    for model, n, preset, positions, fill in [("tiny-junnyu", 16, "native", "all", "tile"),
                                              ("tiny-junnyu", 37, "infoscale", "5", "tile"),
                                              ("tiny-neko", 32, "native", "7", "tile"),
                                              ("tiny-neko", 7, "rerope", "all", "truncate"),
                                              ("tiny-neko", 12, "native", "3", "concat"),
                                              ("tiny-junnyu", 9, "logn", "2", "concat")]:
        cfg, w = load(model)
        T = mf.train_length_of(cfg)
        spec, canon = method(cfg, T, preset)
        r = mf.mlm_evaluate(w, cfg, docs, n, fill, spec, T, positions)
        out["evaluate"].append({"model": model, "document_tokens": docs, "length": n, "preset": preset,
                                "positions": 0 if positions == "all" else int(positions), "fill": fill, **r})
    path = os.path.join(HERE, "golden", "experiments.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", path)
    for c in out["compare"]:
        print("compare", c["model"], c["a"], c["b"], ["%.5f" % v for v in c["js_per_layer"]])
    for e in out["evaluate"]:
        print("evaluate", e["model"], e["length"], e["preset"], e["positions"], "acc %.4f loss %.4f" % (e["accuracy"], e["loss"]))


if __name__ == "__main__":
    main()
