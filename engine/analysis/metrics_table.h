// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The per-layer scalar metrics of METHODS.md §3 in one table: name (as in summary.json, sweep.csv and
// the exports), description, unit, and how to read it from LayerMetrics. The CLI's JSON and CSV writers
// iterate it; adding a metric is a field in LayerMetrics, its computation, and one row here.

#include "analysis/result_types.h"

#include <optional>
#include <string>
#include <vector>

namespace entroscope {

struct ScalarMetricInfo
{
    std::string name;        ///< e.g. "entropy_mean"
    std::string description; ///< one line, for help texts and tooltips
    std::string unit;        ///< "nats", "keys", "mass" or "" (a ratio)
    /// The value of a layer; nullopt where it is not defined (retained mass at n < T).
    std::optional<double> (*value)(const LayerMetrics &);
    /// Sets the value (used for means over documents); nullopt leaves it undefined.
    void (*set)(LayerMetrics &, std::optional<double>);
};

/// Every scalar per-layer metric, in output order.
const std::vector<ScalarMetricInfo> &scalarMetrics();

/// Per-layer means over documents of every scalar metric and of the distance profile, with the standard
/// errors of the scalar metrics (by name; absent for one document). All runs must have the same layers.
struct LayerMetricsMean
{
    LayerMetrics mean; ///< entropy (per query) left empty
    std::vector<std::pair<std::string, std::optional<double>>> standardErrors;
};
std::vector<LayerMetricsMean> meanOverDocuments(const std::vector<std::vector<LayerMetrics>> &runs);

} // namespace entroscope
