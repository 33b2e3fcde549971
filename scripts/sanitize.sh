#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: 2026 EntroScope developers
# AddressSanitizer + UndefinedBehaviorSanitizer build of the engine, the CLI and their tests (build-asan/),
# then the chosen tests under it. Any sanitizer report fails the run (UBSan aborts; ASan's exit code).
#   scripts/sanitize.sh [BUILD_DIR]
# What runs: the engine and CLI tests (unit + model) and the fuzz smoke runs, except what needs the
# SentencePiece plug-in (ASan refuses its dlopen(RTLD_DEEPBIND)) and the GUI (Qt's own code, not built
# here). Built without MPI (-DENTROSCOPE_MPI=OFF): Open MPI's own allocations would drown LeakSanitizer, and
# CI so builds the one-process CLI too (tst_distributed then runs its shard/merge cases only). Run by .ci/run after the normal tests; about 15 min on 2 cores (measured figures in the README).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build=${1:-"$root/build-asan"}
tests=(tst_method tst_analysis tst_row_kernels tst_golden tst_checkpoint tst_method_properties tst_cli tst_experiments tst_distributed tst_llama tst_hf_tokenizer)
fuzz=(safetensors torch_zip pickle config vocab npy session)
targets=(entroscope-cli "${tests[@]}")
for f in "${fuzz[@]}"; do targets+=("fuzz_$f"); done
start=$(date +%s)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENTROSCOPE_SANITIZE=ON -DENTROSCOPE_MPI=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
built=$(date +%s)
# detect_leaks: LibTorch's and Qt's process-lifetime allocations are still reachable at exit, so LeakSanitizer
# reports only real leaks. halt_on_error: the first report ends the test.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp"
names=$(printf '%s|' "${tests[@]}" $(printf 'fuzz_smoke_%s ' "${fuzz[@]}"))
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -R "^(${names%|})\$"
end=$(date +%s)
echo "sanitize: build $((built - start)) s, tests $((end - built)) s"
