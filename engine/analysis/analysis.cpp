// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "analysis/analysis.h"

#include <cstring>

#include "errors.h"
#include "analysis/row_kernels.h"

#include <torch/torch.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

namespace entroscope {

int distanceBinCount(int64_t n)
{
    if (n <= 1)
        return 1;
    int bins = 1; // bin 0 holds distance 0
    int64_t maxDist = n - 1;
    while (maxDist > 0) { // bin b >= 1 holds 2^(b-1) .. 2^b - 1
        ++bins;
        maxDist >>= 1;
    }
    return bins;
}

LayerMetricsAccumulator::LayerMetricsAccumulator(int layer, int64_t n, int64_t trainLength, bool rawRows,
                                                 std::vector<int64_t> keyCounts)
    : m_layer(layer)
    , m_n(n)
    , m_trainLength(trainLength)
    , m_rawRows(rawRows)
    , m_bins(distanceBinCount(n))
    , m_keyCounts(std::move(keyCounts))
    , m_entropy(static_cast<size_t>(n), 0.0)
    , m_rows(static_cast<size_t>(n))
    , m_profile(static_cast<size_t>(n) * static_cast<size_t>(m_bins), 0.0)
    , m_seen(static_cast<size_t>(n), 0)
{
    if (!m_keyCounts.empty() && static_cast<int64_t>(m_keyCounts.size()) != n)
        throw Error("internal error: " + std::to_string(m_keyCounts.size()) + " key counts for " + std::to_string(n)
                    + " rows");
}

void LayerMetricsAccumulator::addRows(const float *data, int64_t row0, int64_t rows, const double *entropy)
{
    if (row0 < 0 || rows < 0 || row0 + rows > m_n)
        throw Error("internal error: metrics rows " + std::to_string(row0) + "+" + std::to_string(rows) + " outside 0.."
                    + std::to_string(m_n));
    const int64_t n = m_n;
    const auto &k = kernels::kernels();
    for (int64_t r = 0; r < rows; ++r) {
        const float *p = data + r * n;
        const int64_t i = row0 + r;
        float scale = 1.0f;
        if (m_rawRows) {
            double sum = 0;
            for (int64_t j = 0; j < n; ++j)
                sum += p[j];
            scale = sum > 0 ? static_cast<float>(1.0 / sum) : 0.0f;
        }
        const int64_t retainedUpTo = n >= m_trainLength && i < m_trainLength ? m_trainLength : 0;
        kernels::RowMetrics st;
        k.rowMetrics(p, n, i, scale, retainedUpTo, m_profile.data() + i * m_bins, entropy == nullptr, st);
        // local_mass_mean: the keys within the training span, |i - j| < T (2T - 1 keys at most).
        const int64_t lo = std::max<int64_t>(0, i - m_trainLength + 1), hi = std::min<int64_t>(n, i + m_trainLength);
        double local = 0;
        for (int64_t j = lo; j < hi; ++j)
            local += p[j];
        if (m_rawRows && scale == 0.0f) // an all-zero row counts k90 = n_i (METHODS.md §3), not the row's length
            st.k90 = m_keyCounts.empty() ? n : m_keyCounts[static_cast<size_t>(i)];
        m_entropy[static_cast<size_t>(i)] = entropy ? entropy[r] : st.entropy;
        m_rows[static_cast<size_t>(i)] = {st.maxWeight, st.sink, st.retained, local * scale, static_cast<double>(st.k90)};
        m_seen[static_cast<size_t>(i)] = 1;
    }
}

void LayerMetricsAccumulator::add(const torch::Tensor &blockIn, int64_t row0)
{
    auto block = blockIn.to(torch::kFloat32).contiguous();
    if (block.dim() != 2 || block.size(1) != m_n)
        throw Error("internal error: metrics block is not [rows, " + std::to_string(m_n) + "]");
    const float *base = block.data_ptr<float>();
    at::parallel_for(0, block.size(0), 1, [&](int64_t r0, int64_t r1) { addRows(base + r0 * m_n, row0 + r0, r1 - r0); });
}

LayerMetrics LayerMetricsAccumulator::finish() const
{
    const int64_t seen = std::count(m_seen.begin(), m_seen.end(), 1);
    if (seen != m_n)
        throw Error("internal error: metrics saw " + std::to_string(seen) + " of " + std::to_string(m_n) + " rows");
    LayerMetrics m;
    m.layer = m_layer;
    m.entropy = m_entropy;
    const double n = static_cast<double>(m_n);
    const double logN = std::log(n);
    double entropy = 0, normalized = 0, maxW = 0, k90 = 0, sink = 0, retained = 0, local = 0;
    m.distanceProfile.assign(static_cast<size_t>(m_bins), 0.0);
    for (int64_t i = 0; i < m_n; ++i) {
        const auto &r = m_rows[static_cast<size_t>(i)];
        const double e = m_entropy[static_cast<size_t>(i)];
        entropy += e;
        const int64_t keys = m_keyCounts.empty() ? m_n : m_keyCounts[static_cast<size_t>(i)];
        normalized += keys > 1 ? e / (m_keyCounts.empty() ? logN : std::log(static_cast<double>(keys))) : 0.0;
        maxW += r.maxWeight;
        k90 += r.k90;
        sink += r.sink;
        retained += r.retained;
        local += r.local;
        for (int b = 0; b < m_bins; ++b)
            m.distanceProfile[static_cast<size_t>(b)] += m_profile[static_cast<size_t>(i * m_bins + b)];
    }
    m.entropyMean = entropy / n;
    m.normalizedEntropyMean = normalized / n;
    m.maxWeightMean = maxW / n;
    m.k90Mean = k90 / n;
    m.sinkMassMean = sink / n;
    m.localMassMean = local / n;
    if (m_n >= m_trainLength)
        m.retainedMassMean = retained / static_cast<double>(m_trainLength);
    for (auto &v : m.distanceProfile)
        v /= n;
    return m;
}

LayerMetrics metricsOfMatrix(const std::vector<float> &attention, int64_t n, int64_t trainLength, bool rawRows, int layer,
                             std::vector<int64_t> keyCounts)
{
    if (static_cast<int64_t>(attention.size()) != n * n)
        throw Error("metricsOfMatrix: expected " + std::to_string(n * n) + " values");
    c10::InferenceMode guard;
    auto t = torch::from_blob(const_cast<float *>(attention.data()), {n, n}, torch::kFloat32).clone();
    LayerMetricsAccumulator acc(layer, n, trainLength, rawRows, std::move(keyCounts));
    acc.add(t, 0);
    return acc.finish();
}

namespace {
AttentionMap zeroMap(int layer, int head, int64_t n, int64_t side, int pool, AttentionMap::Pooling kind)
{
    AttentionMap m;
    m.layer = layer;
    m.head = head;
    m.length = n;
    m.rows = m.cols = static_cast<int>(side);
    m.pool = pool;
    m.pooling = kind;
    m.data.assign(static_cast<size_t>(side * side), 0.0f);
    return m;
}
} // namespace

MapCollector::MapCollector(int64_t n, int layers, int heads, const std::vector<int> &fullMapLayers, bool pooled,
                           int maxPooledSize)
    : m_n(n)
    , m_pool(pooled ? std::max<int64_t>(1, (n + maxPooledSize - 1) / std::max(1, maxPooledSize)) : 1)
    , m_side((n + m_pool - 1) / m_pool)
    , m_heads(heads)
    , m_pooled(pooled)
{
    for (int l : fullMapLayers)
        for (int h = 0; h < heads; ++h)
            m_full.push_back(zeroMap(l, h, n, n, 1, AttentionMap::Pooling::None));
    if (!pooled)
        return;
    const int p = static_cast<int>(m_pool);
    for (int l = 0; l < layers; ++l)
        for (int h = 0; h < heads; ++h) {
            m_max.push_back(zeroMap(l, h, n, m_side, p, p == 1 ? AttentionMap::Pooling::None : AttentionMap::Pooling::Max));
            if (p > 1) // at pool 1 the max map is the map
                m_mean.push_back(zeroMap(l, h, n, m_side, p, AttentionMap::Pooling::Mean));
        }
}

void MapCollector::addPooledRows(int layer, int head, int64_t row0, int64_t rows, const float *src)
{
    if (!m_pooled)
        return;
    const size_t m = static_cast<size_t>(layer * m_heads + head);
    const int64_t n = m_n, R = m_side;
    float *mx = m_max[m].data.data();
    if (m_pool == 1) {
        std::memcpy(mx + row0 * n, src, sizeof(float) * static_cast<size_t>(rows * n));
        return;
    }
    float *sm = m_mean[m].data.data();
    thread_local std::vector<float> cols;
    cols.resize(static_cast<size_t>(2 * n));
    const auto &kern = kernels::kernels();
    for (int64_t r = 0; r < rows; r += m_pool) {
        const int64_t cr = (row0 + r) / m_pool;
        kern.poolRows(src + r * n, std::min(m_pool, rows - r), n, m_pool, mx + cr * R, sm + cr * R, cols.data());
    }
}

void MapCollector::addFullRows(int layer, int head, int64_t row0, int64_t rows, const float *src)
{
    for (auto &m : m_full)
        if (m.layer == layer && m.head == head)
            std::memcpy(m.data.data() + row0 * m_n, src, sizeof(float) * static_cast<size_t>(rows * m_n));
}

std::vector<AttentionMap> MapCollector::finish()
{
    std::vector<AttentionMap> out = std::move(m_full);
    // Counts of real cells per pooled row/column (the last may be partial) turn sums into means.
    const int64_t R = m_side;
    std::vector<float> cells(static_cast<size_t>(R), static_cast<float>(m_pool));
    if (m_n % m_pool)
        cells.back() = static_cast<float>(m_n % m_pool);
    for (size_t k = 0; k < m_max.size(); ++k) {
        out.push_back(std::move(m_max[k]));
        if (m_pool == 1)
            continue;
        auto &mean = m_mean[k];
        for (int64_t r = 0; r < R; ++r)
            for (int64_t c = 0; c < R; ++c)
                mean.data[static_cast<size_t>(r * R + c)] /= cells[static_cast<size_t>(r)] * cells[static_cast<size_t>(c)];
        out.push_back(std::move(mean));
    }
    m_max.clear();
    m_mean.clear();
    return out;
}

} // namespace entroscope
