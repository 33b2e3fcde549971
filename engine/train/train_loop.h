// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// TrainLoop: what the masked-LM Trainer (GAU-α) and the causal-LM CausalTrainer (Llama) share above their
// models: the step loop with held-out evaluations and progress reports, the run's bookkeeping (step,
// losses, history, wall time over resumed runs), and the shared half of a saved folder (optimizer.pt, the
// tokenizer copy, trainer_state.json). A trainer implements trainStep, evaluateHeldOut, learningRate and
// schedule, and writes and reads its own weights, config and options. Not thread-safe.

#include "analysis/result_types.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace torch::optim {
class Optimizer;
}

namespace entroscope {

/// One progress report.
struct TrainProgress
{
    int64_t step = 0;            ///< steps done
    int64_t steps = 0;           ///< target
    double loss = 0;             ///< training loss of the last step
    double heldOutLoss = -1;     ///< latest held-out loss (-1 before the first evaluation)
    double heldOutAccuracy = -1; ///< top-1 accuracy on the held-out predicted positions
    bool evaluated = false;      ///< heldOutLoss was computed at this step
    double lr = 0;
    double tokensPerSecond = 0; ///< training tokens (B·T per step) per wall second in this run
    double elapsedSeconds = 0;  ///< wall time in this run plus the time of the runs it resumes
};
using TrainProgressFn = std::function<void(const TrainProgress &)>;

class TrainLoop
{
public:
    virtual ~TrainLoop();

    /// Trains from step() up to the options' steps, or until cancel is set (checked between steps). The
    /// held-out set is evaluated every evalInterval steps and at the last one; progress is called after
    /// every step. Returns the number of steps done by this call.
    int64_t run(const TrainProgressFn &progress = {}, const CancelToken *cancel = nullptr);
    /// One optimizer step on the batch of step(); returns its loss and advances step().
    virtual double trainStep() = 0;
    /// Mean held-out cross-entropy (nats) and top-1 accuracy over the fixed held-out set (no grad).
    virtual std::pair<double, double> evaluateHeldOut() const = 0;
    /// Learning rate at a step (warm-up, then cosine).
    virtual double learningRate(int64_t step) const = 0;
    int64_t step() const { return m_step; }

protected:
    /// What run() takes from a trainer's options.
    struct Schedule
    {
        int64_t steps = 0;         ///< the target step
        int64_t evalInterval = 0;  ///< held-out evaluation every this many steps (0: only at the end)
        int64_t tokensPerStep = 0; ///< B·T, for tokensPerSecond
    };
    virtual Schedule schedule() const = 0;

    /// The files of a saved folder that TrainLoop writes (besides the tokenizer copy).
    static constexpr const char *kStateFile = "trainer_state.json";
    static constexpr const char *kOptimizerFile = "optimizer.pt";

    /// Records the loss of the optimizer step just made and advances step(). Throws Error when the loss is
    /// not finite (naming the step).
    double finishStep(double loss);
    /// The shared half of save(): optimizer.pt when withOptimizer (written whole, then renamed into place),
    /// else a stale one removed; the tokenizer file copied in unless it is that file; trainer_state.json =
    /// `state` (format, options, counts) plus the run's bookkeeping, written atomically.
    void saveRun(const std::string &dir, bool withOptimizer, torch::optim::Optimizer &optimizer,
                 const std::string &tokenizerFile, const char *tokenizerName, nlohmann::json state) const;
    /// The first half of resume(): Error naming the folder when trainer_state.json, `weightsFile`,
    /// config.json or optimizer.pt is missing; trainer_state.json parsed (Error naming it when it is not JSON).
    static nlohmann::json readRunState(const std::string &dir, const char *weightsFile);
    /// Takes the step, wall time, last losses and history from a trainer state; the loss sums restart.
    void restoreRun(const nlohmann::json &state);
    /// The last half of resume(): the optimizer state from optimizer.pt (Error naming it).
    static void loadOptimizer(const std::string &dir, torch::optim::Optimizer &optimizer);

    int64_t m_step = 0;
    double m_lastLoss = -1;
    double m_lastHeldOutLoss = -1;
    double m_lastHeldOutAccuracy = -1;

private:
    double m_previousSeconds = 0; ///< wall time of earlier runs (from trainer_state.json)
    double m_runSeconds = 0;
    double m_lossSum = 0; ///< training losses since the last evaluation
    int64_t m_lossCount = 0;
    std::vector<std::vector<double>> m_history; ///< [step, mean train loss, held-out loss, held-out acc]
};

} // namespace entroscope
