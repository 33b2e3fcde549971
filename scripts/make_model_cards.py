#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
"""Makes the model cards (README.md) of the bundled demo models, end to end, from committed files only.

    scripts/make_model_cards.py            write resources/models/*/README.md
    scripts/make_model_cards.py --check    regenerate in memory; exit 1 if a committed card differs

Inputs, per model folder (GAU-α or, with a causal trainer state, the Llama-architecture demo model):
config.json, trainer_state.json (written by `entroscope-cli train`) and the
results of scripts/run_card_experiments.sh under results/ (evaluate-{concat,tile}/evaluate.json,
sweep-{concat,tile}/sweep.json, with the CSVs beside them). Every number and every comparative sentence of a
card is computed here from those files; the prose around them states no result. Two figures are called
different only when their 95 % intervals do not overlap (accuracy: Wilson interval; loss and the sweep's
metrics: ±1.96 standard errors); otherwise the card says they are indistinguishable at this sample size.
Python standard library only.
"""
import argparse
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.path.join(ROOT, "resources", "models")
Z = 1.959963984540054
FILLS = ("concat", "tile")
FILL_WORDS = {"concat": "non-repeated input (`--fill concat`: held-out chapters one after the other)",
              "tile": "repeated input (`--fill tile`: each chapter repeated to n)"}


# ------------------------------------------------------------------------------------------------
# Reading results
# ------------------------------------------------------------------------------------------------

def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_run(folder, kind, fill):
    path = os.path.join(folder, "results", "%s-%s" % (kind, fill), kind + ".json")
    if not os.path.exists(path):
        return None
    return load_json(path)


def cells(run):
    """{(method, length): point} of an evaluate or sweep run."""
    return {(p["preset"], int(p["length"])): p for p in run["points"]} if run else {}


def layer_mean(point, metric):
    """Mean over layers of a sweep metric, and a standard error that holds whatever the correlation of the
    layers: SE(mean of L values) <= mean of their SEs (triangle inequality). None when undefined."""
    vals = [l[metric] for l in point["layers"]]
    if any(v is None for v in vals):
        return None
    ses = [l.get("se", {}).get(metric) for l in point["layers"]]
    se = None if any(s is None for s in ses) else sum(ses) / len(ses)
    return sum(vals) / len(vals), se


def interval(value, se):
    return (value - Z * se, value + Z * se) if se is not None else (value, value)


def overlap(a, b):
    return a[0] <= b[1] and b[0] <= a[1]


# ------------------------------------------------------------------------------------------------
# Formatting
# ------------------------------------------------------------------------------------------------

def pct(x):
    return "%.1f" % (100 * x)


def acc_cell(p):
    return "%s (%s–%s)" % (pct(p["accuracy"]), pct(p["accuracy_low"]), pct(p["accuracy_high"]))


def loss_cell(p):
    return "%.2f ± %.2f" % (p["loss"], p["loss_se"]) if p.get("loss_se") is not None else "%.2f" % p["loss"]


def mean_cell(m, digits=2):
    if m is None:
        return "–"
    v, se = m
    return ("%.*f ± %.*f" % (digits, v, digits, se)) if se is not None else "%.*f" % (digits, v)


def method_name(name, config):
    if name == "softmax,plain,rope" and config.get("norm_method") == "CosScale":
        return "`softmax,plain,rope` (CosScale removed: an ablation)"
    return "`%s`" % name


def joined(items):
    items = list(items)
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def span(values):
    """'8' or '52–59' for a list of counts."""
    values = sorted(set(values))
    if not values:
        return "no"
    return str(values[0]) if values[0] == values[-1] else "%d–%d" % (values[0], values[-1])


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# Sections
# ------------------------------------------------------------------------------------------------

def tau_infoscale(n, T, d):
    return math.sqrt((1 - n ** (-2.0 / d)) / (1 - T ** (-2.0 / d)))


def evaluate_section(name, config, runs, T, trainer_accuracy, trainer_windows):
    out = []
    d = config["attention_key_size"]
    for fill in FILLS:
        run = runs.get(("evaluate", fill))
        out.append("### MLM accuracy and loss, %s\n" % FILL_WORDS[fill])
        if not run:
            out.append("Not measured yet: `scripts/run_card_experiments.sh %s` makes these results.\n" % name)
            continue
        s = run["settings"]
        lengths, methods = s["lengths"], s["presets"]
        c = cells(run)
        missing = [(m, n) for n in lengths for m in methods if (m, n) not in c]
        samples = sorted({p["samples"] for p in c.values()})
        docs = sorted({p["documents"] for p in c.values()})
        secs = sum(p.get("seconds", 0) for p in c.values())
        out.append("`entroscope-cli evaluate --fill %s --positions %s` on the %d held-out chapters: %s samples per "
                   "cell from %s documents (starts), %.1f minutes of wall time for %d cells. Top-1 accuracy of the "
                   "masked token in %% with its Wilson 95 %% interval:\n"
                   % (fill, s["positions"], s["document_count"], span(samples), span(docs), secs / 60, len(c)))
        header = ["method"] + ["n = %d" % n for n in lengths]
        out.append(table(header, [[method_name(m, config)] + [acc_cell(c[(m, n)]) if (m, n) in c else "–"
                                                            for n in lengths] for m in methods]))
        out.append("\nCross-entropy of the masked token (nats) ± its standard error over documents:\n")
        out.append(table(header, [[method_name(m, config)] + [loss_cell(c[(m, n)]) if (m, n) in c else "–"
                                                            for n in lengths] for m in methods]))
        if c:
            widest = max((p["accuracy_high"] - p["accuracy_low"]) / 2 for p in c.values())
            out.append("\nThe widest accuracy interval in this table is ±%.1f points (half its width)." % (100 * widest))
        if missing:
            out.append("\n%d of %d cells are not measured yet (–); `scripts/run_card_experiments.sh %s` continues "
                       "the run where it stopped." % (len(missing), len(lengths) * len(methods), name))
        # The best methods at the largest measured length, by accuracy intervals.
        measured = [n for n in lengths if all((m, n) in c for m in methods)]
        if measured:
            n = measured[-1]
            ranked = sorted(methods, key=lambda m: -c[(m, n)]["accuracy"])
            best = c[(ranked[0], n)]
            bi = (best["accuracy_low"], best["accuracy_high"])
            ties = [m for m in ranked[1:] if overlap(bi, (c[(m, n)]["accuracy_low"], c[(m, n)]["accuracy_high"]))]
            below = [m for m in ranked[1:] if m not in ties]
            out.append("\n**At n = %d (%d× T)** the highest accuracy is %s's, %s %%; %s %s indistinguishable from it at "
                       "this sample size (the intervals overlap), %s %s lower (the intervals do not overlap)."
                       % (n, n // T, method_name(ranked[0], config), acc_cell(best),
                          joined(method_name(m, config) for m in ties) if ties else "no other method",
                          "is" if len(ties) == 1 else "are", joined(method_name(m, config) for m in below),
                          "is" if len(below) == 1 else "are"))
        # Methods whose results coincide at every measured n >= T (the same computation there).
        same = []
        for i, a in enumerate(methods):
            for b in methods[i + 1:]:
                ns = [n for n in lengths if n >= T and (a, n) in c and (b, n) in c]
                if ns and all(c[(a, n)]["accuracy"] == c[(b, n)]["accuracy"] and c[(a, n)]["loss"] == c[(b, n)]["loss"]
                              for n in ns):
                    same.append("%s and %s" % (method_name(a, config), method_name(b, config)))
        if same:
            out.append("\nIdentical results at every measured n ≥ T: %s%s." % (
                joined(same), " (`logn` and `ssmax` with s = 1/ln T are the same τ = ln n / ln T for n ≥ T)"
                if any("`logn` and `ssmax`" in x for x in same) else ""))
        # At n = T: the evaluation protocol against the trainer's held-out figure.
        if trainer_accuracy is not None and (methods[0], T) in c:
            p = c[(methods[0], T)]
            inside = p["accuracy_low"] <= trainer_accuracy <= p["accuracy_high"]
            out.append("\nAt n = T the trainer's own held-out accuracy (%d windows, BERT masking of 15 %% of the "
                       "tokens) is %s %%; %s at n = T gives %s %%: %s." % (
                           trainer_windows, pct(trainer_accuracy), method_name(methods[0], config), acc_cell(p),
                           "the trainer's figure lies inside this interval" if inside else
                           "the trainer's figure lies outside this interval (one [MASK] per copy here, 15 % of the "
                           "tokens masked at once there)"))
        if fill == "concat" and "log-n" in methods and "infoscale" in methods:
            nmax = lengths[-1]
            out.append("\nAt n = %d with d = %d and T = %d, `infoscale`'s τ = %.3f and `log-n`'s ln n / ln 512 = %.3f: "
                       "the two are nearly the same method at this length, so their rows are expected to agree."
                       % (nmax, d, T, tau_infoscale(nmax, T, d), math.log(nmax) / math.log(512)))
        out.append("")
    # Repetition: tile against concat, like for like.
    rt, rc = runs.get(("evaluate", "tile")), runs.get(("evaluate", "concat"))
    if rt and rc:
        ct, cc = cells(rt), cells(rc)
        lines = []
        for n in rt["settings"]["lengths"]:
            if n <= T:
                continue
            both = [m for m in rt["settings"]["presets"] if (m, n) in ct and (m, n) in cc]
            if not both:
                continue
            lower = [m for m in both if overlap_loss(ct[(m, n)], cc[(m, n)]) is False and
                     ct[(m, n)]["loss"] < cc[(m, n)]["loss"]]
            higher = [m for m in both if overlap_loss(ct[(m, n)], cc[(m, n)]) is False and
                      ct[(m, n)]["loss"] > cc[(m, n)]["loss"]]
            lines.append("| %d | %d | %d | %d | %d |" % (n, len(both), len(lower), len(higher),
                                                         len(both) - len(lower) - len(higher)))
        if lines:
            out.append("### Repeated against non-repeated input\n")
            out.append("The same methods and lengths with `--fill tile` and `--fill concat`: how many methods have a "
                       "loss on repeated text that is lower (or higher) than on non-repeated text with non-overlapping "
                       "95 % intervals (±1.96 SE):\n")
            out.append("| n | methods | tile lower | tile higher | indistinguishable |")
            out.append("| --- | --- | --- | --- | --- |")
            out += lines
            out.append("")
    return "\n".join(out)


def overlap_loss(a, b):
    if a.get("loss_se") is None or b.get("loss_se") is None:
        return None
    return overlap(interval(a["loss"], a["loss_se"]), interval(b["loss"], b["loss_se"]))


def sweep_section(name, config, runs, T):
    out = []
    for fill in FILLS:
        run = runs.get(("sweep", fill))
        out.append("### Entropy, retained and local mass, %s\n" % FILL_WORDS[fill])
        if not run:
            out.append("Not measured yet: `scripts/run_card_experiments.sh %s` makes these results.\n" % name)
            continue
        s = run["settings"]
        lengths, methods = s["lengths"], s["presets"]
        c = cells(run)
        docs = sorted({p["documents"] for p in c.values()})
        secs = sum(p.get("seconds", 0) for p in c.values())
        out.append("`entroscope-cli sweep --fill %s --inputs %d`: at each length the mean over %s inputs (%s) of "
                   "the metrics of every layer, averaged over the %d layers; ± is a standard error (the mean of the "
                   "layers' standard errors, a bound that holds however the layers correlate). %.1f minutes of "
                   "analysis.\n" % (fill, s.get("inputs", 0), span(docs),
                                    "chapters" if fill == "tile" else "starts spread over the chapters",
                                    config["num_hidden_layers"], secs / 60))
        header = ["method"] + ["n = %d" % n for n in lengths]
        for metric, title in (("entropy_mean", "Attention entropy (nats)"),
                              ("retained_mass_mean", "Retained mass: the first T queries' mass on the first T keys "
                                                     "(1 − score dilution)"),
                              ("local_mass_mean", "Local mass: every query's mass on keys with |i − j| < T")):
            out.append("%s:\n" % title)
            out.append(table(header, [[method_name(m, config)] +
                                      [mean_cell(layer_mean(c[(m, n)], metric), 2 if metric == "entropy_mean" else 3)
                                       if (m, n) in c else "–" for n in lengths]
                                      for m in methods]))
            out.append("")
    return "\n".join(out)


def claims_section(name, config, runs, T, other):
    """The paper's three claims, answered from this model's data (and the other demo model's where the claim
    compares the two)."""
    out = ["## The paper's claims, tested on this model\n"]
    sweep = runs.get(("sweep", "concat"))
    if not sweep:
        out.append("Not measured yet: `scripts/run_card_experiments.sh %s` makes the results these answers need.\n"
                   % name)
        return "\n".join(out)
    c = cells(sweep)
    lengths = sweep["settings"]["lengths"]
    nmax = max(n for (m, n) in c)

    def at(m, n, metric):
        return layer_mean(c[(m, n)], metric) if (m, n) in c else None

    def change(m, metric):
        a, b = at(m, T, metric), at(m, nmax, metric)
        if a is None or b is None:
            return None
        se = math.sqrt(a[1] ** 2 + b[1] ** 2) if a[1] is not None and b[1] is not None else None
        return a, b, b[0] - a[0], se

    def differs(delta, se):
        return se is not None and abs(delta) > Z * se

    cos = config.get("norm_method") == "CosScale"
    # Claim 1: InfoScale keeps the attention entropy constant as n grows.
    subject = "infoscale+cosscale" if cos else "infoscale"
    base = "native" if cos else "extrapolate"
    ch, chb = change(subject, "entropy_mean"), change(base, "entropy_mean")
    out.append("**1. Does InfoScale keep attention entropy invariant as n grows?** (non-repeated input)\n")
    if ch and chb:
        (a, b, dl, se), (ab, bb, dlb, seb) = ch, chb
        verdict = ("yes: the change is indistinguishable from zero at this sample size" if not differs(dl, se) else
                   "no: it %s by %.2f ± %.2f nats (95 %% interval %.2f to %.2f), which is %.0f %% of %s's change of %.2f ± %.2f"
                   % ("rises" if dl > 0 else "falls", abs(dl), se, dl - Z * se, dl + Z * se,
                      100 * dl / dlb if dlb else float("nan"), method_name(base, config), dlb, seb))
        out.append("`%s`'s entropy is %s nats at n = T = %d and %s at n = %d; %s. The paper's claim is invariance; %s\n"
                   % (subject, mean_cell(a), T, mean_cell(b), nmax, verdict,
                      "these data agree with it." if not differs(dl, se) else
                      "these data show a smaller growth than without InfoScale, not invariance."
                      if abs(dl) < abs(dlb) else "these data do not show it."))
    else:
        out.append("Not measured yet.\n")

    # Claim 2: a large CosScale approaches windowed attention.
    out.append("**2. Does a large CosScale approach windowed attention?** (local mass: the mass on keys within the "
               "training span |i − j| < T, at n = %d)\n" % nmax)
    if cos:
        cs, win = at("native", nmax, "local_mass_mean"), at("window", nmax, "local_mass_mean")
        sm = other.get(("sweep", "concat"))
        sm_c = cells(sm) if sm else {}
        soft = layer_mean(sm_c[("extrapolate", nmax)], "local_mass_mean") if ("extrapolate", nmax) in sm_c else None
        if cs and win and soft:
            frac = (cs[0] - soft[0]) / (win[0] - soft[0]) if win[0] != soft[0] else float("nan")
            out.append("CosScale (S = %g, as trained) keeps %s of its mass local, `window` %s, and the softmax demo model "
                       "without CosScale (`extrapolate`) %s: CosScale goes %.0f %% of the way from softmax to windowed "
                       "attention. %s\n" % (
                           config.get("my_info_dict", {}).get("train_norm_method", {}).get("CosScale_value", 0),
                           mean_cell(cs, 3), mean_cell(win, 3), mean_cell(soft, 3), 100 * frac,
                           "It is closer to the window than to softmax, in the direction the paper describes."
                           if frac > 0.5 else "It stays closer to softmax than to the window, unlike the paper's "
                                              "description."))
        else:
            out.append("Not measured yet (needs this model's sweep and the softmax demo model's).\n")
    else:
        out.append("This model has no CosScale; the answer is in the demo-cosscale card.\n")

    # Claim 3: softmax attention dilutes past the training length (and, on a CosScale model, how much less).
    out.append(("**3. Does attention dilute past T under CosScale, and less than softmax's?** (`%s`, the model as "
                "trained)\n" if cos else "**3. Does softmax attention dilute past T?** (`%s`, the model as trained)\n")
               % base)
    r, l = change(base, "retained_mass_mean"), change(base, "local_mass_mean")
    if r and l:
        verdict = ("Yes: the original tokens lose attention as n grows (the fall is outside the 95 % interval)"
                   if differs(r[2], r[3]) and r[2] < 0 else
                   "The change is indistinguishable from zero at this sample size: no dilution is shown")
        if cos:
            sm = cells(other.get(("sweep", "concat")))
            soft = layer_mean(sm[("extrapolate", nmax)], "retained_mass_mean") if ("extrapolate", nmax) in sm else None
            if soft:
                less = not overlap(interval(*r[1]), interval(*soft)) and r[1][0] > soft[0]
                verdict += ("; the softmax demo model keeps %s at n = %d, so CosScale dilutes %s, as the paper says"
                            % (mean_cell(soft, 3), nmax, "less (the intervals do not overlap)" if less else
                               "no less at this sample size (the intervals overlap), unlike the paper"))
        elif differs(r[2], r[3]) and r[2] < 0:
            verdict += ", as the paper says"
        out.append("Retained mass %s at n = T, %s at n = %d (dilution %s); local mass %s → %s. %s.\n" % (
            mean_cell(r[0], 3), mean_cell(r[1], 3), nmax, "%.3f" % (1 - r[1][0]), mean_cell(l[0], 3), mean_cell(l[1], 3),
            verdict))
    else:
        out.append("Not measured yet.\n")
    # Claim 4 (the paper's table): InfoScale (+ CosScale) above every baseline far past T.
    out.append("**4. Does %s beat the baselines far past T?** (MLM accuracy, non-repeated input, at the largest "
               "length where every method of both demo models is measured)\n" % ("`infoscale+cosscale`" if cos else "`infoscale`"))
    mine = cells(runs.get(("evaluate", "concat")))
    theirs = cells(other.get(("evaluate", "concat")))
    pool = {}  # (model, method) -> {n: point}
    for label, c4, folder_cos in (("this model", mine, cos), ("the other demo model", theirs, not cos)):
        for (m, n), p in c4.items():
            pool.setdefault((label, m), {})[n] = p
    subject4 = ("this model", "infoscale+cosscale" if cos else "infoscale")
    baselines = [k for k in pool if k[1] in ("extrapolate", "log-n", "logn", "ssmax", "pi", "ntk", "yarn", "rerope",
                                             "window", "streamingllm", "lminfinite")
                 and (k[0] == "this model") == (not cos)]  # the baselines run on the softmax model
    common = set(pool.get(subject4, {}))
    for k in baselines:
        common &= set(pool[k])
    if subject4 in pool and baselines and common:
        n4 = max(common)
        sp = pool[subject4][n4]
        si = (sp["accuracy_low"], sp["accuracy_high"])
        above = [k for k in baselines if pool[k][n4]["accuracy_high"] < si[0]]
        below = [k for k in baselines if pool[k][n4]["accuracy_low"] > si[1]]
        tied = [k for k in baselines if k not in above and k not in below]
        name4 = lambda k: "`%s`" % k[1]
        out.append("At n = %d, %s has %s %%. Baselines (on the softmax demo model) %s: %s; indistinguishable: %s; "
                   "higher: %s. %s\n" % (
                       n4, name4(subject4), acc_cell(sp), "below it", joined(name4(k) for k in above) if above else "none",
                       joined(name4(k) for k in tied) if tied else "none", joined(name4(k) for k in below) if below else "none",
                       "As in the paper, it is above every baseline." if len(above) == len(baselines) else
                       "The paper reports it above every baseline; here it is not below any, but %d %s "
                       "indistinguishable from it at this sample size, so these data do not confirm that claim."
                       % (len(tied), "is" if len(tied) == 1 else "are") if not below else
                       "The paper reports it above every baseline; these data disagree (some are higher)."))
    else:
        out.append("Not measured yet (needs both demo models' evaluate runs at a common length).\n")

    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# The card
# ------------------------------------------------------------------------------------------------

def card(folder, other_folder):
    name = os.path.basename(os.path.normpath(folder))
    config = load_json(os.path.join(folder, "config.json"))
    state = load_json(os.path.join(folder, "trainer_state.json"))
    runs = {}
    for kind in ("evaluate", "sweep"):
        for fill in FILLS:
            r = load_run(folder, kind, fill)
            if r:
                runs[(kind, fill)] = r
    other = {}
    if other_folder:
        for kind in ("evaluate", "sweep"):
            for fill in FILLS:
                r = load_run(other_folder, kind, fill)
                if r:
                    other[(kind, fill)] = r
    o = state["options"]
    T = o["train_length"]
    cos = config.get("norm_method") == "CosScale"
    s = config.get("my_info_dict", {}).get("train_norm_method", {}).get("CosScale_value")
    qk = "cosscale:%g" % s if cos else "plain"
    steps = state["step"]
    tokens_seen = steps * o["batch_size"] * o["train_length"]
    epochs = tokens_seen / state["train_tokens"]
    secs = state["train_seconds"]
    hist = state["history"]
    last = hist[-1]
    V, H, E, S, L = (config[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "attention_key_size",
                                          "num_hidden_layers"))
    size = os.path.getsize(os.path.join(folder, "pytorch_model.bin"))
    curve = ["| %d | %.3f | %.3f | %.1f %% |" % (int(h[0]), h[1], h[2], 100 * h[3])
             for h in hist if int(h[0]) % 500 == 0 or h is hist[-1]]
    title = "plain softmax (the paper's \"noCosScale\")" if not cos else "CosScale, S = %g (the paper's \"CosScale\")" % s
    why_s = ""
    if cos:
        why_s = ("\n**Why S = %g.** CosScale turns every score into `S·cos(q, k)` (METHODS.md §1.1), so S bounds the logit "
                 "gap a head can express. The paper trains its CosScale checkpoint with S = 128 for key size d = 128, "
                 "i.e. S = d; this model has d = %d, so S = d = %g keeps the paper's ratio.\n" % (s, S, s))
    compute = sum(p.get("seconds", 0) for r in runs.values() for p in r["points"])
    text = """<!-- SPDX-License-Identifier: Apache-2.0 -->
<!-- SPDX-FileCopyrightText: 2026 EntroScope developers -->
<!-- Made by scripts/make_model_cards.py from config.json, trainer_state.json and results/; do not edit by hand. -->
# {name}: a GAU-α trained by EntroScope, {title}

A small masked-language model with the exact GAU-α architecture of the paper's checkpoints (single-head
gated attention units, RoPE, post-norm RMS, tied MLM head), trained from scratch by `entroscope-cli train`
on public-domain English so that EntroScope opens a real trained model on a machine without network
access. Training length **T = {T}**, as in the paper. It is a demo, not a language model for
use: {L} layers, {params:,} parameters.

## Data

- **Corpus**: the King James Version of the Bible (1611, public domain), from the Debian package
  `bible-kjv-text`, one chapter per document; see `resources/corpus/SOURCE.md` for the version, licence and the
  extraction (`scripts/make_corpus.sh`).
- **Split**: every 20th chapter is held out (`kjv-heldout.txt.gz`, {held:,} tokens), the rest is
  training text ({train:,} tokens). The tokenizer and the model never saw the held-out chapters.
- **Tokenizer**: `tokenizer.model`, a SentencePiece unigram model with {V} pieces trained on the training split
  by EntroScope (`entroscope-cli train-tokenizer --vocab-size {V}`), NFKC normalisation; ids 0–3 are `[PAD]`,
  `[UNK]`, `[CLS]`, `[SEP]`, id 4 is `[MASK]`. It covers English only: other scripts become `[UNK]`.

## Architecture (config.json)

| | |
| --- | --- |
| layers | {L} |
| hidden size H | {H} |
| intermediate size E | {E} |
| attention key size d | {S} |
| vocabulary | {V} |
| parameters | {params:,} ({mb:.1f} MB `pytorch_model.bin`, float32; decoder tied to the word embeddings) |
| attention | `normalization: "softmax"`, `norm_method: "{norm}"`{cosval} |
| training length | `my_info_dict.train_len` = {T} |
{why_s}
## Training

    scripts/make_demo_models.sh {which}

    entroscope-cli train --corpus kjv-train.txt --held-out kjv-heldout.txt --tokenizer tokenizer.model \\
      --out {name} --qk {qk} --layers {L} --hidden {H} --intermediate {E} --key-size {S} \\
      --train-length {T} --steps {steps_opt} --batch {batch} --lr {lr:g} --seed {seed} --threads 1

- Masked LM, BERT masking: {maskp:g} % of the positions predicted, of them 80 % `[MASK]`, 10 % a random
  piece, 10 % unchanged; windows of exactly T = {T} tokens at random offsets of the concatenated training
  text, no `[CLS]`/`[SEP]`.
- AdamW (β = 0.9, 0.98; ε = 1e-6; weight decay {wd:g} on matrices, none on the ScaleOffset γ), peak
  learning rate {lr:g}, linear warm-up over {warm} steps, cosine decay to {minlr:g}× at the end;
  gradient norm clipped at 1; initialisation N(0, {init:g}), γ = 1; seed {seed}.
- {steps} steps × {batch} windows × {T} tokens = {mtok:.2f} M tokens ≈ {epochs:.1f} epochs, {minutes:.1f} min of wall
  time ({tps:,.0f} training tokens/s).

## Results at the training length (n = T = {T})

The trainer's held-out figures: {windows} fixed non-overlapping {T}-token windows of the held-out chapters with fixed
BERT masks (seed {seed}); `tst_trainer` recomputes them from the shipped files.

| | |
| --- | --- |
| final training loss (mean over the last {evali} steps) | {trainloss:.3f} nats |
| held-out loss | {heldloss:.3f} nats (perplexity {ppl:.1f}) |
| held-out top-1 accuracy of the masked tokens | {heldacc:.1f} % |

| step | train loss | held-out loss | held-out accuracy |
| --- | --- | --- | --- |
{curve}

## Length extrapolation: the paper's protocol in miniature

The paper's MLM protocol (METHODS.md §3: one `[MASK]` per forward, the masked positions spread over the
sequence) and the attention metrics of `sweep`, on the held-out chapters, at n = T … 64 T, for every method
run like for like on this checkpoint (METHODS.md §4: a preset sets only the axes it names). All results
below are in `results/`; `scripts/run_card_experiments.sh` made them (and continues them when interrupted),
in {compute_h:.2f} hours of wall time in all on this project's 2-core machine.

{evaluate}
{sweep}
{claims}
## Licence

The weights and the tokenizer are EntroScope's work (Apache-2.0); the training text is in the public domain.
""".format(
        name=name, title=title, T=T, L=L, params=state["parameters"], held=state["held_out_tokens"],
        train=state["train_tokens"], V=V, H=H, E=E, S=S, mb=size / 1e6, norm=config.get("norm_method"),
        cosval=(", CosScale_value %g" % s) if cos else "", why_s=why_s, which="cosscale" if cos else "softmax", qk=qk,
        steps_opt=o["steps"], batch=o["batch_size"], lr=o["lr"], seed=o["seed"], maskp=100 * o["mask_prob"],
        wd=o["weight_decay"], warm=o["warmup_steps"], minlr=o["min_lr_ratio"], init=o["init_std"], steps=steps,
        mtok=tokens_seen / 1e6, epochs=epochs, minutes=secs / 60, tps=tokens_seen / secs,
        windows=state.get("held_out_windows", o["eval_windows"]), evali=o["eval_interval"], trainloss=last[1],
        heldloss=last[2], ppl=math.exp(last[2]), heldacc=100 * last[3], curve="\n".join(curve),
        compute_h=compute / 3600,
        evaluate=evaluate_section(name, config, runs, T, last[3], state.get("held_out_windows", o["eval_windows"])),
        sweep=sweep_section(name, config, runs, T),
        claims=claims_section(name, config, runs, T, other))
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text



# ------------------------------------------------------------------------------------------------
# The causal (Llama-architecture) demo model's card
# ------------------------------------------------------------------------------------------------

CAUSAL_FORMAT = "entroscope-causal-trainer-1"


def is_causal(folder):
    return load_json(os.path.join(folder, "trainer_state.json")).get("format") == CAUSAL_FORMAT


def se_cell(v, se, digits=2):
    if v is None:
        return "–"
    return ("%.*f ± %.*f" % (digits, v, digits, se)) if se is not None else "%.*f" % (digits, v)


def beyond_interval(p):
    """95 % interval of the next-token loss beyond T (±1.96 SE), or None."""
    if p.get("loss_beyond_T") is None or p.get("loss_beyond_T_se") is None:
        return None
    return interval(p["loss_beyond_T"], p["loss_beyond_T_se"])


def causal_evaluate_section(name, runs, T):
    out = ["### Next-token prediction, %s\n" % FILL_WORDS["concat"]]
    run = runs.get(("evaluate", "concat"))
    if not run:
        out.append("Not measured yet: `scripts/run_card_experiments.sh %s` makes these results.\n" % name)
        return "\n".join(out)
    s = run["settings"]
    lengths, methods = s["lengths"], s["presets"]
    c = cells(run)
    docs = sorted({p["documents"] for p in c.values()})
    secs = sum(p.get("seconds", 0) for p in c.values())
    out.append("`entroscope-cli evaluate --fill concat` on the %d held-out chapters: every start whose continuation "
               "holds n tokens (%s starts per length) is run once, and the cross-entropy of token t + 1 is taken at "
               "every position t; %.1f minutes of wall time for %d cells. Loss over all positions (nats) ± its "
               "standard error over the starts:\n" % (s["document_count"], span(docs), secs / 60, len(c)))
    header = ["method"] + ["n = %d" % n for n in lengths]
    out.append(table(header, [["`%s`" % m] + [se_cell(c[(m, n)]["loss"], c[(m, n)].get("loss_se")) if (m, n) in c
                                              else "–" for n in lengths] for m in methods]))
    beyond = [n for n in lengths if n > T]
    out.append("\nLoss beyond T (the positions t ≥ T = %d, which see more keys than any training window) ± its "
               "standard error:\n" % T)
    hb = ["method"] + ["n = %d" % n for n in beyond]
    out.append(table(hb, [["`%s`" % m] + [se_cell(c[(m, n)].get("loss_beyond_T"), c[(m, n)].get("loss_beyond_T_se"))
                                          if (m, n) in c else "–" for n in beyond] for m in methods]))
    out.append("\nTop-1 accuracy beyond T in % with its Wilson 95 % interval:\n")
    out.append(table(hb, [["`%s`" % m] + ["%s (%s–%s)" % (pct(c[(m, n)]["accuracy_beyond_T"]),
                                                           pct(c[(m, n)]["accuracy_beyond_T_low"]),
                                                           pct(c[(m, n)]["accuracy_beyond_T_high"]))
                                          if (m, n) in c and c[(m, n)].get("accuracy_beyond_T") is not None else "–"
                                          for n in beyond] for m in methods]))
    missing = [(m, n) for n in lengths for m in methods if (m, n) not in c]
    if missing:
        out.append("\n%d of %d cells are not measured yet (–); `scripts/run_card_experiments.sh %s` continues the "
                   "run where it stopped." % (len(missing), len(lengths) * len(methods), name))
    at_t = [m for m in methods if (m, T) in c]
    if at_t:
        same = [m for m in at_t if c[(m, T)]["loss"] == c[(at_t[0], T)]["loss"]]
        out.append("\nAt n = T every method here gives %s loss (%s of %d identical): a causal model saw every row "
                   "length up to T in training, and these methods change nothing there (METHODS.md §6)."
                   % ("the same" if len(same) == len(at_t) else "not quite the same", len(same), len(at_t)))
    measured = [n for n in beyond if all((m, n) in c and beyond_interval(c[(m, n)]) for m in methods)]
    if measured:
        n = measured[-1]
        ranked = sorted(methods, key=lambda m: c[(m, n)]["loss_beyond_T"])
        bi = beyond_interval(c[(ranked[0], n)])
        ties = [m for m in ranked[1:] if overlap(bi, beyond_interval(c[(m, n)]))]
        worse = [m for m in ranked[1:] if m not in ties]
        out.append("\n**At n = %d (%d× T)** the lowest loss beyond T is `%s`'s, %s nats; %s %s indistinguishable from "
                   "it at this sample size (95 %% intervals that overlap), %s %s higher (intervals apart)." % (
                       n, n // T, ranked[0], se_cell(c[(ranked[0], n)]["loss_beyond_T"],
                                                     c[(ranked[0], n)]["loss_beyond_T_se"]),
                       joined("`%s`" % m for m in ties) if ties else "no other method",
                       "is" if len(ties) <= 1 else "are", joined("`%s`" % m for m in worse) if worse else "no method",
                       "is" if len(worse) <= 1 else "are"))
    out.append("")
    return "\n".join(out)


def causal_sweep_section(name, config, runs):
    out = []
    heads = config["num_hidden_layers"] * config["num_attention_heads"]
    for fill in FILLS:
        run = runs.get(("sweep", fill))
        out.append("### Entropy and local mass, %s\n" % FILL_WORDS[fill])
        if not run:
            out.append("Not measured yet: `scripts/run_card_experiments.sh %s` makes these results.\n" % name)
            continue
        s = run["settings"]
        lengths, methods = s["lengths"], s["presets"]
        c = cells(run)
        docs = sorted({p["documents"] for p in c.values()})
        secs = sum(p.get("seconds", 0) for p in c.values())
        out.append("`entroscope-cli sweep --fill %s --inputs %d`: at each length the mean over %s inputs of the "
                   "metrics of every (layer, head), averaged over the %d heads of the %d layers; ± is the mean of the "
                   "heads' standard errors (a bound that holds however the heads correlate). Retained mass is 1 by "
                   "construction for a causal model; local mass (every query's mass on keys with i − j < T) is its "
                   "dilution figure (METHODS.md §3). %.1f minutes of analysis.\n"
                   % (fill, s.get("inputs", 0), span(docs), heads, config["num_hidden_layers"], secs / 60))
        header = ["method"] + ["n = %d" % n for n in lengths]
        for metric, title in (("entropy_mean", "Attention entropy (nats)"),
                              ("local_mass_mean", "Local mass (1 − score dilution)")):
            out.append("%s:\n" % title)
            out.append(table(header, [["`%s`" % m] + [mean_cell(layer_mean(c[(m, n)], metric),
                                                                2 if metric == "entropy_mean" else 3)
                                                      if (m, n) in c else "–" for n in lengths] for m in methods]))
            out.append("")
    return "\n".join(out)


def causal_claims_section(name, runs, T):
    out = ["## The paper's claims, tested on a causal model\n",
           "The paper measures a bidirectional GAU-α; these are the same questions asked of a causal Llama-architecture "
           "model, answered from the results above.\n"]
    sweep, ev = runs.get(("sweep", "concat")), runs.get(("evaluate", "concat"))
    if not sweep or not ev:
        out.append("Not measured yet: `scripts/run_card_experiments.sh %s` makes the results these answers need.\n"
                   % name)
        return "\n".join(out)
    c = cells(sweep)
    nmax = max(n for (m, n) in c)

    def change(m, metric):
        a = layer_mean(c[(m, T)], metric) if (m, T) in c else None
        b = layer_mean(c[(m, nmax)], metric) if (m, nmax) in c else None
        if a is None or b is None:
            return None
        se = math.sqrt(a[1] ** 2 + b[1] ** 2) if a[1] is not None and b[1] is not None else None
        return a, b, b[0] - a[0], se

    def differs(delta, se):
        return se is not None and abs(delta) > Z * se

    out.append("**1. Does InfoScale keep attention entropy invariant as n grows?** (non-repeated input; in a causal "
               "model query i sees i + 1 keys, so the mean over all queries grows with n even where every row keeps "
               "the entropy it had at its own length in training)\n")
    ch, chb = change("infoscale", "entropy_mean"), change("extrapolate", "entropy_mean")
    if ch and chb:
        (a, b, dl, se), (_, _, dlb, seb) = ch, chb
        delta = lambda d, e: ("%+.2f ± %.2f" % (d, e)) if e is not None else "%+.2f" % d
        out.append("`infoscale`'s entropy is %s nats at n = T = %d and %s at n = %d (change %s); "
                   "`extrapolate`'s changes by %s. %s\n" % (
                       mean_cell(a), T, mean_cell(b), nmax, delta(dl, se), delta(dlb, seb),
                       "Without standard errors (one input per length) these data cannot decide." if se is None else
                       "The change under InfoScale is indistinguishable from zero: these data agree with the claim."
                       if not differs(dl, se) else
                       "Both change; InfoScale's change is the smaller, which is less than the invariance the paper "
                       "claims." if abs(dl) < abs(dlb) else "These data do not show invariance."))
    else:
        out.append("Not measured yet.\n")
    out.append("**2. Does causal softmax attention dilute past T?** (`extrapolate`, local mass)\n")
    lm = change("extrapolate", "local_mass_mean")
    if lm:
        a, b, dl, se = lm
        out.append("Local mass %s at n = T, %s at n = %d (score dilution %.3f). %s\n" % (
            mean_cell(a, 3), mean_cell(b, 3), nmax, 1 - b[0],
            "Yes: the fall is outside its 95 % interval, as the paper's diagnosis says." if differs(dl, se) and dl < 0
            else "Without standard errors (one input per length) these data cannot decide." if se is None
            else "The change is indistinguishable from zero at this sample size."))
    else:
        out.append("Not measured yet.\n")
    out.append("**3. Does InfoScale beat the baselines far past T?** (next-token loss beyond T, non-repeated input)\n")
    e = cells(ev)
    methods = ev["settings"]["presets"]
    common = [n for n in ev["settings"]["lengths"] if n > T and all((m, n) in e and beyond_interval(e[(m, n)])
                                                                 for m in methods)]
    if "infoscale" in methods and common:
        n = common[-1]
        si = beyond_interval(e[("infoscale", n)])
        better = [m for m in methods if m != "infoscale" and beyond_interval(e[(m, n)])[1] < si[0]]
        worse = [m for m in methods if m != "infoscale" and beyond_interval(e[(m, n)])[0] > si[1]]
        tied = [m for m in methods if m != "infoscale" and m not in better and m not in worse]
        out.append("At n = %d, `infoscale` has %s nats. Higher loss (worse): %s; indistinguishable: %s; lower loss "
                   "(better): %s. %s\n" % (
                       n, se_cell(e[("infoscale", n)]["loss_beyond_T"], e[("infoscale", n)]["loss_beyond_T_se"]),
                       joined("`%s`" % m for m in worse) if worse else "none",
                       joined("`%s`" % m for m in tied) if tied else "none",
                       joined("`%s`" % m for m in better) if better else "none",
                       "As the paper reports for GAU-α, it is ahead of every baseline here."
                       if len(worse) == len(methods) - 1 else
                       "The paper reports InfoScale ahead of every baseline (on GAU-α); on this causal model these "
                       "data %s." % ("disagree: some baselines are better" if better else
                                     "do not confirm that: some baselines are indistinguishable from it")))
    else:
        out.append("Not measured yet.\n")
    return "\n".join(out)


def causal_card(folder):
    name = os.path.basename(os.path.normpath(folder))
    config = load_json(os.path.join(folder, "config.json"))
    state = load_json(os.path.join(folder, "trainer_state.json"))
    runs = {}
    for kind in ("evaluate", "sweep"):
        for fill in FILLS:
            r = load_run(folder, kind, fill)
            if r:
                runs[(kind, fill)] = r
    o = state["options"]
    T = o["train_length"]
    steps = state["step"]
    tokens_seen = steps * o["batch_size"] * T
    secs = state["train_seconds"]
    hist = state["history"]
    last = hist[-1]
    size = os.path.getsize(os.path.join(folder, "model.safetensors"))
    curve = ["| %d | %.3f | %.3f | %.1f %% |" % (int(h[0]), h[1], h[2], 100 * h[3])
             for h in hist if int(h[0]) % 500 == 0 or h is hist[-1]]
    compute = sum(p.get("seconds", 0) for r in runs.values() for p in r["points"])
    L, H, E, NH, KV, HD, V = (config[k] for k in ("num_hidden_layers", "hidden_size", "intermediate_size",
                                                    "num_attention_heads", "num_key_value_heads", "head_dim",
                                                    "vocab_size"))
    text = """<!-- SPDX-License-Identifier: Apache-2.0 -->
<!-- SPDX-FileCopyrightText: 2026 EntroScope developers -->
<!-- Made by scripts/make_model_cards.py from config.json, trainer_state.json and results/; do not edit by hand. -->
# {name}: a causal Llama-architecture model trained by EntroScope

A small causal language model in the exact Hugging Face `LlamaForCausalLM` layout (RMSNorm, half-split RoPE,
grouped-query attention, SiLU-gated MLP, tied embeddings; `config.json` + `model.safetensors`), trained from
scratch by `entroscope-cli train --arch llama` on public-domain English so that EntroScope opens a real trained
multi-head causal model on a machine without network access. Training length **T = {T}**. It is a demo, not a
language model for use: {L} layers × {NH} heads, {params:,} parameters.

## Data

- **Corpus**: the King James Version of the Bible (public domain), one chapter per document; see
  `resources/corpus/SOURCE.md`. Every 20th chapter is held out (`kjv-heldout.txt.gz`, {held:,} tokens), the rest
  is training text ({train:,} tokens).
- **Tokenizer**: `tokenizer.model`, the SentencePiece unigram model of the GAU-α demo models ({V} pieces, trained on
  the training split by `entroscope-cli train-tokenizer`). Its `[MASK]` piece is unused by this model.

## Architecture (config.json)

| | |
| --- | --- |
| `model_type` | `{mt}` (`LlamaForCausalLM`) |
| layers | {L} |
| hidden size | {H} |
| intermediate size | {E} |
| attention heads / key-value heads | {NH} / {KV} (grouped-query attention, {rep} query heads per KV head) |
| head size d | {HD} |
| RoPE base `rope_theta` | {theta:g} |
| `max_position_embeddings` | {T} |
| vocabulary | {V} |
| parameters | {params:,} ({mb:.1f} MB `model.safetensors`, float32; `lm_head` tied to the embeddings) |

## Training

    scripts/make_demo_models.sh llama

    entroscope-cli train --arch llama --corpus kjv-train.txt --held-out kjv-heldout.txt --tokenizer tokenizer.model \\
      --out {name} --layers {L} --hidden {H} --heads {NH} --kv-heads {KV} --intermediate {E} \\
      --train-length {T} --steps {steps_opt} --batch {batch} --lr {lr:g} --seed {seed} --threads 1

- Causal LM: windows of T + 1 = {T1} tokens at random offsets of the concatenated training text; the cross-entropy
  of the next token at every one of the T positions.
- AdamW (β = 0.9, 0.98; ε = 1e-6; weight decay {wd:g} on matrices, none on the RMSNorm weights), peak learning
  rate {lr:g}, linear warm-up over {warm} steps, cosine decay to {minlr:g}× at the end; gradient norm clipped at 1;
  initialisation N(0, {init:g}), RMSNorm weights 1; seed {seed}.
- {steps} steps × {batch} windows × {T} tokens = {mtok:.2f} M tokens, {minutes:.1f} min of wall time
  ({tps:,.0f} training tokens/s).

## Results at the training length (n = T = {T})

The trainer's held-out figures: {windows} fixed non-overlapping windows of T + 1 tokens of the held-out chapters;
`tst_causal_trainer` recomputes them from the shipped files.

| | |
| --- | --- |
| final training loss (mean over the last {evali} steps) | {trainloss:.3f} nats |
| held-out next-token loss | {heldloss:.3f} nats (perplexity {ppl:.1f}) |
| held-out next-token top-1 accuracy | {heldacc:.1f} % |

| step | train loss | held-out loss | held-out accuracy |
| --- | --- | --- | --- |
{curve}

## Length extrapolation

Next-token prediction and the attention metrics of `sweep` on the held-out chapters at n = T … 64 T, every method
run like for like on this checkpoint (METHODS.md §4, §6: for a causal model InfoScale and SSMax are clamped at
τ ≥ 1). All results below are in `results/`; `scripts/run_card_experiments.sh {name}` made them (and continues
them when interrupted), in {compute_h:.2f} hours of wall time on this project's 2-core machine.

{evaluate}
{sweep}
{claims}
## Licence

The weights are EntroScope's work (Apache-2.0); the training text is in the public domain.
""".format(name=name, T=T, T1=T + 1, L=L, NH=NH, KV=KV, H=H, E=E, HD=HD, V=V, rep=NH // KV, mt=config["model_type"],
           theta=config["rope_theta"], params=state["parameters"], held=state["held_out_tokens"],
           train=state["train_tokens"], mb=size / 1e6, steps_opt=o["steps"], batch=o["batch_size"], lr=o["lr"],
           seed=o["seed"], wd=o["weight_decay"], warm=o["warmup_steps"], minlr=o["min_lr_ratio"], init=o["init_std"],
           steps=steps, mtok=tokens_seen / 1e6, minutes=secs / 60, tps=tokens_seen / secs,
           windows=state.get("held_out_windows", o["eval_windows"]), evali=o["eval_interval"], trainloss=last[1],
           heldloss=last[2], ppl=math.exp(last[2]), heldacc=100 * last[3], curve="\n".join(curve),
           compute_h=compute / 3600, evaluate=causal_evaluate_section(name, runs, T),
           sweep=causal_sweep_section(name, config, runs), claims=causal_claims_section(name, runs, T))
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def self_test():
    """The interval logic on hand-made cases (ctest runs it with --check)."""
    assert overlap((0.1, 0.3), (0.3, 0.5)) and not overlap((0.1, 0.29), (0.3, 0.5))
    lo, hi = interval(2.0, 0.5)
    assert abs(lo - (2.0 - Z * 0.5)) < 1e-12 and abs(hi - (2.0 + Z * 0.5)) < 1e-12
    point = {"layers": [{"entropy_mean": 1.0, "se": {"entropy_mean": 0.1}},
                        {"entropy_mean": 3.0, "se": {"entropy_mean": 0.3}},
                        {"entropy_mean": 2.0, "retained_mass_mean": None, "se": {"entropy_mean": 0.2}}]}
    v, se = layer_mean(point, "entropy_mean")
    assert abs(v - 2.0) < 1e-12 and abs(se - 0.2) < 1e-12  # mean of the layers' SEs
    assert layer_mean({"layers": [{"retained_mass_mean": None, "se": {}}]}, "retained_mass_mean") is None
    assert overlap_loss({"loss": 3.0, "loss_se": 0.1}, {"loss": 3.5, "loss_se": 0.1}) is False
    assert overlap_loss({"loss": 3.0, "loss_se": 0.2}, {"loss": 3.5, "loss_se": 0.2}) is True
    assert overlap_loss({"loss": 3.0, "loss_se": None}, {"loss": 3.5, "loss_se": 0.1}) is None
    assert abs(tau_infoscale(4096, 64, 128) - 1.39179) < 5e-6
    assert acc_cell({"accuracy": 0.3125, "accuracy_low": 0.25, "accuracy_high": 0.375}) == "31.2 (25.0–37.5)"
    assert joined(["a", "b", "c"]) == "a, b and c" and joined([]) == "none"
    assert span([8, 8]) == "8" and span([59, 52, 55]) == "52–59" and span([]) == "no"
    assert se_cell(3.0, 0.25) == "3.00 ± 0.25" and se_cell(None, None) == "–"
    assert beyond_interval({"loss_beyond_T": None, "loss_beyond_T_se": None}) is None
    lo, hi = beyond_interval({"loss_beyond_T": 4.0, "loss_beyond_T_se": 0.5})
    assert abs(lo - (4.0 - Z * 0.5)) < 1e-12 and abs(hi - (4.0 + Z * 0.5)) < 1e-12


def model_folders():
    return sorted(os.path.join(MODELS_DIR, d) for d in os.listdir(MODELS_DIR)
                  if os.path.exists(os.path.join(MODELS_DIR, d, "trainer_state.json")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if a committed card differs from its regeneration")
    ap.add_argument("--self-test", action="store_true", help="check the interval logic on hand-made cases first")
    args = ap.parse_args()
    if args.self_test:
        self_test()
    folders = model_folders()
    stale = []
    gau = [f for f in folders if not is_causal(f)]
    for folder in folders:
        if is_causal(folder):
            text = causal_card(folder)
        else:  # a GAU-α card compares with the other GAU-α demo model
            others = [f for f in gau if f != folder]
            text = card(folder, others[0] if others else None)
        path = os.path.join(folder, "README.md")
        if args.check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(path)
            continue
        tmp = path + ".partial"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        print("make_model_cards: " + os.path.relpath(path, ROOT), file=sys.stderr)
    if stale:
        for p in stale:
            print("make_model_cards: %s differs from what its results give (run scripts/make_model_cards.py)"
                  % os.path.relpath(p, ROOT), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
