// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The Llama-family forward (Hugging Face's LlamaForCausalLM: RMSNorm, half-split RoPE, grouped-query
// attention, SiLU-gated MLP, Qwen2's biases, Mistral's window) under a method of METHODS.md §1 applied per
// head with causal visibility (§6). Attention runs head by head in blocks of query rows: the metrics stream
// and only the maps a caller asks for are kept.

#include "io/llama_checkpoint.h"
#include "model/attention_model.h"

#include <torch/types.h>

#include <optional>

namespace entroscope {

class LlamaModel : public AttentionModel
{
public:
    explicit LlamaModel(std::shared_ptr<const LlamaCheckpoint> checkpoint);

    const LlamaCheckpoint &checkpoint() const { return *m_ck; }
    ModelInfo info() const override;
    const MethodDefaults &methodDefaults() const override { return m_defaults; }
    std::shared_ptr<const Tokenizer> tokenizer() const override { return m_ck->tokenizer; }
    AnalysisResult analyze(const std::vector<int64_t> &ids, const AnalysisRequest &request,
                           const ProgressFn &progress = {}, const CancelToken *cancel = nullptr) const override;
    int64_t estimateAnalysisBytes(int64_t n, const AnalysisRequest &request) const override;

    /// The exact attention rows row0 .. row0+rows-1 of every head of one layer, recomputed from an analysis's
    /// layer inputs (AnalysisRequest::keepLayerInputs) under the same method and T: only that layer's
    /// queries of those rows and the keys they see are projected, no other layer runs. Row-major float32
    /// [heads, rows, n] as applied to the values (raw for squared_relu), equal to the analysis's rows.
    /// Throws Error for a layer or a row range the inputs do not have.
    std::vector<float> attentionRows(const LayerInputs &inputs, int layer, const Method &method, int64_t trainLength,
                                     int64_t row0, int64_t rows, const CancelToken *cancel = nullptr) const override;
    /// Per (layer, head), layer-major, the mean over queries of the Jensen–Shannon divergence (nats) between
    /// the rows of two analyses of one input (same n), each under its own method, recomputed block by block
    /// from their layer inputs (both methods' blocks side by side, nothing held): METHODS.md §2's comparison.
    std::vector<double> jsDivergence(const LayerInputs &a, const Method &methodA, const LayerInputs &b,
                                     const Method &methodB, int64_t trainLength, const ProgressFn &progress = {},
                                     const CancelToken *cancel = nullptr) const override;

    /// Next-token logits [n, V] of one sequence under a method (tests, evaluation).
    torch::Tensor logits(const std::vector<int64_t> &ids, const Method &method, int64_t trainLength,
                         const CancelToken *cancel = nullptr) const;

    /// The training forward: final hidden states [B, T, H] (after the last RMSNorm) of ids [B, T] under plain
    /// softmax and RoPE with causal visibility and the model's own window, differentiable through the
    /// checkpoint's tensors. The same function as the analysis forward at softmax/plain/rope (tst_llama_trainer
    /// checks the two agree); the analysis forward streams blocks through buffers, which autograd cannot follow.
    torch::Tensor trainingHidden(const torch::Tensor &ids) const;

    /// The LM head's argmax per row of h [n, H] against head [V, H] (float32 or 16-bit), the vocabulary taken
    /// `vocabChunk` rows at a time (0: all at once), each chunk converted to float32 only while it is used.
    /// Equal to argmax(h · headᵀ) with the first index on ties.
    static std::vector<int64_t> top1(const torch::Tensor &h, const torch::Tensor &head, int64_t vocabChunk,
                                     const CancelToken *cancel = nullptr);
    /// τ(n_i) of a causal row with n_i keys: METHODS.md §1.3, with infoscale and ssmax clamped at 1 (§6).
    static double causalTau(const Method &method, int64_t keys, int64_t trainLength, int64_t headDim);

private:
    struct Hooks;
    /// What forward() runs: every layer and row, or one layer's rows from its input (Span::layer ≥ 0).
    struct Span
    {
        int layer = -1;
        int64_t row0 = 0, rows = 0;
        std::vector<std::vector<float>> *keepInputs = nullptr; ///< receives each layer's input when set
    };
    struct MethodTables;
    struct LayerPass;
    MethodTables methodTables(const Method &method, int64_t n, int64_t trainLength) const;
    /// One layer's pass over x = its normalised input rows 0 .. qa + qn − 1: the queries of rows qa .. and the keys.
    LayerPass preparePass(const torch::Tensor &x, const LlamaCheckpoint::Layer &L, int layer, const Method &method,
                          int64_t trainLength, const MethodTables &tables, int64_t n, int64_t qa, int64_t qn) const;
    /// The attention weights of head hh, rows r0 .. r0 + rows − 1, into a [rows, n] (softmaxed; raw for
    /// squared_relu), with the hooks' per-row work.
    void blockWeights(LayerPass &pass, int64_t hh, int64_t r0, int64_t rows, const torch::Tensor &a, Hooks *hooks) const;
    /// The token embeddings [n, H] in float32; throws Error for an empty input or an id outside the vocabulary.
    torch::Tensor embed(const std::vector<int64_t> &ids) const;
    /// The layers over the hidden states h [n, H] (the embeddings, or with a span one layer's input); returns
    /// the final normalised states (nothing with a span).
    torch::Tensor forward(torch::Tensor h, const Method &method, int64_t trainLength, int64_t blockRows, Hooks *hooks,
                          const CancelToken *cancel, const Span *span = nullptr) const;

    std::shared_ptr<const LlamaCheckpoint> m_ck;
    MethodDefaults m_defaults;
};

} // namespace entroscope
