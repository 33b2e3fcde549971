// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "analysis.h"

#include "errors.h"

#include <torch/torch.h>

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

LayerMetricsAccumulator::LayerMetricsAccumulator(int layer, int64_t n, int64_t trainLength, bool rawRows)
    : m_layer(layer)
    , m_n(n)
    , m_trainLength(trainLength)
    , m_rawRows(rawRows)
    , m_entropy(static_cast<size_t>(n), 0.0)
    , m_profileSum(static_cast<size_t>(distanceBinCount(n)), 0.0)
{
}

void LayerMetricsAccumulator::add(const torch::Tensor &blockIn, int64_t row0)
{
    const int64_t rows = blockIn.size(0);
    const int64_t n = m_n;
    torch::Tensor p = blockIn;
    if (m_rawRows) {
        auto sums = p.sum(1, true);
        p = torch::where(sums > 0, p / sums.clamp_min(1e-30), torch::zeros_like(p));
    }
    auto dbl = torch::kFloat64;
    auto entropy = (-torch::special::xlogy(p, p)).sum(1, false, dbl);
    auto maxW = std::get<0>(p.max(1)).to(dbl);
    auto sorted = std::get<0>(p.sort(1, true));
    auto cs = sorted.cumsum(1, dbl);
    auto k90 = (cs < (0.9 - 1e-6)).sum(1).to(dbl) + 1.0;
    k90 = k90.clamp_max(static_cast<double>(n));
    auto sink = p.select(1, 0).to(dbl);

    auto entA = entropy.accessor<double, 1>();
    auto maxA = maxW.accessor<double, 1>();
    auto k90A = k90.accessor<double, 1>();
    auto sinkA = sink.accessor<double, 1>();
    const double logN = std::log(static_cast<double>(n));
    for (int64_t r = 0; r < rows; ++r) {
        m_entropy[static_cast<size_t>(row0 + r)] = entA[r];
        m_normEntropySum += n > 1 ? entA[r] / logN : 0.0;
        m_maxSum += maxA[r];
        m_k90Sum += k90A[r];
        m_sinkSum += sinkA[r];
    }
    if (n >= m_trainLength && row0 < m_trainLength) {
        const int64_t upto = std::min(rows, m_trainLength - row0);
        m_retainedSum += p.narrow(0, 0, upto).narrow(1, 0, m_trainLength).sum(dbl).item<double>();
    }

    // Distance profile from prefix sums: mass on keys [a, b] of row i is P0[i, b+1] - P0[i, a].
    auto prefix = torch::cat({torch::zeros({rows, 1}, dbl), p.cumsum(1, dbl)}, 1);
    auto pa = prefix.accessor<double, 2>();
    const int bins = static_cast<int>(m_profileSum.size());
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = row0 + r;
        for (int b = 0; b < bins; ++b) {
            const int64_t lo = b == 0 ? 0 : (int64_t{1} << (b - 1));
            const int64_t hi = b == 0 ? 0 : (int64_t{1} << b) - 1;
            double mass = 0;
            if (i + lo <= n - 1)
                mass += pa[r][std::min(i + hi, n - 1) + 1] - pa[r][i + lo];
            if (b > 0 && i - lo >= 0)
                mass += pa[r][i - lo + 1] - pa[r][std::max<int64_t>(i - hi, 0)];
            m_profileSum[static_cast<size_t>(b)] += mass;
        }
    }
    m_rowsSeen += rows;
}

LayerMetrics LayerMetricsAccumulator::finish() const
{
    if (m_rowsSeen != m_n)
        throw Error("internal error: metrics saw " + std::to_string(m_rowsSeen) + " of " + std::to_string(m_n) + " rows");
    LayerMetrics m;
    m.layer = m_layer;
    m.entropy = m_entropy;
    const double n = static_cast<double>(m_n);
    double sum = 0;
    for (double e : m_entropy)
        sum += e;
    m.entropyMean = sum / n;
    m.normalizedEntropyMean = m_normEntropySum / n;
    m.maxWeightMean = m_maxSum / n;
    m.k90Mean = m_k90Sum / n;
    m.sinkMassMean = m_sinkSum / n;
    if (m_n >= m_trainLength)
        m.retainedMassMean = m_retainedSum / static_cast<double>(m_trainLength);
    m.distanceProfile.resize(m_profileSum.size());
    for (size_t b = 0; b < m_profileSum.size(); ++b)
        m.distanceProfile[b] = m_profileSum[b] / n;
    return m;
}

LayerMetrics metricsOfMatrix(const std::vector<float> &attention, int64_t n, int64_t trainLength, bool rawRows, int layer)
{
    if (static_cast<int64_t>(attention.size()) != n * n)
        throw Error("metricsOfMatrix: expected " + std::to_string(n * n) + " values");
    c10::InferenceMode guard;
    auto t = torch::from_blob(const_cast<float *>(attention.data()), {n, n}, torch::kFloat32).clone();
    LayerMetricsAccumulator acc(layer, n, trainLength, rawRows);
    acc.add(t, 0);
    return acc.finish();
}

double meanJsDivergence(const torch::Tensor &aIn, const torch::Tensor &bIn)
{
    auto normalise = [](const torch::Tensor &x) {
        auto d = x.to(torch::kFloat64);
        auto s = d.sum(1, true);
        return torch::where(s > 0, d / s.clamp_min(1e-300), torch::zeros_like(d));
    };
    auto a = normalise(aIn);
    auto b = normalise(bIn);
    auto m = 0.5 * (a + b);
    // xlogy(x, x/m) with 0 where x == 0; m > 0 wherever x > 0.
    auto kl = [&](const torch::Tensor &x) {
        return torch::special::xlogy(x, x) - torch::special::xlogy(x, m);
    };
    auto js = 0.5 * (kl(a) + kl(b)).sum(1);
    return js.clamp_min(0).mean().item<double>();
}

} // namespace entroscope
