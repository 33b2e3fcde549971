// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Multi-run analyses: method comparison (JS divergence per layer), the paper's MLM evaluation protocol on
// GAU-α and next-token evaluation of causal models (METHODS.md §3, last three bullets).

#include "model/gau_model.h"
#include "model/llama_model.h"

#include <optional>
#include <string>
#include <vector>

namespace entroscope {

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

/// The masked samples of the MLM evaluation at length n: the inputs (documentInputs: tile, truncate, or
/// every concat start with n tokens) and, for every input d, its evaluated positions
/// (evaluationPositions(n, positions, d, D)), in that order.
struct MlmPlan
{
    struct Sample
    {
        int64_t input;
        int64_t position;
    };
    int64_t length = 0;
    std::vector<std::vector<int64_t>> inputs;
    std::vector<Sample> samples;
};
MlmPlan planMlm(const std::vector<std::vector<int64_t>> &documents, int64_t n, int64_t positions,
                const std::string &fill, const std::string &what = "documents");

/// Per-sample results: the cross-entropy (nats) of the original token and whether it is the top-1.
struct MlmSamples
{
    std::vector<double> loss;
    std::vector<uint8_t> correct;
};
/// Runs samples [begin, end) of a plan in batches of `batchSize` from `begin` (a copy of the input with the
/// sample's token replaced by [MASK] each). A run split at multiples of batchSize computes exactly the
/// batches of an unsplit run, so the results are the same bytes (for the same thread count).
MlmSamples evaluateMlmSamples(const GauModel &model, const MlmPlan &plan, size_t begin, size_t end,
                              const Method &method, int64_t trainLength, int64_t batchSize,
                              const ProgressFn &progress = {}, const CancelToken *cancel = nullptr);
/// The figures of one (length, method) cell from all its samples in plan order; sampleInput[s] is the
/// input of sample s, of `inputs` inputs.
MlmEvaluation summarizeMlm(int64_t n, const MethodSpec &method, const std::vector<int64_t> &sampleInput,
                           int64_t inputs, const MlmSamples &samples);

/// The paper's protocol in one call (planMlm, evaluateMlmSamples, summarizeMlm): the documents are filled to n (documentInputs: tile, truncate, or every concat
/// start with n tokens); for every evaluated position p of input d (evaluationPositions(n, positions, d,
/// D)) a copy with token p replaced by [MASK] is run (batched), and top-1 accuracy and cross-entropy of the
/// original token are averaged over all samples. Throws Error when the tokenizer has no [MASK] or no
/// input is left; `what` names the documents in errors (e.g. the file).
MlmEvaluation evaluateMlm(const GauModel &model, const std::vector<std::vector<int64_t>> &documents, int64_t n,
                          const Method &method, int64_t trainLength, int64_t positions, const std::string &fill,
                          int64_t batchSize, const ProgressFn &progress = {}, const CancelToken *cancel = nullptr,
                          const std::string &what = "documents");

/// The next-token scores of one causal input of n tokens: the predictions of token t + 1 at t = 0..n−2, all
/// of them and those at t ≥ T (the query row sees more keys than in training).
struct NextTokenScores
{
    int64_t count = 0, correct = 0;
    double lossSum = 0;
    int64_t countBeyond = 0, correctBeyond = 0;
    double lossSumBeyond = 0;
};
NextTokenScores scoreNextTokens(const LlamaModel &model, const std::vector<int64_t> &ids, const Method &method,
                                int64_t trainLength, const CancelToken *cancel = nullptr);

/// One (length, method) cell of the causal evaluation (METHODS.md §3, causal models), with its uncertainty:
/// Wilson 95 % intervals of the accuracies over the predictions, standard errors of the losses over inputs.
struct NextTokenEvaluation
{
    int64_t length = 0;
    int64_t documents = 0;
    int64_t samples = 0; ///< predictions, all positions
    double accuracy = 0, accuracyLow = 0, accuracyHigh = 0;
    double loss = 0;
    std::optional<double> lossSe;
    double perplexity = 0;
    int64_t samplesBeyond = 0; ///< predictions at t ≥ T; the *Beyond figures are absent when there are none
    std::optional<double> accuracyBeyond, accuracyBeyondLow, accuracyBeyondHigh, lossBeyond, lossBeyondSe,
        perplexityBeyond;
};
/// Sums the inputs' scores (in input order). Throws Error when there is no input or no prediction.
NextTokenEvaluation summarizeNextTokens(int64_t n, const std::vector<NextTokenScores> &inputs);

} // namespace entroscope
