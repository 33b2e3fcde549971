// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The view analysis: what one request of the workbench needs from the engine, in plain values. Which
// analyses a view asks for (full maps up to kFullMapMaxLength, pooled maps beyond, kept layer inputs),
// running a planned list of them with the JS divergence of the compared pair inside the second analysis
// (or after both, from their layer inputs or full maps), and the exact rows of a zoomed region. The
// workbench's controller plans against its cache and schedules; this file computes. Qt-free and
// LibTorch-free; thread-safe (const models, no shared state).

#include "analysis/result_types.h"
#include "model/attention_model.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace entroscope {

/// Up to this length a view analysis keeps every layer's full map; beyond it pooled maps only.
inline constexpr int64_t kFullMapMaxLength = 1024;
/// The least cap on the layer inputs a view analysis of a family other than GAU-α keeps (L · n · hidden floats).
inline constexpr int64_t kLayerInputsMinBytes = int64_t{512} << 20;
/// The default cap: a sixteenth of the machine's physical memory, at least kLayerInputsMinBytes (1.5 GB on a
/// 24 GB machine: a 22-layer, 2048-wide model keeps them up to n ≈ 8700). The memory guard still refuses an
/// analysis whose whole estimate does not fit.
int64_t defaultLayerInputsMaxBytes();

/// Whether a view analysis at n keeps the layer inputs (the in-pass JS divergence and exact rows read
/// them): GAU-α's always; the other families' where the maps are pooled, when they fit `maxBytes`.
bool keepsLayerInputs(const ModelInfo &info, int64_t n, int64_t maxBytes);
/// The JS divergence of a compared pair exists at n: from kept layer inputs or from full maps.
bool jsAvailable(const ModelInfo &info, int64_t n, int64_t maxBytes);

/// What a view needs of one analysis (maps: a shown piece; else the metrics only, e.g. the reference at
/// T or a sweep point): up to kFullMapMaxLength every layer's full map (and 128² thumbnails above 128),
/// beyond it pooled maps at kFullMapMaxLength² only; the layer inputs where keepsLayerInputs says so.
AnalysisRequest viewAnalysisRequest(const ModelInfo &info, const Method &method, int64_t trainLength, int64_t n,
                                    bool maps, int64_t layerInputsMaxBytes);

/// One analysis of a view job.
struct ViewTask
{
    std::string key; ///< the caller's name for the result (its cache key), handed back with it
    size_t method = 0; ///< index into ViewTasks::methods
    int64_t length = 0;
    bool maps = false; ///< viewAnalysisRequest's `maps`
};

/// A planned view job: the analyses that are missing, in order, and what is known already.
struct ViewTasks
{
    std::vector<int64_t> tokens; ///< the text's tokens, filled to each task's length with `fill`
    std::string fill = "tile";
    std::vector<Method> methods; ///< methods[0] is shown; methods[0] and [1] are the JS pair
    int64_t trainLength = 0;
    int64_t length = 0; ///< the shown n (the JS pair's length)
    std::vector<ViewTask> tasks;
    /// The JS pair's results at n that exist already (cached), else null.
    std::shared_ptr<const AnalysisResult> known[2];
    bool jsNeeded = false; ///< compute the pair's JS divergence
    int64_t layerInputsMaxBytes = kLayerInputsMinBytes; ///< keepsLayerInputs's cap
};

/// Runs `in.tasks` in order; each result goes to `piece` as soon as it exists (progressive views). With
/// jsNeeded the pair's JS divergence per (layer, head) is returned: accumulated inside the second
/// method's analysis when the first one's layer inputs exist by then (AnalysisRequest::jsInputs), else
/// after both from their layer inputs, else from their full maps. Empty without jsNeeded. Every analysis
/// passes the memory guard (checkAnalysisMemory) first. progress gets the whole job's fraction. Throws
/// Error (memory, bad input) or Cancelled.
std::vector<double> runViewTasks(const AttentionModel &model, const ViewTasks &in, const ProgressFn &progress,
                                 const std::function<void(const ViewTask &, std::shared_ptr<const AnalysisResult>)> &piece,
                                 const CancelToken *cancel);

/// The exact attention rows row0 … row0+rows-1 of `layer` under `method`, key columns col0 … col0+cols-1, of
/// every head ([heads, rows, cols]), from an analysis's kept layer inputs. Whole rows are computed at most
/// ~64 MB at a time and cropped, so a zoomed region at n = 65536 never holds its rows' full width at once.
std::vector<float> exactRowWindow(const AttentionModel &model, const LayerInputs &inputs, int layer,
                                  const Method &method, int64_t trainLength, int64_t row0, int64_t rows, int64_t col0,
                                  int64_t cols, int64_t heads, const CancelToken *cancel);

} // namespace entroscope
