// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "analysis.h"

#include "errors.h"

#include <torch/torch.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

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

namespace {

/// Smallest k with (sum of the k largest values) >= threshold, by repeated halving with nth_element:
/// O(n) expected instead of a full sort. `values` is scratch and is reordered. n when never reached.
int64_t smallestTopMass(float *values, int64_t n, double threshold)
{
    double acc = 0;
    int64_t count = 0, b = 0, e = n;
    // Invariant: acc < threshold; the answer lies in [b, e) once the values above it are counted.
    while (e - b > 1) {
        const int64_t mid = b + (e - b) / 2;
        std::nth_element(values + b, values + mid, values + e, std::greater<float>());
        double upper = 0;
        for (int64_t k = b; k < mid; ++k)
            upper += values[k];
        if (acc + upper >= threshold) {
            e = mid;
        } else {
            acc += upper;
            count += mid - b;
            b = mid;
        }
    }
    return std::min(count + 1, n);
}

inline int distanceBin(int64_t d)
{
    return d == 0 ? 0 : 64 - __builtin_clzll(static_cast<unsigned long long>(d));
}

} // namespace

void LayerMetricsAccumulator::add(const torch::Tensor &blockIn, int64_t row0)
{
    // One fused pass per row (max, entropy, sink, retained mass, distance bins) plus a selection for k90,
    // rows in parallel: the metrics cost a small fraction of the layer's matrix products.
    auto block = blockIn.to(torch::kFloat32).contiguous();
    const int64_t rows = block.size(0);
    const int64_t n = m_n;
    const int64_t T = m_trainLength;
    const int bins = static_cast<int>(m_profileSum.size());
    const float *base = block.data_ptr<float>();
    std::vector<double> maxW(static_cast<size_t>(rows)), k90(static_cast<size_t>(rows)), sink(static_cast<size_t>(rows)),
        retained(static_cast<size_t>(rows), 0.0), profile(static_cast<size_t>(rows * bins), 0.0);
    const bool wantRetained = n >= T;
    // k90 without sorting: a histogram of the row over the float's exponent and top 3 mantissa bits
    // (values are in [0, 1], so bits >> 20 < 1024) finds the bucket where the top mass crosses 0.9;
    // only that bucket's values are then resolved by selection.
    constexpr int kBuckets = 1024;
    const double threshold = 0.9 - 1e-6;
    at::parallel_for(0, rows, 1, [&](int64_t r0, int64_t r1) {
        std::vector<float> scratch;
        std::vector<double> bucketMass(kBuckets);
        std::vector<int64_t> bucketCount(kBuckets);
        for (int64_t r = r0; r < r1; ++r) {
            const float *p = base + r * n;
            const int64_t i = row0 + r;
            float scale = 1.0f;
            if (m_rawRows) {
                double sum = 0;
                for (int64_t j = 0; j < n; ++j)
                    sum += p[j];
                scale = sum > 0 ? static_cast<float>(1.0 / sum) : 0.0f;
            }
            std::fill(bucketMass.begin(), bucketMass.end(), 0.0);
            std::fill(bucketCount.begin(), bucketCount.end(), 0);
            double ent = 0, ret = 0;
            float mx = 0;
            double *prof = profile.data() + r * bins;
            const int64_t retainedUpTo = wantRetained && i < T ? T : 0;
            for (int64_t j = 0; j < n; ++j) {
                const float v = p[j] * scale;
                if (v > 0) {
                    ent -= static_cast<double>(v) * std::log(v);
                    mx = std::max(mx, v);
                    prof[distanceBin(i > j ? i - j : j - i)] += v;
                    uint32_t bits;
                    std::memcpy(&bits, &v, sizeof bits);
                    const int key = std::min<int>(static_cast<int>(bits >> 20), kBuckets - 1);
                    bucketMass[static_cast<size_t>(key)] += v;
                    ++bucketCount[static_cast<size_t>(key)];
                    if (j < retainedUpTo)
                        ret += v;
                }
            }
            int64_t k = n;
            if (scale != 0.0f) {
                double acc = 0;
                int64_t count = 0;
                for (int key = kBuckets - 1; key >= 0; --key) {
                    const double mass = bucketMass[static_cast<size_t>(key)];
                    if (acc + mass >= threshold) {
                        scratch.clear();
                        for (int64_t j = 0; j < n; ++j) {
                            const float v = p[j] * scale;
                            uint32_t bits;
                            std::memcpy(&bits, &v, sizeof bits);
                            if (v > 0 && std::min<int>(static_cast<int>(bits >> 20), kBuckets - 1) == key)
                                scratch.push_back(v);
                        }
                        k = std::min<int64_t>(n, count + smallestTopMass(scratch.data(), static_cast<int64_t>(scratch.size()),
                                                                         threshold - acc));
                        break;
                    }
                    acc += mass;
                    count += bucketCount[static_cast<size_t>(key)];
                }
            }
            m_entropy[static_cast<size_t>(i)] = ent;
            maxW[static_cast<size_t>(r)] = mx;
            sink[static_cast<size_t>(r)] = p[0] * scale;
            retained[static_cast<size_t>(r)] = ret;
            k90[static_cast<size_t>(r)] = static_cast<double>(k);
        }
    });
    const double logN = std::log(static_cast<double>(n));
    for (int64_t r = 0; r < rows; ++r) {
        const double ent = m_entropy[static_cast<size_t>(row0 + r)];
        m_normEntropySum += n > 1 ? ent / logN : 0.0;
        m_maxSum += maxW[static_cast<size_t>(r)];
        m_k90Sum += k90[static_cast<size_t>(r)];
        m_sinkSum += sink[static_cast<size_t>(r)];
        m_retainedSum += retained[static_cast<size_t>(r)];
        for (int b = 0; b < bins; ++b)
            m_profileSum[static_cast<size_t>(b)] += profile[static_cast<size_t>(r * bins + b)];
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
