#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# Screenshots of every main view of the workbench, taken in a real (virtual) X server.
#   scripts/screenshots.sh [BUILD_DIR [OUT_DIR [MODEL_DIR [extra entroscope options...]]]]
# Defaults: build, docs/screenshots, the bundled demo model (tiny-neko when it is missing).
# Needs xvfb-run (Debian: xvfb xauth). Settings go to a throw-away folder, never the user's.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$root/build"}
out=${2:-"$root/docs/screenshots"}
model=${3:-"$root/resources/models/demo-softmax"}
[ $# -gt 3 ] && shift 3 || set --
[ -f "$model/config.json" ] || model="$root/tests/data/models/tiny-neko"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" \
  xvfb-run -a -s "-screen 0 1600x1000x24" \
  "$build/app/entroscope" --model "$model" --text-file "$root/resources/texts/en-attention.txt" \
  --length 256 --compare 'infoscale;log-n;window' --inspect 120 --screenshot "$out" "$@"
rm -f "$out/session.entroscope" # it names this machine's paths
# Far past T on the demo model: n = 16384 (256 T) on the whole held-out text, the map of layer 1 zoomed to
# 120 tokens around query 9000 (its exact weights, computed on demand over the pooled map) and that
# token's exact row.
if [ "$model" = "$root/resources/models/demo-softmax" ]; then
  gzip -dc "$root/resources/corpus/kjv-heldout.txt.gz" > "$tmp/heldout-long.txt"
  mkdir -p "$tmp/gau16k"
  XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" \
    xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$build/app/entroscope" --fresh --model "$model" --text-file "$tmp/heldout-long.txt" --length 16384 \
    --layer 1 --inspect 9000 --zoom 9000,8950,120 --sweep-max 64 --screenshot "$tmp/gau16k"
  cp "$tmp/gau16k/01-attention-map.png" "$out/zoom-exact-16384.png"
  cp "$tmp/gau16k/07-token.png" "$out/token-exact-16384.png"
fi
# A multi-head causal model: the bundled demo-llama (T = 64) at n = 16 T = 1024 on held-out text long enough that
# nothing is repeated; the heads view, and the map of one head (layer 1, head 2) next to infoscale.
llama="$root/resources/models/demo-llama"
if [ -f "$llama/config.json" ]; then
  gzip -dc "$root/resources/corpus/kjv-heldout.txt.gz" | head -c 16000 > "$tmp/heldout.txt"
  mkdir -p "$tmp/llama"
  XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" \
    xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$build/app/entroscope" --fresh --model "$llama" --text-file "$tmp/heldout.txt" --length 1024 \
    --compare infoscale --layer 1 --head 2 --inspect 700 --screenshot "$tmp/llama"
  cp "$tmp/llama/08-heads.png" "$out/llama-head-heatmap.png"
  cp "$tmp/llama/01-attention-map.png" "$out/llama-head-map.png"
  cp "$tmp/llama/05-layers.png" "$out/llama-layer-overview.png"
  cp "$tmp/llama/06-compare.png" "$out/llama-compare-per-head.png"
  # Past the full-map length: a token's exact row (layer 1, head 2) at n = 16384 on the whole held-out text;
  # with ENTROSCOPE_SHOTS_LONG=1 also at n = 65536 on 320 kB of the training text (about 4 minutes on 2 cores).
  gzip -dc "$root/resources/corpus/kjv-heldout.txt.gz" > "$tmp/heldout-all.txt"
  mkdir -p "$tmp/llama16k"
  XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" \
    xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$build/app/entroscope" --fresh --model "$llama" --text-file "$tmp/heldout-all.txt" --length 16384 \
    --compare infoscale --layer 1 --head 2 --inspect 9000 --sweep-max 64 --screenshot "$tmp/llama16k"
  cp "$tmp/llama16k/07-token.png" "$out/llama-token-exact-16384.png"
  cp "$tmp/llama16k/06-compare.png" "$out/llama-compare-per-head-16384.png"
  if [ "${ENTROSCOPE_SHOTS_LONG:-0}" = 1 ]; then
    gzip -dc "$root/resources/corpus/kjv-train.txt.gz" | head -c 320000 > "$tmp/train-320k.txt"
    mkdir -p "$tmp/llama64k"
    XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" \
      xvfb-run -a -s "-screen 0 1600x1000x24" \
      "$build/app/entroscope" --fresh --model "$llama" --text-file "$tmp/train-320k.txt" --length 65536 \
      --layer 1 --head 2 --inspect 40000 --sweep-max 64 --screenshot "$tmp/llama64k"
    cp "$tmp/llama64k/07-token.png" "$out/llama-token-exact-65536.png"
  fi
fi
echo "screenshots in $out:"
ls "$out"
