#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs bench_analysis and the PyTorch-eager baseline on the same random 6-layer, 768-wide GAU-α at each
# length, alternating the two so machine noise hits both alike, and prints a table with ratios.
#   bench/run_bench.sh [build dir] [lengths...]     e.g. bench/run_bench.sh build 1024 4096 16384
set -euo pipefail
build=${1:-build}; shift || true
lengths=${*:-1024 4096 16384}
threads=${THREADS:-2}
model=$(mktemp -d)
trap 'rm -rf "$model"' EXIT
"$build/bench/bench_analysis" --length 16 --save-model "$model" --threads "$threads" > /dev/null
printf "%-7s %-14s %9s %9s %9s %11s %10s\n" n impl seconds GFLOP/s peak %peak peakRSS_MB
for n in $lengths; do
  es=$("$build/bench/bench_analysis" --model "$model" --length "$n" --threads "$threads")
  if [ "$n" -le 8192 ]; then
    py=$(/usr/bin/python3 "$(dirname "$0")/baseline_pytorch.py" --model "$model" --length "$n" --threads "$threads")
  else
    py='{"seconds": null, "peak_rss_mb": null}'   # the baseline's [L, n, n] maps do not fit at this length
  fi
  /usr/bin/python3 - "$es" "$py" <<'PY'
import json, sys
e, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("%-7d %-14s %9.2f %9.1f %9.1f %10.0f%% %10.0f" % (e["length"], "entroscope", e["seconds"], e["gflops"],
      e["matmul_peak_gflops"], 100 * e["fraction_of_peak"], e["peak_rss_mb"]))
if p["seconds"] is not None:
    print("%-7d %-14s %9.2f %9s %9s %11s %10.0f" % (e["length"], "pytorch-eager", p["seconds"], "", "", "", p["peak_rss_mb"]))
    print("%-7s speed-up %.2fx, peak RSS ratio %.2f, entropy(layer 0) %.6f vs %.6f" % ("", p["seconds"] / e["seconds"],
          e["peak_rss_mb"] / p["peak_rss_mb"], e["entropy_mean_layer0"], p["entropy_mean_layer0"]))
PY
done
