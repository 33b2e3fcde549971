// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "head_selection.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace entroscope {

int headCountOf(const AnalysisResult &result)
{
    int heads = 1;
    for (const auto &l : result.layers)
        heads = std::max(heads, l.head + 1);
    for (const auto &m : result.maps)
        heads = std::max(heads, m.head + 1);
    return heads;
}

const LayerMetrics *metricsOf(const AnalysisResult &result, int layer, int head)
{
    for (const auto &l : result.layers)
        if (l.layer == layer && l.head == head)
            return &l;
    return nullptr;
}

namespace {

// The mean of the heads' metrics of one layer (all of them of the same n).
LayerMetrics meanMetrics(const std::vector<const LayerMetrics *> &heads)
{
    LayerMetrics out;
    out.layer = heads.front()->layer;
    const double k = double(heads.size());
    out.entropy.assign(heads.front()->entropy.size(), 0.0);
    out.distanceProfile.assign(heads.front()->distanceProfile.size(), 0.0);
    out.localMassMean = 0;
    bool retained = true;
    double retainedSum = 0;
    for (const LayerMetrics *h : heads) {
        for (size_t i = 0; i < out.entropy.size() && i < h->entropy.size(); ++i)
            out.entropy[i] += h->entropy[i] / k;
        for (size_t i = 0; i < out.distanceProfile.size() && i < h->distanceProfile.size(); ++i)
            out.distanceProfile[i] += h->distanceProfile[i] / k;
        out.entropyMean += h->entropyMean / k;
        out.normalizedEntropyMean += h->normalizedEntropyMean / k;
        out.maxWeightMean += h->maxWeightMean / k;
        out.k90Mean += h->k90Mean / k;
        out.sinkMassMean += h->sinkMassMean / k;
        out.localMassMean += h->localMassMean / k;
        if (h->retainedMassMean)
            retainedSum += *h->retainedMassMean / k;
        else
            retained = false;
    }
    if (retained)
        out.retainedMassMean = retainedSum;
    return out;
}

} // namespace

std::shared_ptr<const AnalysisResult> projectHead(const std::shared_ptr<const AnalysisResult> &result, int head)
{
    if (!result || headCountOf(*result) <= 1)
        return result;
    auto out = std::make_shared<AnalysisResult>();
    out->length = result->length;
    out->trainLength = result->trainLength;
    out->keySize = result->keySize;
    out->method = result->method;
    out->tokens = result->tokens;
    out->tokenTexts = result->tokenTexts;
    out->mlmTop1 = result->mlmTop1;
    out->seconds = result->seconds;
    out->rowThreads = result->rowThreads;
    if (head != kHeadMean) {
        for (const auto &l : result->layers)
            if (l.head == head) {
                out->layers.push_back(l);
                out->layers.back().head = 0;
            }
        for (const auto &m : result->maps)
            if (m.head == head) {
                out->maps.push_back(m);
                out->maps.back().head = 0;
            }
        return out;
    }
    // Mean over heads, per layer in the layers' order.
    std::map<int, std::vector<const LayerMetrics *>> byLayer;
    for (const auto &l : result->layers)
        byLayer[l.layer].push_back(&l);
    for (const auto &[layer, heads] : byLayer)
        out->layers.push_back(meanMetrics(heads));
    // Maps of one (layer, pooling, pool, shape) are averaged cell by cell, in their first one's order.
    using Key = std::tuple<int, int, int, int, int>;
    std::map<Key, size_t> slot;
    std::vector<int> counts;
    for (const auto &m : result->maps) {
        const Key key{m.layer, int(m.pooling), m.pool, m.rows, m.cols};
        auto it = slot.find(key);
        if (it == slot.end()) {
            it = slot.emplace(key, out->maps.size()).first;
            out->maps.push_back(m);
            out->maps.back().head = 0;
            counts.push_back(1);
            continue;
        }
        AttentionMap &sum = out->maps[it->second];
        for (size_t i = 0; i < sum.data.size() && i < m.data.size(); ++i)
            sum.data[i] += m.data[i];
        ++counts[it->second];
    }
    for (size_t i = 0; i < out->maps.size(); ++i)
        if (counts[i] > 1)
            for (float &v : out->maps[i].data)
                v /= float(counts[i]);
    return out;
}

} // namespace entroscope
