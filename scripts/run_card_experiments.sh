#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# The experiments behind the demo models' cards (scripts/make_model_cards.py turns their results into the
# cards). Every run is resumable: run this script again and it continues where it stopped (each finished
# (length, method) cell is saved at once). Results go to resources/models/NAME/results/<run>/ and are
# committed with the model.
#
#   scripts/run_card_experiments.sh [demo-softmax|demo-cosscale|demo-llama ...]   (default: all three)
#
# Protocol (METHODS.md §2-3), on the 59 held-out KJV chapters the models never saw:
#   evaluate: lengths 64..4096, --positions 5 per document (295 samples per cell with tile; with concat
#             5 per usable start, 270-295), fill tile and fill concat; for the causal demo-llama next-token
#             prediction at every position of every usable start, fill concat only (tiled text is predictable
#             by copying, which a causal model does at once: it would measure copying, not extrapolation);
#   sweep:    the same lengths, 8 inputs per length spread over the documents (tile) or starts (concat),
#             metrics as means with standard errors.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${ENTROSCOPE_CLI:-build/app/entroscope-cli}
[ -x "$cli" ] || { echo "run_card_experiments: $cli not built (scripts/setup.sh)" >&2; exit 2; }
mkdir -p build/cards
docs=build/cards/kjv-heldout.txt
zcat resources/corpus/kjv-heldout.txt.gz > "$docs.tmp" && mv "$docs.tmp" "$docs"
lengths=64,128,256,512,1024,2048,4096
threads=${THREADS:-$(nproc)}

# Like for like (METHODS.md §4: a preset sets only the axes it names).
methods_of() {
  case "$1" in
    demo-softmax) echo "extrapolate;log-n;logn;infoscale;ssmax;pi;ntk;yarn;rerope;window;streamingllm;lminfinite" ;;
    # native = CosScale (S = 32) as trained; rerope/window keep CosScale; the last is the ablation that
    # removes CosScale from a model trained with it.
    demo-cosscale) echo "native;infoscale+cosscale;rerope;window;softmax,plain,rope" ;;
    # A causal model: softmax_plus would change it at n <= T, so it is left out.
    demo-llama) echo "extrapolate;logn;infoscale;ssmax;pi;ntk;yarn;window;streamingllm" ;;
    *) echo "run_card_experiments: unknown model $1" >&2; exit 2 ;;
  esac
}

models=("$@")
[ ${#models[@]} -gt 0 ] || models=(demo-softmax demo-cosscale demo-llama)
for fill in concat tile; do
  for m in "${models[@]}"; do
    out=resources/models/$m/results
    "$cli" sweep --model "resources/models/$m" --documents "$docs" --inputs 8 --fill "$fill" --lengths "$lengths" \
      --methods "$(methods_of "$m")" --threads "$threads" --out "$out/sweep-$fill"
  done
done
for fill in concat tile; do
  for m in "${models[@]}"; do
    out=resources/models/$m/results
    if [ "$m" = demo-llama ]; then
      [ "$fill" = concat ] || continue
      "$cli" evaluate --model "resources/models/$m" --text-file "$docs" --fill "$fill" \
        --lengths "$lengths" --methods "$(methods_of "$m")" --threads "$threads" --out "$out/evaluate-$fill"
      continue
    fi
    "$cli" evaluate --model "resources/models/$m" --text-file "$docs" --positions 5 --batch 8 --fill "$fill" \
      --lengths "$lengths" --methods "$(methods_of "$m")" --threads "$threads" --out "$out/evaluate-$fill"
  done
done
echo "run_card_experiments: done"
