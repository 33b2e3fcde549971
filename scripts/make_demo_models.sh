#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
#
# Trains the three shipped demo models with EntroScope's own trainer and copies them into
# resources/models/ (config.json, the weights, tokenizer.model, trainer_state.json and the model card
# README.md; never optimizer.pt, which is only for resuming): two masked-LM GAU-α (demo-softmax,
# demo-cosscale) and one causal Llama-architecture model (demo-llama: model.safetensors).
#
#   scripts/make_demo_models.sh [tokenizer|softmax|cosscale|llama|cards|all]   (default: all, one after the other)
#
# `cards` runs the card protocol (scripts/run_card_experiments.sh: evaluate and sweep, tile and concat,
# n = 64..4096, resumable; results in resources/models/NAME/results/) and makes both README.md model cards
# from those results with scripts/make_model_cards.py.
#
# Environment: ENTROSCOPE_CLI (default build/app/entroscope-cli), WORK (default build/demo-training),
# THREADS (intra-op threads per model, default 1: on a shared 2-core machine one thread per model runs
# faster than two contending ones, and the two models can train side by side).
# An interrupted model resumes where it stopped when the script is run again.
#
# The one command per model (after the corpus is unpacked and the tokenizer trained):
#   entroscope-cli train --corpus kjv-train.txt --held-out kjv-heldout.txt --tokenizer tokenizer.model \
#     --out demo-softmax  --qk plain       --layers 4 --hidden 128 --intermediate 256 --key-size 32 \
#     --train-length 64 --steps 2000 --batch 32 --lr 1e-3 --seed 1 --threads 1
#   (the same with --out demo-cosscale --qk cosscale:32 for the CosScale model)
#   entroscope-cli train --arch llama --corpus kjv-train.txt --held-out kjv-heldout.txt --tokenizer tokenizer.model \
#     --out demo-llama --layers 4 --hidden 128 --heads 4 --kv-heads 2 --intermediate 344 \
#     --train-length 64 --steps 2000 --batch 32 --lr 1e-3 --seed 1 --threads 1
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli="${ENTROSCOPE_CLI:-$here/build/app/entroscope-cli}"
work="${WORK:-$here/build/demo-training}"
threads="${THREADS:-1}"
what="${1:-all}"
steps=2000
mkdir -p "$work"

unpack() {
  for f in kjv-train kjv-heldout; do
    [ -s "$work/$f.txt" ] || { zcat "$here/resources/corpus/$f.txt.gz" > "$work/$f.txt.partial" && mv "$work/$f.txt.partial" "$work/$f.txt"; }
  done
}

tokenizer() {
  unpack
  [ -s "$work/tokenizer/tokenizer.model" ] || \
    "$cli" train-tokenizer --corpus "$work/kjv-train.txt" --vocab-size 4000 --out "$work/tokenizer/tokenizer.model"
}

model() { # name qk|llama
  local name="$1" qk="$2" dir="$work/$1" weights=pytorch_model.bin
  local arch=(--qk "$qk" --intermediate 256 --key-size 32)
  if [ "$qk" = llama ]; then
    arch=(--arch llama --heads 4 --kv-heads 2 --intermediate 344)
    weights=model.safetensors
  fi
  tokenizer
  if [ -f "$dir/optimizer.pt" ] && [ -f "$dir/trainer_state.json" ]; then
    "$cli" train --resume "$dir" --threads "$threads"
  elif [ ! -f "$dir/trainer_state.json" ]; then
    "$cli" train --corpus "$work/kjv-train.txt" --held-out "$work/kjv-heldout.txt" \
      --tokenizer "$work/tokenizer/tokenizer.model" --out "$dir" "${arch[@]}" \
      --layers 4 --hidden 128 --train-length 64 \
      --steps "$steps" --batch 32 --lr 1e-3 --seed 1 --threads "$threads" --save-interval 250
  fi
  local dest="$here/resources/models/$name"
  mkdir -p "$dest"
  for f in config.json "$weights" tokenizer.model; do cp "$dir/$f" "$dest/$f.partial" && mv "$dest/$f.partial" "$dest/$f"; done
  # The state without this machine's paths.
  sed -e 's|"corpus": ".*/\([^/"]*\)"|"corpus": "\1"|' -e 's|"held_out": ".*/\([^/"]*\)"|"held_out": "\1"|' \
    -e 's|"has_optimizer_state": true|"has_optimizer_state": false|' \
    "$dir/trainer_state.json" > "$dest/trainer_state.json"
  # The model card, from trainer_state.json and whatever results/ holds (Python standard library only).
  /usr/bin/python3 "$here/scripts/make_model_cards.py"
  echo "make_demo_models: $name -> $dest" >&2
}

cards() {
  ENTROSCOPE_CLI="$cli" "$here/scripts/run_card_experiments.sh"
  /usr/bin/python3 "$here/scripts/make_model_cards.py"
}

case "$what" in
  tokenizer) tokenizer ;;
  softmax) model demo-softmax plain ;;
  cosscale) model demo-cosscale cosscale:32 ;;
  llama) model demo-llama llama ;;
  cards) cards ;;
  all) model demo-softmax plain; model demo-cosscale cosscale:32; model demo-llama llama; cards ;;
  *) echo "usage: $0 [tokenizer|softmax|cosscale|llama|cards|all]" >&2; exit 2 ;;
esac
