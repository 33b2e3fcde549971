// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Synthetic but realistic analysis values for the widget tests and screenshots: banded attention maps
// (mass decaying with |i−j|, wider in deeper layers) plus an attention-sink column on key 0, their
// pooled versions, and an AnalysisResult whose metrics are computed from those maps (METHODS.md §3).
// Header-only; no engine code.

#include "analysis/result_types.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace widgettest {

using entroscope::AnalysisResult;
using entroscope::AttentionMap;
using entroscope::LayerMetrics;

/// Full n×n map: row i ∝ exp(−|i−j|/bandwidth) + sink·[j = 0], each row normalised to 1.
inline AttentionMap bandedMap(int n, int layer, double bandwidth, double sink)
{
    AttentionMap map;
    map.layer = layer;
    map.length = n;
    map.rows = map.cols = n;
    map.pool = 1;
    map.pooling = AttentionMap::Pooling::None;
    map.data.resize(size_t(n) * size_t(n));
    for (int i = 0; i < n; ++i) {
        double sum = 0;
        std::vector<double> row(static_cast<size_t>(n));
        for (int j = 0; j < n; ++j) {
            row[size_t(j)] = std::exp(-std::abs(i - j) / bandwidth) + (j == 0 ? sink : 0.0);
            sum += row[size_t(j)];
        }
        for (int j = 0; j < n; ++j)
            map.data[size_t(i) * size_t(n) + size_t(j)] = float(row[size_t(j)] / sum);
    }
    return map;
}

/// p×p max- or mean-pooled copy of a full map (the last cell may be partial).
inline AttentionMap pooled(const AttentionMap &full, int p, AttentionMap::Pooling how = AttentionMap::Pooling::Max)
{
    AttentionMap map;
    map.layer = full.layer;
    map.head = full.head;
    map.length = full.length;
    map.pool = p;
    map.pooling = how;
    map.rows = (full.rows + p - 1) / p;
    map.cols = (full.cols + p - 1) / p;
    map.data.assign(size_t(map.rows) * size_t(map.cols), 0.0f);
    for (int r = 0; r < map.rows; ++r)
        for (int c = 0; c < map.cols; ++c) {
            double acc = 0;
            int count = 0;
            for (int i = r * p; i < std::min((r + 1) * p, full.rows); ++i)
                for (int j = c * p; j < std::min((c + 1) * p, full.cols); ++j) {
                    const double v = full.at(i, j);
                    acc = how == AttentionMap::Pooling::Max ? std::max(acc, v) : acc + v;
                    ++count;
                }
            if (how == AttentionMap::Pooling::Mean && count > 0)
                acc /= count;
            map.data[size_t(r) * size_t(map.cols) + size_t(c)] = float(acc);
        }
    return map;
}

/// n WordPiece-like tokens from a tiled sentence.
inline std::vector<std::string> tokens(int n)
{
    static const char *const kWords[] = {"the", "quick", "brown", "fox", "jump", "##s", "over", "the",
                                         "lazy", "dog", ",", "while", "a", "cat", "watch", "##es", "."};
    constexpr int kCount = int(sizeof(kWords) / sizeof(kWords[0]));
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i)
        out.emplace_back(kWords[i % kCount]);
    return out;
}

/// Metrics of a full map per METHODS.md §3.
inline LayerMetrics metricsOf(const AttentionMap &map, int trainLength)
{
    LayerMetrics m;
    m.layer = map.layer;
    m.head = map.head;
    const int n = map.rows;
    double retained = 0;
    int bins = 1;
    while ((int64_t(1) << (bins - 1)) <= n - 1)
        ++bins;
    m.distanceProfile.assign(size_t(n > 1 ? bins : 1), 0.0);
    for (int i = 0; i < n; ++i) {
        double h = 0, mx = 0, kept = 0;
        for (int j = 0; j < n; ++j) {
            const double a = map.at(i, j);
            if (a > 0)
                h -= a * std::log(a);
            mx = std::max(mx, a);
            if (j < trainLength)
                kept += a;
            const int d = std::abs(i - j);
            int b = 0;
            while (b < int(m.distanceProfile.size()) - 1 && (int64_t(1) << b) <= d)
                ++b;
            m.distanceProfile[size_t(b)] += a / n;
        }
        m.entropy.push_back(h);
        m.entropyMean += h / n;
        m.normalizedEntropyMean += (n > 1 ? h / std::log(double(n)) : 0.0) / n;
        m.maxWeightMean += mx / n;
        m.sinkMassMean += map.at(i, 0) / n;
        if (i < trainLength)
            retained += kept / trainLength;
    }
    if (n >= trainLength && trainLength > 0)
        m.retainedMassMean = retained;
    return m;
}

/// An analysis with `layers` layers at length n: band widths grow with depth, sinks get stronger.
/// Holds the full map of `fullLayer` and p×p max-pooled maps of every layer.
inline AnalysisResult result(int n, int trainLength, int layers, int pool, int fullLayer = 0)
{
    AnalysisResult r;
    r.length = n;
    r.trainLength = trainLength;
    r.keySize = 128;
    r.method = {"softmax", "plain", "rope", ""};
    r.tokenTexts = tokens(n);
    for (int i = 0; i < n; ++i)
        r.tokens.push_back(1000 + i % 17);
    for (int l = 0; l < layers; ++l) {
        const AttentionMap full = bandedMap(n, l, 1.0 + 1.5 * l, 0.5 * l);
        r.layers.push_back(metricsOf(full, trainLength));
        if (l == fullLayer)
            r.maps.push_back(full);
        if (pool > 1)
            r.maps.push_back(pooled(full, pool));
    }
    return r;
}

} // namespace widgettest
