// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Causal-LM training of a Llama-architecture model in LibTorch (autograd): next-token cross-entropy at every
// position of windows of T tokens, AdamW with linear warm-up and cosine decay, as the masked-LM Trainer does
// for GAU-α. The forward is LlamaModel::trainingHidden, checked against the analysis forward, so a trained
// model is analysed as it was trained.
//
// Determinism as in trainer.h: initial parameters from (seed), the windows of step k from (seed, k); a run
// resumed at step k continues as the uninterrupted run (to the non-associativity of threaded sums).
//
// A saved folder is a Hugging Face Llama checkpoint that LlamaCheckpoint::load (and transformers'
// LlamaForCausalLM) opens:
//   config.json         model_type "llama", LlamaForCausalLM, tied embeddings, max_position_embeddings = T
//   model.safetensors   float32 (no lm_head.weight: tied)
//   tokenizer.model     a copy of the SentencePiece model the corpus was encoded with
//   trainer_state.json  step, options, loss history ("objective": "causal_lm")
//   optimizer.pt        AdamW state, only for resume and only when asked
// Every file is written to a temporary name and renamed; trainer_state.json last.

#include "io/llama_checkpoint.h"
#include "model/llama_model.h"
#include "train/trainer.h"

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace entroscope {

struct CausalTrainOptions
{
    /// Architecture: numLayers, hiddenSize, intermediateSize, numHeads, numKvHeads (headDim = hidden / heads);
    /// vocabSize is set from the tokenizer, maxPositionEmbeddings to trainLength, tied embeddings.
    LlamaConfig config;
    int64_t trainLength = 64; ///< T: every window has T input tokens and T next-token targets
    int64_t batchSize = 32;
    int64_t steps = 1000;
    double lr = 1e-3;
    int64_t warmupSteps = 100;
    double minLrRatio = 0.1;
    double weightDecay = 0.01; ///< on matrices only (not on the RMSNorm weights)
    double initStd = 0.02;     ///< normal init of every matrix (HF's initializer_range); RMSNorm weights 1
    uint64_t seed = 1;
    double heldOutFraction = 0.05;
    int64_t evalInterval = 100;
    int64_t evalWindows = 256;
};

/// The architecture a causal run starts from: llama, 4 layers, hidden 128, 4 heads, 2 KV heads, intermediate
/// 344, rms_norm_eps 1e-6, rope_theta 10000, tied embeddings.
LlamaConfig defaultCausalConfig();

/// Fixed next-token evaluation windows [W, T + 1]: up to `windows` non-overlapping windows of T + 1 tokens
/// spread evenly over the text (input = the first T, targets = the last T). Undefined when the text is
/// shorter than T + 1 tokens.
torch::Tensor makeCausalEvalSet(const std::vector<int64_t> &tokens, int64_t trainLength, int64_t windows);

/// Mean next-token cross-entropy (nats) and top-1 accuracy over every position of a set; {-1, -1} for an
/// undefined set. No grad; batches of 64 windows.
std::pair<double, double> evaluateCausalSet(const LlamaModel &model, const torch::Tensor &windows);

/// config.json of a Llama checkpoint as Hugging Face's LlamaConfig.to_json_string writes the fields this engine
/// reads (no rope_scaling).
std::string llamaConfigJsonText(const LlamaConfig &config);

class CausalTrainer : public TrainLoop
{
public:
    /// As Trainer's constructor; throws Error for options that cannot work (heads not dividing hidden, KV
    /// heads not dividing heads, odd head size, too little text, T < 2, ...).
    CausalTrainer(const CausalTrainOptions &options, std::string tokenizerFile, std::vector<int64_t> trainTokens,
                  std::vector<int64_t> heldOutTokens);
    ~CausalTrainer();
    CausalTrainer(const CausalTrainer &) = delete;
    CausalTrainer &operator=(const CausalTrainer &) = delete;

    /// Restores parameters, optimizer state, step and history from a folder saved with optimizer state; its
    /// options win except `steps`. Throws Error naming the folder when incomplete or of another kind.
    void resume(const std::string &dir, int64_t steps = 0);
    /// One optimizer step on the windows of step(); returns its loss and advances step().
    double trainStep() override;
    /// Mean next-token cross-entropy and top-1 accuracy over the fixed held-out windows (no grad).
    std::pair<double, double> evaluateHeldOut() const override;
    void save(const std::string &dir, bool withOptimizer) const;

    const CausalTrainOptions &options() const { return m_opt; }
    const LlamaConfig &config() const { return m_opt.config; }
    int64_t trainTokenCount() const { return static_cast<int64_t>(m_train.size()); }
    int64_t heldOutTokenCount() const { return static_cast<int64_t>(m_heldOut.size()); }
    std::shared_ptr<const LlamaCheckpoint> checkpoint() const { return m_ck; }
    const LlamaModel &model() const { return *m_model; }
    double learningRate(int64_t step) const override;
    /// The windows of a step [B, T + 1].
    torch::Tensor batch(int64_t step) const;

private:
    Schedule schedule() const override;
    void buildModel(const StateDict &tensors);

    CausalTrainOptions m_opt;
    std::string m_tokenizerFile;
    std::vector<int64_t> m_train;
    std::vector<int64_t> m_heldOut;
    std::vector<torch::Tensor> m_params;
    std::shared_ptr<const LlamaCheckpoint> m_ck;
    std::unique_ptr<LlamaModel> m_model;
    std::unique_ptr<torch::optim::Optimizer> m_optimizer;
    torch::Tensor m_heldOutSet;
};

} // namespace entroscope
