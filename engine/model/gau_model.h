// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The GAU-α forward pass in LibTorch ops (gau_alpha.md §2), parameterised by a Method (METHODS.md §1).
// Attention is computed in blocks of query rows: metrics stream, and only the maps a caller asks for
// are kept.

#include "io/checkpoint.h"
#include "text/inputs.h"
#include "model/method.h"
#include "analysis/result_types.h"
#include "model/attention_model.h"

#include <torch/types.h>

#include <functional>
#include <memory>
#include <vector>

namespace entroscope {

/// Bytes one analysis at length n is expected to need at its peak (activations, a block of scores,
/// kept maps). Used to refuse absurd lengths before allocating.
int64_t estimateAnalysisBytes(const GauConfig &config, int64_t n, const AnalysisRequest &request);

/// The one memory guard of the CLI and the workbench: throws Error ("length N needs about X of memory but
/// only Y is available") when estimateAnalysisBytes exceeds 90 % of what the system reports available
/// (nothing is checked where that is unknown). extraBytes: what the caller keeps besides (other methods'
/// layer inputs, a cache being filled).
void checkAnalysisMemory(const GauConfig &config, int64_t n, const AnalysisRequest &request, int64_t extraBytes = 0);


class GauModel : public AttentionModel
{
public:
    explicit GauModel(std::shared_ptr<const Checkpoint> checkpoint);

    const Checkpoint &checkpoint() const { return *m_ck; }
    ModelInfo info() const override;
    const MethodDefaults &methodDefaults() const override { return m_defaults; }
    std::shared_ptr<const Tokenizer> tokenizer() const override { return m_ck->tokenizer; }
    int64_t estimateAnalysisBytes(int64_t n, const AnalysisRequest &request) const override;

    /// Runs the forward over `ids` (already filled to length n, no padding) and computes what `request`
    /// asks. Thread-safe (const); sets InferenceMode in the calling thread. Throws Error for bad ids,
    /// Cancelled when `cancel` is set (checked between blocks). progress gets fractions in [0, 1].
    AnalysisResult analyze(const std::vector<int64_t> &ids, const AnalysisRequest &request,
                           const ProgressFn &progress = {}, const CancelToken *cancel = nullptr) const override;

    /// The exact attention rows row0 .. row0+rows-1 of one layer, recomputed from an analysis's layer
    /// inputs under the same method and T (the other layers are not run): row-major float32 [rows, n], as
    /// applied to the values (raw for squared_relu), equal to the rows the analysis saw. Throws Error for
    /// a layer or a row range the inputs do not have.
    std::vector<float> attentionRows(const LayerInputs &inputs, int layer, const Method &method, int64_t trainLength,
                                     int64_t row0, int64_t rows, const CancelToken *cancel = nullptr) const override;

    /// Per layer, the mean over queries of the Jensen–Shannon divergence (nats) between the attention rows
    /// of two analyses of the same input (same n), each under its own method, recomputed block by block
    /// from their layer inputs: no map is held, no layer is run again. Rows are normalised to sum 1 first
    /// (squared_relu); an all-zero row stays the zero vector (jsOfRows, METHODS.md §3).
    std::vector<double> jsDivergence(const LayerInputs &a, const Method &methodA, const LayerInputs &b,
                                     const Method &methodB, int64_t trainLength, const ProgressFn &progress = {},
                                     const CancelToken *cancel = nullptr) const override;

    /// MLM logits [B, n, V] of a batch of equal-length sequences under a method (tests, evaluation).
    torch::Tensor logits(const torch::Tensor &ids, const Method &method, int64_t trainLength,
                         const CancelToken *cancel = nullptr) const;

    /// MLM logits [B, n, V] with autograd enabled (no InferenceMode): for training, where the checkpoint's
    /// tensors are parameters that require grad. Same forward as everything else.
    torch::Tensor trainingLogits(const torch::Tensor &ids, const Method &method, int64_t trainLength) const;
    /// Final hidden states [B, n, H] with autograd enabled (training: the MLM head is applied to the
    /// masked positions only, logits = hidden · decoderᵀ).
    torch::Tensor trainingHidden(const torch::Tensor &ids, const Method &method, int64_t trainLength) const;

    /// Final hidden states [B, n, H] (no metrics, no maps).
    torch::Tensor hidden(const torch::Tensor &ids, const Method &method, int64_t trainLength,
                         const CancelToken *cancel = nullptr) const;

private:
    struct LayerHooks;
    struct LayerRows;
    torch::Tensor forward(const torch::Tensor &ids, const Method &method, int64_t trainLength, int64_t blockRows,
                          LayerHooks *hooks, const CancelToken *cancel) const;

    std::shared_ptr<const Checkpoint> m_ck;
    MethodDefaults m_defaults;
};


} // namespace entroscope
