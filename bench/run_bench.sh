#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs bench_analysis and the PyTorch-eager baseline on the same random 6-layer, 768-wide GAU-α at each
# length, alternating the two so machine noise hits both alike, and prints a table with ratios.
#   bench/run_bench.sh [build dir] [lengths...]     e.g. bench/run_bench.sh build 1024 4096 16384
set -euo pipefail
build=${1:-build}; shift || true
lengths=${*:-1024 4096 16384}
threads=${THREADS:-2}
repeat=${REPEAT:-5}   # each figure is the fastest of REPEAT runs in one process (the fraction: the median of REPEAT pairs)
model=$(mktemp -d)
trap 'rm -rf "$model"' EXIT
"$build/bench/bench_analysis" --length 16 --save-model "$model" --threads "$threads" > /dev/null
# The same BLAS kernels and OpenMP wait policy on both sides: the baselines get the environment that
# bench_analysis ends up with (engine/platform/blas_check.h: OpenBLAS 0.3.21 falls back to its SSE3 "Prescott"
# kernels on CPUs it does not know, and LibTorch's OpenMP threads spin on the cores OpenBLAS needs unless
# told to wait passively, and OpenBLAS's idle threads spin for 0.1 s on LibTorch's; EntroScope re-executes
# itself with OPENBLAS_CORETYPE, OMP_WAIT_POLICY and OPENBLAS_THREAD_TIMEOUT set).
# Set any of them to pin it for every run.
probe=$("$build/bench/bench_analysis" --model "$model" --length 16 --threads "$threads" --no-probe)
field() { echo "$probe" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$(field blas_core)}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-$(field omp_wait_policy)}
export OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-$(field openblas_thread_timeout)}
[ "$OPENBLAS_THREAD_TIMEOUT" = default ] && unset OPENBLAS_THREAD_TIMEOUT
echo "every run: OpenBLAS kernels $OPENBLAS_CORETYPE, OpenMP wait policy $OMP_WAIT_POLICY, OpenBLAS thread timeout ${OPENBLAS_THREAD_TIMEOUT:-default}, $threads threads"
printf "%-7s %-20s %9s %9s %9s %7s %10s %17s %10s\n" n impl seconds GFLOP/s burst %burst sustained "%sustained(range)" peakRSS_MB
for n in $lengths; do
  r=$repeat; [ "$n" -gt 8192 ] && r=1
  es=$("$build/bench/bench_analysis" --model "$model" --length "$n" --threads "$threads" --repeat "$r")
  if [ "$n" -le 8192 ]; then
    hf=$(/usr/bin/python3 "$(dirname "$0")/baseline_pytorch.py" --model "$model" --length "$n" --threads "$threads" --repeat "$r" --mode hf)
    lean=$(/usr/bin/python3 "$(dirname "$0")/baseline_pytorch.py" --model "$model" --length "$n" --threads "$threads" --repeat "$r" --mode lean)
  else
    hf='{"seconds": null}'; lean='{"seconds": null}'   # the baselines' [L, n, n] maps do not fit at this length
  fi
  /usr/bin/python3 - "$es" "$hf" "$lean" <<'PY'
import json, sys
e = json.loads(sys.argv[1])
print("%-7d %-20s %9.2f %9.1f %9.1f %6.0f%% %10.1f %5.0f%% (%2.0f-%2.0f%%) %10.0f" % (e["length"], "entroscope", e["seconds"],
      e["gflops"], e["matmul_peak_gflops"], 100 * e["fraction_of_peak"], e["sustained_peak_gflops"],
      100 * e["fraction_of_sustained_peak"], 100 * e["fraction_of_sustained_peak_min"],
      100 * e["fraction_of_sustained_peak_max"], e["peak_rss_mb"]))
for raw in sys.argv[2:]:
    p = json.loads(raw)
    if p["seconds"] is None:
        continue
    print("%-7d %-20s %9.2f %9s %9s %7s %10s %17s %10.0f" % (e["length"], p["impl"], p["seconds"], "", "", "", "", "", p["peak_rss_mb"]))
    assert p["blas_core"].lower() == e["blas_core"].lower(), "different BLAS kernels: %s vs %s" % (p["blas_core"], e["blas_core"])
    print("%-7s vs %s: speed-up %.2fx, peak RSS ratio %.2f, entropy(layer 0) %.6f vs %.6f" % ("", p["impl"],
          p["seconds"] / e["seconds"], e["peak_rss_mb"] / p["peak_rss_mb"], e["entropy_mean_layer0"], p["entropy_mean_layer0"]))
PY
done
