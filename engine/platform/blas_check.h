// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

#include <string>

namespace entroscope {

/// Debian's LibTorch multiplies matrices through whatever libblas.so.3 the system selects; the
/// reference BLAS is ~40x slower than OpenBLAS. This measures a small float32 matrix product and
/// names the BLAS library loaded in this process.
struct BlasReport
{
    double gflops = 0;       ///< measured on a 512x512x512 float32 product
    std::string library;     ///< path of the loaded libblas / libopenblas, or "unknown"
    std::string core;        ///< OpenBLAS kernel set in use (openblas_get_corename), or empty
    bool slow = false;       ///< true when the result is far below an optimised BLAS
    std::string warning;     ///< one line for the user when slow, else empty
};

/// Runs once (~5 ms with OpenBLAS, ~0.1 s with the reference BLAS). Thread-safe after the first call.
const BlasReport &checkBlas();

/// The LibTorch version the engine was built against, e.g. "1.13.0".
std::string libTorchVersion();

/// Sets what the compute libraries read from the environment when they are loaded (before main), then
/// re-executes the program once so that they see it. Call first thing in main(). Three settings:
/// - OPENBLAS_CORETYPE: OpenBLAS 0.3.21 (Debian 12) does not recognise recent Xeons (Sapphire Rapids)
///   and falls back to its SSE3 "Prescott" kernels, matrix products 3-5x slower than the CPU allows.
///   When the loaded OpenBLAS reports Prescott and the CPU has AVX-512 (SkylakeX kernels) or AVX2+FMA
///   (Haswell kernels), that kernel set is chosen.
/// - OMP_WAIT_POLICY=PASSIVE: LibTorch's OpenMP threads otherwise spin for milliseconds after every
///   parallel region, on the cores OpenBLAS's own threads then need for the next matrix product (an
///   n = 4096 analysis runs 10-15 % slower; bench/README.md).
/// - OPENBLAS_THREAD_TIMEOUT=21: OpenBLAS's idle threads spin for 2^N cycles before they sleep, by
///   default 2^28 (~0.1 s), so during every row pass and elementwise op between two matrix products
///   they compete with LibTorch's threads for the same cores. 2^21 (~1 ms) still covers the gap
///   between back-to-back products; 2^4 makes every product wait for a sleeping thread to wake (both
///   measured, bench/README.md).
/// A variable the user has set is kept as it is; nothing to set means no re-execution.
/// ENTROSCOPE_CONFIGURED=1 marks the re-executed process (set it to skip the step); it is removed from
/// the environment so that programs started from here configure themselves.
void configureComputeEnvironment(char **argv);

/// The OPENBLAS_THREAD_TIMEOUT that configureComputeEnvironment sets (log2 of the spin cycles).
inline constexpr const char *kOpenBlasThreadTimeout = "21";

/// An analysis's large buffers (score block, values, outputs) are allocated once per forward and reused;
/// what it allocates besides are a few n x d tensors per layer. With glibc's dynamic mmap threshold those
/// land in the heap after the first large free and stay resident at the heap's high-water mark. A fixed
/// 1 MB threshold returns them to the system when freed (peak RSS = what is live) at the cost of
/// faulting their pages in again: about 60k minor faults per n = 4096 analysis (bench/README.md).
/// entroscope-cli calls it; the workbench does not (app/gui/main.cpp).
void tuneAllocatorForBlocks();

/// Rates (GFLOP/s) of `repeats` float32 products m×k by k×n into one output, with the current thread
/// count, after a warm-up product: the fastest single product, and all of them together.
struct MatmulRates
{
    double best = 0;
    double sustained = 0;
};
MatmulRates measureMatmulRates(int m, int k, int n, int repeats);

/// The float32 matrix-product peak (GFLOP/s) at size m×k by k×n: measureMatmulRates(...).best.
double measureMatmulGflops(int m, int k, int n, int repeats);

} // namespace entroscope
