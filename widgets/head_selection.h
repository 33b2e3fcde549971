// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// One head (or the mean of the heads) of a multi-head analysis, as a result with one LayerMetrics and one
// map per layer: the views that show a layer at a time (map, entropy, distance profile, compare, token)
// then take a Llama-family result as they take a GAU-α one, and the head choice lives in one place.
// No LibTorch; the widgets' tests use it without the engine.

#include "analysis/result_types.h"

#include <memory>

namespace entroscope {

/// The head index that stands for the mean over the heads of a layer.
inline constexpr int kHeadMean = -1;

/// Heads per layer in `result` (largest head index of its metrics and maps + 1; 1 for GAU-α).
int headCountOf(const AnalysisResult &result);

/// `result` reduced to one head: its metrics and maps with head = 0 (so that head-0 lookups find them).
/// head == kHeadMean averages the heads instead: every per-query and scalar metric, the distance profile,
/// and the maps cell by cell (a mean of attention rows is an attention row; for max-pooled maps it is the
/// mean of the heads' maxima). A one-head result comes back as it is (same pointer, layer inputs kept);
/// otherwise the layer inputs are not carried (no model family with heads keeps them).
std::shared_ptr<const AnalysisResult> projectHead(const std::shared_ptr<const AnalysisResult> &result, int head);

/// The metrics entry of (layer, head) in `result`, nullptr when there is none.
const LayerMetrics *metricsOf(const AnalysisResult &result, int layer, int head);

} // namespace entroscope
