// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The per-row work of an analysis on plain float32 rows: an in-place softmax, the metrics of
// METHODS.md §3 and pooling. Written as simple loops that the compiler vectorises; row_kernels_impl.cpp
// is compiled once per x86-64 level (baseline SSE2, AVX2+FMA, AVX-512) and kernels() picks the best one
// the CPU runs, once. Single-threaded functions: callers parallelise over rows. No LibTorch, no Qt.

#include <cstdint>
#include <vector>

namespace entroscope::kernels {

/// What rowMetrics finds for one attention row (weights after `scale`).
struct RowMetrics
{
    double entropy = 0;   ///< −Σ v ln v, nats (0·ln 0 = 0)
    double maxWeight = 0; ///< max v
    double sink = 0;      ///< v at key 0
    double retained = 0;  ///< Σ v over keys [0, retainedUpTo)
    int64_t k90 = 0;      ///< fewest keys whose largest weights sum to ≥ 0.9 − 1e−6 (n when never reached)
};

struct KernelTable
{
    const char *isa; ///< "avx512", "avx2" or "baseline"

    /// Softmax of each of `rows` consecutive rows of n values, in place: exp(x − max) / Σ. −inf entries
    /// (invisible keys) become exactly 0; a row without a finite value becomes all 0. entropy (nullable,
    /// `rows` doubles) receives each row's −Σ a ln a, from the sums the softmax makes anyway.
    void (*softmaxRows)(float *data, int64_t rows, int64_t n, double *entropy);

    /// Metrics of one row of n weights v_j = row[j] · scale (scale normalises a raw row; 1 for a softmax
    /// row). query: the row's index i, for the distance profile; profile: distanceBinCount(n) doubles,
    /// to which each bin's mass is added; retainedUpTo: keys counted in RowMetrics::retained (0 = none).
    /// withEntropy = false leaves RowMetrics::entropy 0 (the caller has it from softmaxRows).
    void (*rowMetrics)(const float *row, int64_t n, int64_t query, float scale, int64_t retainedUpTo, double *profile,
                       bool withEntropy, RowMetrics &out);

    /// Pools `count` (1..pool) consecutive rows of n values into one row of ceil(n / pool) cells:
    /// cellMax[c] = max(cellMax[c], max of the cell), cellSum[c] += sum of the cell. colScratch: 2·n floats.
    void (*poolRows)(const float *rows, int64_t count, int64_t n, int64_t pool, float *cellMax, float *cellSum,
                     float *colScratch);

    /// Jensen–Shannon divergence (nats) between the rows x = a·scaleA and y = b·scaleB of n weights, each
    /// summing to 1 after its scale (callers pass 1 / Σ for a raw row): ½ KL(x‖m) + ½ KL(y‖m), m = (x + y)/2.
    double (*jsRow)(const float *a, float scaleA, const float *b, float scaleB, int64_t n);

    /// Σ of n values: float sums of 1024-value chunks, added in double in order (one figure whatever the
    /// threads; a scalar double loop over each compared row cost more than jsRow itself).
    double (*rowSum)(const float *a, int64_t n);
};

/// The best table for this CPU (chosen on the first call; thread-safe).
const KernelTable &kernels();

/// Every table this CPU can run, best first (tests compare them with each other).
std::vector<const KernelTable *> availableKernels();

} // namespace entroscope::kernels
