// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The metrics of METHODS.md §3, computed block by block so that no [n, n] map has to be held.

#include "analysis/result_types.h"

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace entroscope {

/// Accumulates the metrics of one layer from its attention rows, in any order and from several threads.
class LayerMetricsAccumulator
{
public:
    /// n: sequence length; trainLength: T; rawRows: true for squared_relu, whose rows are divided by their
    /// sum (all-zero rows count as METHODS.md §3 says). keyCounts: n_i per query for the normalised
    /// entropy (METHODS.md §1.3, --key-count visible); empty = n for every row.
    LayerMetricsAccumulator(int layer, int64_t n, int64_t trainLength, bool rawRows,
                            std::vector<int64_t> keyCounts = {});

    /// rows consecutive attention rows row0 .. row0+rows-1, row-major float32 [rows, n], as applied to the
    /// values. entropy: the rows' entropies when the caller has them (the softmax computes them as it
    /// goes), else nullptr. Thread-safe for disjoint row ranges (each row's results go to its own slot).
    void addRows(const float *data, int64_t row0, int64_t rows, const double *entropy = nullptr);
    /// block: float32 [rows, n]; its rows in parallel. Not thread-safe.
    void add(const torch::Tensor &block, int64_t row0);
    /// The layer's metrics once every row has been added (throws otherwise); sums in row order, so the
    /// result does not depend on the threads or blocks that delivered the rows.
    LayerMetrics finish() const;

private:
    struct RowStats
    {
        double maxWeight = 0;
        double sink = 0;
        double retained = 0;
        double local = 0;
        double k90 = 0;
    };
    int m_layer;
    int64_t m_n;
    int64_t m_trainLength;
    bool m_rawRows;
    int m_bins;
    std::vector<int64_t> m_keyCounts;
    std::vector<double> m_entropy;
    std::vector<RowStats> m_rows;
    std::vector<double> m_profile; ///< [n, bins]
    std::vector<unsigned char> m_seen;
};

/// The maps one analysis keeps (AnalysisRequest::fullMapLayers and pooledMaps): full [n, n] maps of chosen
/// layers and max- and mean-pooled maps of every (layer, head), filled as the rows are computed.
class MapCollector
{
public:
    MapCollector(int64_t n, int layers, int heads, const std::vector<int> &fullMapLayers, bool pooled, int maxPooledSize);
    /// Rows per pooled cell (1 when not pooling or n fits); blocks of rows must start at multiples of it.
    int64_t pool() const { return m_pool; }
    bool pooled() const { return m_pooled; }
    bool keepsFullMaps() const { return !m_full.empty(); }
    /// Normalised rows row0 .. row0+rows-1 of (layer, head) into the pooled maps; row0 a multiple of pool().
    /// Thread-safe for disjoint groups of whole cell rows.
    void addPooledRows(int layer, int head, int64_t row0, int64_t rows, const float *data);
    /// The same rows into the full maps of that layer, if it has one (serially).
    void addFullRows(int layer, int head, int64_t row0, int64_t rows, const float *data);
    /// The full maps, then per (layer, head) the max map and (pool > 1) the mean map. Call once.
    std::vector<AttentionMap> finish();

private:
    int64_t m_n, m_pool, m_side;
    int m_heads;
    bool m_pooled;
    std::vector<AttentionMap> m_full, m_max, m_mean;
};

/// Number of distance-profile bins for length n: bins [0], [1], [2,3], [4,7], ... until n-1 fits.
int distanceBinCount(int64_t n);

/// Convenience for tests and small inputs: metrics of a whole row-major [n, n] float32 matrix.
LayerMetrics metricsOfMatrix(const std::vector<float> &attention, int64_t n, int64_t trainLength, bool rawRows,
                             int layer = 0, std::vector<int64_t> keyCounts = {});

} // namespace entroscope
