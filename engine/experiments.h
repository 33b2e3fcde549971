// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Multi-run analyses built on GauModel: method comparison (JS divergence per layer) and the paper's
// MLM evaluation protocol (METHODS.md §3, last two bullets).

#include "gau_model.h"

#include <optional>
#include <string>
#include <vector>

namespace entroscope {

/// Per-layer mean JS divergence (nats) between the attention of methods a and b on the same ids.
/// Method a's rows are spilled to `scratchFile` (n*n*L*4 bytes; removed afterwards) when they do not fit
/// in `memoryBudgetBytes`, so any n that analyze() can run is comparable. Also returns both analyses
/// (metrics only, no maps).
struct Comparison
{
    AnalysisResult a;
    AnalysisResult b;
    std::vector<double> jsPerLayer;
};
Comparison compareMethods(const GauModel &model, const std::vector<int64_t> &ids, const Method &a, const Method &b,
                          int64_t trainLength, const std::string &scratchFile, int64_t memoryBudgetBytes,
                          const ProgressFn &progress = {}, const CancelToken *cancel = nullptr);

/// One (length, method) cell of the MLM evaluation, with its uncertainty (METHODS.md §3).
struct MlmEvaluation
{
    int64_t length = 0;
    MethodSpec method;
    int64_t samples = 0;
    int64_t documents = 0;   ///< documents (concat: starts) used at this length
    double accuracy = 0;     ///< top-1 over the full vocabulary at the masked position
    double accuracyLow = 0;  ///< Wilson 95 % interval of the accuracy
    double accuracyHigh = 0;
    double loss = 0;         ///< mean cross-entropy (nats) of the original token
    std::optional<double> lossSe; ///< standard error of the loss over documents (none for one document)
    double perplexity = 0;   ///< exp(loss)
};

/// The paper's protocol: the documents are filled to n (documentInputs: tile, truncate, or every concat
/// start with n tokens); for every evaluated position p of input d (evaluationPositions(n, positions, d,
/// D)) a copy with token p replaced by [MASK] is run (batched), and top-1 accuracy and cross-entropy of the
/// original token are averaged over all samples. Throws Error when the tokenizer has no [MASK] or no
/// input is left; `what` names the documents in errors (e.g. the file).
MlmEvaluation evaluateMlm(const GauModel &model, const std::vector<std::vector<int64_t>> &documents, int64_t n,
                          const Method &method, int64_t trainLength, int64_t positions, const std::string &fill,
                          int64_t batchSize, const ProgressFn &progress = {}, const CancelToken *cancel = nullptr,
                          const std::string &what = "documents");

} // namespace entroscope
