// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Masked-LM training of a GAU-α in LibTorch (autograd), as the paper trains its two checkpoints
// (research/paper.md §4.1): BERT masking (15 %, 80/10/10), AdamW with linear warm-up and cosine decay,
// training length T, plain softmax or CosScale. The forward is GauModel::trainingLogits, the very
// forward every analysis uses, so a trained model is analysed exactly as it was trained.
//
// Determinism: everything random is drawn from torch::Generators seeded by (seed, step) — the
// initial parameters from (seed), the batch and the masking of step k from (seed, k) — so a run is a
// function of its options, and a run resumed at step k continues exactly as the uninterrupted run
// (up to the non-associativity of multi-threaded float sums; use one thread for bit-equality).
//
// A saved folder is a Hugging Face-style GAU-α checkpoint that Checkpoint::load opens:
//   config.json         GauConfig::toJsonText (HT-NEKO fields: normalization "softmax",
//                       norm_method "CosScale"/"noCosScale", my_info_dict.train_len, CosScale_value)
//   pytorch_model.bin   writeTorchZip (Python's torch.load gives a dict of float32 tensors)
//   tokenizer.model     a copy of the SentencePiece model the corpus was encoded with
//   trainer_state.json  step, options and loss history (for resume and model cards)
//   optimizer.pt        AdamW state (torch::save of the optimizer) — only for resume, not part of a
//                       shipped model; written only when asked
// Every file is written to a temporary name and renamed; trainer_state.json is written last, so its
// step is never ahead of the weights.

#include "io/checkpoint.h"
#include "io/config.h"
#include "model/gau_model.h"
#include "model/method.h"
#include "analysis/result_types.h"
#include "text/tokenizer.h"
#include "train/train_loop.h"

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace torch::optim {
class Optimizer;
}

namespace entroscope {

struct TrainOptions
{
    /// Architecture. vocabSize is set from the tokenizer; normalization is forced to "softmax" and
    /// normMethod/trainLen/cosScaleValue are derived from qk and trainLength.
    GauConfig config;
    std::string qk = "plain"; ///< "plain" or "cosscale:S" (METHODS.md §1.1), as --qk
    int64_t trainLength = 64; ///< T: every training window has exactly T tokens, no [CLS]/[SEP]
    int64_t batchSize = 32;
    int64_t steps = 1000;       ///< total optimizer steps (a resumed run continues up to this)
    double lr = 1e-3;           ///< peak learning rate
    int64_t warmupSteps = 100;  ///< linear warm-up from 0 to lr
    double minLrRatio = 0.1;    ///< cosine decay from lr to minLrRatio·lr at `steps`
    double weightDecay = 0.01;  ///< AdamW decoupled decay, on matrices only (not on the γ vectors)
    double maskProb = 0.15;     ///< fraction of positions predicted; of them 80 % [MASK], 10 % random, 10 % kept
    double initStd = 0.02;      ///< normal init of every matrix (as HF's initializer_range); γ = 1
    uint64_t seed = 1;
    double heldOutFraction = 0.05; ///< tail of the corpus held out when no separate held-out text is given
    int64_t evalInterval = 100;    ///< held-out loss every this many steps (and at the end)
    int64_t evalWindows = 256;     ///< held-out windows evaluated (fixed set, fixed masks)
};

/// A fixed masked-LM evaluation set: up to `windows` non-overlapping T-token windows spread evenly over
/// a text, masked as in training (maskProb; 80 % [MASK], 10 % a random regular id, 10 % kept) with a
/// generator seeded by `seed` alone. The trainer's held-out set is makeMlmEvalSet(held-out tokens, T,
/// evalWindows, seed, ...) of its options, so a saved model's held-out numbers can be recomputed.
struct MlmEvalSet
{
    torch::Tensor ids;    ///< [W, T] after masking; undefined when the text is shorter than T
    torch::Tensor labels; ///< [W, T], -100 where not predicted
};
MlmEvalSet makeMlmEvalSet(const std::vector<int64_t> &tokens, int64_t trainLength, int64_t windows, uint64_t seed,
                          double maskProb, const Tokenizer &tokenizer);

/// Mean cross-entropy (nats) and top-1 accuracy over the predicted positions of a set; {-1, -1} for an
/// empty set. No grad; batches of 64 windows.
std::pair<double, double> evaluateMlmSet(const GauModel &model, const Method &method, int64_t trainLength,
                                      const MlmEvalSet &set);


class Trainer : public TrainLoop
{
public:
    /// Trains on `trainTokens` (the corpus, concatenated) and evaluates on `heldOutTokens`; when
    /// heldOutTokens is empty, the last heldOutFraction of trainTokens is held out instead. The
    /// tokenizer file is copied into every saved folder. Throws Error for options that cannot work
    /// (bad --qk, too little text for one window, T < 2, ...). Parameters are initialised from the seed.
    Trainer(const TrainOptions &options, std::string tokenizerFile, std::vector<int64_t> trainTokens,
            std::vector<int64_t> heldOutTokens);
    ~Trainer();
    Trainer(const Trainer &) = delete;
    Trainer &operator=(const Trainer &) = delete;

    /// Loads the tokenizer and encodes a text file: each line (document) encoded without specials,
    /// all concatenated. Throws Error naming the file when it cannot be read or gives no tokens.
    static std::vector<int64_t> encodeCorpus(const Tokenizer &tokenizer, const std::string &path);

    /// Restores parameters, optimizer state, step and history from a folder saved with optimizer
    /// state. The options stored there win, except `steps`, which may be raised to train on.
    /// Throws Error naming the folder when it is incomplete or of another architecture/tokenizer.
    void resume(const std::string &dir, int64_t steps = 0);

    /// One optimizer step on the batch of step(); returns its loss and advances step().
    double trainStep() override;

    /// Mean masked-LM cross-entropy and top-1 accuracy over the fixed held-out windows (no grad).
    std::pair<double, double> evaluateHeldOut() const override;

    /// Saves the folder described above (created if needed); optimizer.pt only if withOptimizer.
    void save(const std::string &dir, bool withOptimizer) const;

    const TrainOptions &options() const { return m_opt; }
    const GauConfig &config() const { return m_opt.config; }
    const Method &method() const { return m_method; }
    int64_t trainTokenCount() const { return static_cast<int64_t>(m_train.size()); }
    int64_t heldOutTokenCount() const { return static_cast<int64_t>(m_heldOut.size()); }
    /// The current parameters as a checkpoint (shares the tensors: it changes as training goes on).
    std::shared_ptr<const Checkpoint> checkpoint() const { return m_ck; }
    /// Learning rate at a step (warm-up, then cosine).
    double learningRate(int64_t step) const override;

    /// The batch of a step: ids [B, T] after masking and labels [B, T] (-100 where not predicted).
    void batch(int64_t step, torch::Tensor &ids, torch::Tensor &labels) const;

private:
    Schedule schedule() const override;
    void buildModel(const StateDict &tensors);
    void prepareHeldOut();

    TrainOptions m_opt;
    std::string m_tokenizerFile;
    std::vector<int64_t> m_train;
    std::vector<int64_t> m_heldOut;
    Method m_method;
    std::shared_ptr<const Tokenizer> m_tokenizer;
    std::vector<torch::Tensor> m_params; ///< leaves that require grad (word, type, per layer i, o, qγ, kγ)
    std::shared_ptr<const Checkpoint> m_ck;
    std::unique_ptr<GauModel> m_model;
    std::unique_ptr<torch::optim::Optimizer> m_optimizer;
    MlmEvalSet m_heldOutSet;
};

} // namespace entroscope
