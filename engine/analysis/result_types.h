// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Plain value types that carry analysis results from the engine to the app and widgets.
// No LibTorch here: widgets and their tests include this header without linking the engine.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace entroscope {

/// A method as three canonical axis strings with every parameter resolved (METHODS.md §1),
/// e.g. {"infoscale", "cosscale:128", "rerope:64"}.
struct MethodSpec
{
    std::string temperature;
    std::string qk;
    std::string position;
    std::string keyCount; ///< "" (n_i counts every key of the row) or "visible" (METHODS.md §1.3)
    std::string label() const
    {
        return temperature + " × " + qk + " × " + position + (keyCount.empty() ? "" : " (" + keyCount + " keys)");
    }
    bool operator==(const MethodSpec &o) const
    {
        return temperature == o.temperature && qk == o.qk && position == o.position && keyCount == o.keyCount;
    }
};

/// Metrics of one layer (one head) at one length (METHODS.md §3). Entropies in nats.
struct LayerMetrics
{
    int layer = 0;
    int head = 0;
    std::vector<double> entropy; ///< one value per query, size n
    double entropyMean = 0;
    double normalizedEntropyMean = 0;
    double maxWeightMean = 0;
    double k90Mean = 0;
    double sinkMassMean = 0;
    std::optional<double> retainedMassMean; ///< only when n >= T; dilution = 1 - retained
    double localMassMean = 1;               ///< mass on keys with |i - j| < T, mean over queries
    std::vector<double> distanceProfile;    ///< bins [0],[1],[2,3],[4,7],...; mass averaged over queries
};

/// An attention map, row = query, column = key, row-major float32.
/// pool == 1: the full [n, n] map. pool > 1: cell (r, c) summarises queries [r*pool, (r+1)*pool) and
/// keys [c*pool, (c+1)*pool) (the last cell may be partial) by max or mean.
struct AttentionMap
{
    enum class Pooling { None, Max, Mean };
    int layer = 0;
    int head = 0;
    int64_t length = 0; ///< n, the sequence length the map comes from
    int rows = 0;
    int cols = 0;
    int pool = 1;
    Pooling pooling = Pooling::None;
    std::vector<float> data; ///< rows * cols values
    float at(int r, int c) const { return data[static_cast<size_t>(r) * cols + c]; }
    bool empty() const { return data.empty(); }
};

/// The hidden states entering every layer of one analysis (row-major [n, H] float32 per layer): what the
/// engine needs to recompute a layer's exact attention rows later without running the layers below it
/// (exact rows of a pooled map, comparisons without a second run).
struct LayerInputs
{
    int64_t length = 0;
    int64_t hiddenSize = 0;
    std::vector<std::vector<float>> layers;
    size_t bytes() const
    {
        size_t b = sizeof(LayerInputs);
        for (const auto &l : layers)
            b += l.size() * sizeof(float);
        return b;
    }
};

/// Everything one analysis of one (model, input, length, method) produces.
struct AnalysisResult
{
    int64_t length = 0;
    int64_t trainLength = 0;
    int64_t keySize = 0;
    MethodSpec method;
    std::vector<int64_t> tokens;          ///< the n input ids
    std::vector<std::string> tokenTexts;  ///< their vocabulary strings (for axis labels, tooltips)
    std::vector<LayerMetrics> layers;
    std::vector<int64_t> mlmTop1;         ///< argmax of the MLM logits per position (empty if not asked)
    std::vector<AttentionMap> maps;       ///< full and/or pooled maps, as requested
    double seconds = 0;                   ///< wall time of the computation
    int rowThreads = 0;                   ///< threads that shared the per-row work (softmax, metrics, pooling)
    std::shared_ptr<const LayerInputs> layerInputs; ///< kept when the request asks (keepLayerInputs)
    /// Per (layer, head), layer-major: mean JS divergence (nats) against AnalysisRequest::jsInputs' rows;
    /// empty when the request gave none.
    std::vector<double> jsDivergence;
};

/// Progress callback: fraction done in [0, 1] and a short label. Called from the computing thread.
using ProgressFn = std::function<void(double fraction, const std::string &label)>;

/// Cooperative cancellation: long calls check it between layers and blocks and throw Cancelled.
struct CancelToken
{
    std::atomic<bool> cancelled{false};
    void cancel() { cancelled.store(true); }
    bool isCancelled() const { return cancelled.load(); }
};

} // namespace entroscope
