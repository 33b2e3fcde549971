#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# The distributed evaluate on this machine (bench/README.md):
#  1. the same work as 1 rank x 2 threads and as 2 ranks x 1 thread (mpirun): the ratio shows what
#     distribution costs (or gains) against threads;
#  2. a cost table: masked forwards per second per core on the demo model and a random model of the HT-NEKO
#     shape at n = 1024 and 4096 (1 thread),
#     the CPU-hours of the paper's full protocol (10 documents x n positions = 10 n forwards per length and
#     method), and the wall time it projects on 8, 64 and 512 cores (at the 2-rank efficiency of part 1).
#   bench/bench_distributed.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build=${1:-"$root/build"}
cli="$build/app/entroscope-cli"
model="$root/resources/models/demo-softmax"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(zcat "$root/resources/corpus/kjv-heldout.txt.gz" || true) | head -40 > "$work/docs.txt" # zcat: SIGPIPE
mpi=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
args=(evaluate --model "$model" --text-file "$work/docs.txt" --max-documents 4 --fill concat --lengths 256,512
      --presets extrapolate,infoscale --positions 32 --batch 8)
calc() { python3 -c "print($1)"; }
wall() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N); calc "$t1 - $t0"; }
t_threads=$(wall "$cli" "${args[@]}" --threads 2 --out "$work/threads")
t_ranks=$(wall "${mpi[@]}" -np 2 "$cli" "${args[@]}" --threads 1 --out "$work/ranks")
cmp -s "$work/threads/evaluate.csv" "$work/ranks/evaluate.csv" && same=yes || same="no (thread counts differ: 2 vs 1 per rank)"
printf 'same work (%s): 1 rank x 2 threads %.2f s, 2 ranks x 1 thread %.2f s, ratio (ranks/threads) %.3f; CSV identical: %s\n' \
  "4 documents, n=256,512, 2 methods, 32 positions" "$t_threads" "$t_ranks" "$(calc "$t_ranks / $t_threads")" "$same"
# Efficiency of 2 ranks against one 1-thread process on the same work.
t_one=$(wall "$cli" "${args[@]}" --threads 1 --out "$work/one")
eff=$(calc "$t_one / (2 * $t_ranks)")
printf 'one process x 1 thread %.2f s: 2-rank parallel efficiency %.3f\n' "$t_one" "$eff"

# A random GAU-alpha of the HT-NEKO shape (6 layers, hidden 768; bench_analysis), with the released
# character vocabulary (12000 entries, as tests/data/models/tiny-neko).
"$build/bench/bench_analysis" --length 64 --layers 6 --save-model "$work/neko" > /dev/null 2>&1
cp "$root/tests/data/models/tiny-neko/vocab.txt" "$work/neko/"

echo
echo "cost of the paper's full protocol (10 n masked forwards per length and method), 1 thread:"
printf '%-8s %6s %12s %14s %12s %12s %12s\n' model n "fwd/s/core" "CPU-h/method" "8 cores" "64 cores" "512 cores"
for entry in "demo:$model" "ht-neko:$work/neko"; do
  name=${entry%%:*} dir=${entry#*:}
  for n in 1024 4096; do
    "$cli" evaluate --model "$dir" --text-file "$work/docs.txt" --fill concat --max-documents 40 --lengths $n \
      --presets extrapolate --positions 8 --batch 8 --threads 1 --out "$work/cost-$name-$n" > /dev/null 2>&1
    python3 - "$work/cost-$name-$n/evaluate.json" "$n" "$eff" "$name" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))["points"][0]
n, eff, name = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rate = p["samples"] / p["seconds"]           # masked forwards per second on one core
cpu_h = 10 * n / rate / 3600
hours = lambda cores: cpu_h / (cores * eff)
fmt = lambda h: f"{h * 3600:.0f} s" if h < 1 / 60 else (f"{h * 60:.1f} min" if h < 1 else f"{h:.2f} h")
print(f"{name:<8} {n:6d} {rate:12.3f} {cpu_h:14.2f} {fmt(hours(8)):>12} {fmt(hours(64)):>12} {fmt(hours(512)):>12}")
EOF
  done
done
