#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# Builds the fuzz targets with clang + libFuzzer + AddressSanitizer + UBSan and runs each for SECONDS
# (default 60), one after the other, from the seeds in build-fuzz/fuzz/seeds_<target>.txt (the fixtures,
# tests/fuzz/corpus and tests/data/bad/fuzz). The SentencePiece target is built without ASan (ASan refuses
# the plug-in's dlopen(RTLD_DEEPBIND)) in build-fuzz-sp/. Findings (crash-*, timeout-*, oom-*) go to
# build-fuzz/findings/<target>/; move each into tests/data/bad/fuzz/<target>/ once fixed (it then runs in
# every ctest smoke). A summary line per target: executions, seconds, findings.
#   scripts/fuzz.sh [SECONDS [TARGET...]]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=${1:-60}
shift || true
all=(safetensors torch_zip pickle config vocab sentencepiece npy session)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
cxx=${CXX_FUZZ:-clang++-14}
command -v "$cxx" >/dev/null || { echo "fuzz.sh: $cxx not found (Debian: clang-14 libclang-rt-14-dev libfuzzer-14-dev libomp-14-dev)" >&2; exit 2; }

configure() { # dir flags
  cmake -S "$root" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DENTROSCOPE_LIBFUZZER=ON "-DCMAKE_CXX_FLAGS=$2" "-DCMAKE_EXE_LINKER_FLAGS=$3" "-DCMAKE_MODULE_LINKER_FLAGS=$3" >/dev/null
}
asan=() sp=()
for t in "${targets[@]}"; do
  if [ "$t" = sentencepiece ]; then sp+=("fuzz_$t"); else asan+=("fuzz_$t"); fi
done
if [ ${#asan[@]} -gt 0 ]; then
  configure "$root/build-fuzz" "-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
    "-fsanitize=address,undefined"
  cmake --build "$root/build-fuzz" -j"$(nproc)" --target "${asan[@]}"
fi
if [ ${#sp[@]} -gt 0 ]; then
  configure "$root/build-fuzz-sp" "-fsanitize=fuzzer-no-link,undefined -fno-sanitize-recover=undefined" "-fsanitize=undefined"
  cmake --build "$root/build-fuzz-sp" -j"$(nproc)" --target "${sp[@]}"
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp"
status=0
for t in "${targets[@]}"; do
  b="$root/build-fuzz"; [ "$t" = sentencepiece ] && b="$root/build-fuzz-sp"
  corpus="$b/corpus/$t"; findings="$b/findings/$t"
  mkdir -p "$corpus" "$findings"
  while IFS= read -r s; do
    [ -z "$s" ] && continue
    if [ -d "$s" ]; then find "$s" -type f -exec cp -n {} "$corpus/" \; ; elif [ -f "$s" ]; then cp -n "$s" "$corpus/$(echo "$s" | md5sum | cut -c1-12)-$(basename "$s")"; fi
  done < "$b/fuzz/seeds_$t.txt"
  log="$b/findings/$t.log"
  dict=()
  case "$t" in
    config|session|safetensors) dict=(-dict="$root/tests/fuzz/dict/json.dict") ;;
    pickle|torch_zip) dict=(-dict="$root/tests/fuzz/dict/pickle.dict") ;;
  esac
  set +e
  t0=$(date +%s)
  "$b/tests/fuzz/fuzz_$t" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" "${dict[@]}" >"$log" 2>&1
  rc=$?
  t1=$(date +%s)
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  n=$(find "$findings" -type f | wc -l)
  echo "fuzz $t: ${execs:-0} executions in $((t1 - t0)) s, exit $rc, findings $n ($findings)"
  [ "$rc" -ne 0 ] || [ "$n" -ne 0 ] && status=1
done
exit $status
