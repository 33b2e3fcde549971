// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The resumable, distributable runs of `sweep` and `evaluate`. A run is a list of cells (one per length and
// method, one point of the results) and each cell a list of work items (sweep: one per input; evaluate: a
// chunk of masked samples aligned to the batch size). An item's result is one line of JSON, whichever
// process made it, and a cell's point is assembled from its items' results alone (no model needed), so:
//   one process         items in order, each cell written when its last item is in;
//   mpirun -np N        the items served by rank 0 as a work queue, rank 0 writing the same files;
//   --shard K/N + merge every N-th item into a shard file, `merge` assembling the cells;
// all write the same <name>.csv and <name>.json (points in the order of the cells, whatever order
// they finished in).

#include "cli_common.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace entroscope::cli {

struct RunCell
{
    std::string key; ///< "<length>/<preset>": identifies the point in the results
    int64_t length = 0;
    std::string preset;
    int64_t items = 0;
};

struct RunPlan
{
    std::string name; ///< "sweep" or "evaluate": file names, messages, and how cells are assembled
    nlohmann::json settings;
    std::vector<RunCell> cells;
    /// Computes item `item` of cell `cell`; returns its result as one line of JSON.
    std::function<std::string(size_t cell, int64_t item)> work;
};

/// Runs a plan as the arguments say (--out, --overwrite, --shard K/N; distributed under MPI).
/// Returns the exit status (0, or 130 when interrupted).
int runPlan(const RunPlan &plan, const Args &args);

/// `--shard` is one of a sweep's and evaluate's options; its help line.
extern const char *const kShardHelp;

/// A number for a result line: finite values as JSON numbers, others as "inf", "-inf", "nan".
nlohmann::json numberJson(double v);
double numberFrom(const nlohmann::json &j);

/// CSV pieces shared with `compare`: a number with 10 significant digits, a field quoted when it holds a
/// comma or a quote (RFC 4180), and the columns preset,temperature,qk,position,key_count, of a point.
std::string fmt(double v);
std::string csvField(const std::string &s);
std::string methodColumns(const nlohmann::json &point);

/// The inverse of metricsJson for the per-layer summaries (the per-query entropies are not read).
LayerMetrics layerMetricsFromJson(const nlohmann::json &j);

} // namespace entroscope::cli
