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
# The heads view of a multi-head (Llama-family) model: the tiny fixture has no tokenizer, so its input is ids.
llama="$root/tests/data/llama/models/llama-gqa2"
if [ -f "$llama/config.json" ]; then
  echo "1 5 9 13 17 21 25 29 33 37 41 45 3 7 11 19 23 31 43 47" > "$tmp/ids.txt"
  mkdir -p "$tmp/llama"
  XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" \
    xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$build/app/entroscope" --fresh --model "$llama" --text-file "$tmp/ids.txt" --length 64 --compare infoscale \
    --screenshot "$tmp/llama"
  cp "$tmp/llama/08-heads.png" "$out/llama-head-heatmap.png"
fi
echo "screenshots in $out:"
ls "$out"
