// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The metrics of METHODS.md §3, computed block by block so that no [n, n] map has to be held.

#include "result_types.h"

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace entroscope {

/// Accumulates the metrics of one layer from consecutive blocks of attention rows.
/// Not thread-safe; one accumulator per layer and computation.
class LayerMetricsAccumulator
{
public:
    /// n: sequence length (= n_i, no padding); trainLength: T; rawRows: true for squared_relu, whose rows
    /// are divided by their sum (all-zero rows count as METHODS.md §3 says).
    LayerMetricsAccumulator(int layer, int64_t n, int64_t trainLength, bool rawRows);

    /// block: float32 [rows, n], the attention rows row0 .. row0+rows-1 as applied to the values.
    void add(const torch::Tensor &block, int64_t row0);
    LayerMetrics finish() const;

private:
    int m_layer;
    int64_t m_n;
    int64_t m_trainLength;
    bool m_rawRows;
    int64_t m_rowsSeen = 0;
    std::vector<double> m_entropy;
    double m_normEntropySum = 0;
    double m_maxSum = 0;
    double m_k90Sum = 0;
    double m_sinkSum = 0;
    double m_retainedSum = 0;
    std::vector<double> m_profileSum;
};

/// Number of distance-profile bins for length n: bins [0], [1], [2,3], [4,7], ... until n-1 fits.
int distanceBinCount(int64_t n);

/// Convenience for tests and small inputs: metrics of a whole row-major [n, n] float32 matrix.
LayerMetrics metricsOfMatrix(const std::vector<float> &attention, int64_t n, int64_t trainLength, bool rawRows,
                             int layer = 0);

/// Mean over queries of the Jensen-Shannon divergence (nats) between the rows of a and b, both [rows, n]
/// (rows normalised to sum 1 first when they do not; all-zero rows count as 0).
double meanJsDivergence(const torch::Tensor &a, const torch::Tensor &b);

} // namespace entroscope
