// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Comparisons of two analyses of the same input from the full maps they already hold (no model run): what
// the workbench uses for the families without a one-pass JS divergence (the Llama family), where the maps of
// every (layer, head) are full up to the view's full-map length. Value types only, no LibTorch.

#include "analysis/result_types.h"

#include <vector>

namespace entroscope {

/// Per (layer, head) of `a`'s full maps (pool 1), layer-major with heads inner, the mean over query rows of
/// the Jensen–Shannon divergence (nats) between `a`'s row and `b`'s row of the same (layer, head) — METHODS.md
/// §2's comparison. Each row is normalised by its sum; a row of zeros stays the zero vector (METHODS.md §3), see
/// jsOfRows. Empty when
/// either side lacks the full map of some (layer, head) or the shapes differ.
std::vector<double> jsDivergenceFromFullMaps(const AnalysisResult &a, const AnalysisResult &b);

/// The Jensen–Shannon divergence (nats) between two rows of n weights, each normalised by its sum. A row whose
/// weights are all 0 (only `squared_relu` makes one) is kept as the zero vector, as METHODS.md §3 counts it for
/// every metric: against a distribution it gives ½ ln 2, against another zero row 0. The one row JS of every
/// path: GAU-α's one-pass JS, the CLI's `compare`, the full-map and the Llama family's block-wise JS.
double jsOfRows(const float *a, const float *b, int64_t n);

} // namespace entroscope
