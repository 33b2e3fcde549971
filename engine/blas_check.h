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
    bool slow = false;       ///< true when the result is far below an optimised BLAS
    std::string warning;     ///< one line for the user when slow, else empty
};

/// Runs once (~5 ms with OpenBLAS, ~0.1 s with the reference BLAS). Thread-safe after the first call.
const BlasReport &checkBlas();

/// Measures the float32 matrix-product peak (GFLOP/s) at size m×k by k×n with the current thread count.
double measureMatmulGflops(int m, int k, int n, int repeats);

} // namespace entroscope
