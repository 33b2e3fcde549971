// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "train/train_loop.h"

#include "errors.h"
#include "io/atomic_file.h"
#include "train/train_common.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace entroscope {
TrainLoop::~TrainLoop() = default;

int64_t TrainLoop::run(const TrainProgressFn &progress, const CancelToken *cancel)
{
    const Schedule s = schedule();
    const auto t0 = std::chrono::steady_clock::now();
    const double before = m_runSeconds;
    int64_t done = 0;
    while (m_step < s.steps) {
        if (cancel && cancel->isCancelled())
            break;
        trainStep();
        ++done;
        TrainProgress p;
        p.step = m_step;
        p.steps = s.steps;
        p.loss = m_lastLoss;
        p.lr = learningRate(m_step - 1);
        if ((s.evalInterval > 0 && m_step % s.evalInterval == 0) || m_step == s.steps) {
            std::tie(m_lastHeldOutLoss, m_lastHeldOutAccuracy) = evaluateHeldOut();
            m_history.push_back({double(m_step), m_lossSum / double(std::max<int64_t>(1, m_lossCount)),
                                 m_lastHeldOutLoss, m_lastHeldOutAccuracy});
            m_lossSum = 0;
            m_lossCount = 0;
            p.evaluated = true;
        }
        p.heldOutLoss = m_lastHeldOutLoss;
        p.heldOutAccuracy = m_lastHeldOutAccuracy;
        m_runSeconds = before + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        p.elapsedSeconds = m_previousSeconds + m_runSeconds;
        const double runTime = m_runSeconds - before;
        p.tokensPerSecond = runTime > 0 ? double(done * s.tokensPerStep) / runTime : 0;
        if (progress)
            progress(p);
    }
    return done;
}

double TrainLoop::finishStep(double loss)
{
    if (!std::isfinite(loss))
        throw Error("training: the loss became " + std::to_string(loss) + " at step " + std::to_string(m_step)
                    + " (lower --lr?)");
    ++m_step;
    m_lastLoss = loss;
    m_lossSum += loss;
    ++m_lossCount;
    return loss;
}

void TrainLoop::saveRun(const std::string &dirIn, bool withOptimizer, torch::optim::Optimizer &optimizer,
                        const std::string &tokenizerFile, const char *tokenizerName, json state) const
{
    const fs::path dir(dirIn);
    std::error_code ec;
    const fs::path tok = dir / tokenizerName;
    if (!fs::exists(tok, ec) || !fs::equivalent(tok, tokenizerFile, ec))
        writeFileAtomically(tok, train::readFile(tokenizerFile));
    const fs::path opt = dir / kOptimizerFile;
    if (withOptimizer) {
        const fs::path tmp = opt.string() + ".partial";
        torch::save(optimizer, tmp.string());
        fs::rename(tmp, opt, ec);
        if (ec)
            throw Error(opt.string() + ": cannot rename the finished file into place (" + ec.message() + ")");
    } else {
        fs::remove(opt, ec); // a stale optimizer state would not match these weights
    }
    state["step"] = m_step;
    state["train_seconds"] = m_previousSeconds + m_runSeconds;
    state["last_train_loss"] = m_lastLoss;
    state["last_held_out_loss"] = m_lastHeldOutLoss;
    state["last_held_out_accuracy"] = m_lastHeldOutAccuracy;
    state["has_optimizer_state"] = withOptimizer;
    state["history_columns"] = {"step", "train_loss", "held_out_loss", "held_out_accuracy"};
    state["history"] = m_history;
    writeFileAtomically(dir / kStateFile, state.dump(1) + "\n");
}

json TrainLoop::readRunState(const std::string &dirIn, const char *weightsFile)
{
    const fs::path dir(dirIn);
    std::error_code ec;
    for (const char *name : {kStateFile, weightsFile, "config.json", kOptimizerFile})
        if (!fs::exists(dir / name, ec))
            throw Error(dirIn + ": cannot resume, " + name + " is missing"
                        + (std::string(name) == kOptimizerFile ? " (the folder was saved without optimizer state)" : ""));
    try {
        return json::parse(train::readFile(dir / kStateFile));
    } catch (const json::exception &e) {
        throw Error((dir / kStateFile).string() + ": not a trainer state (" + e.what() + ")");
    }
}

void TrainLoop::restoreRun(const json &state)
{
    m_step = state.at("step").get<int64_t>();
    m_previousSeconds = state.value("train_seconds", 0.0);
    m_runSeconds = 0;
    m_lastLoss = state.value("last_train_loss", -1.0);
    m_lastHeldOutLoss = state.value("last_held_out_loss", -1.0);
    m_lastHeldOutAccuracy = state.value("last_held_out_accuracy", -1.0);
    m_history = state.value("history", std::vector<std::vector<double>>{});
    m_lossSum = 0;
    m_lossCount = 0;
}

void TrainLoop::loadOptimizer(const std::string &dir, torch::optim::Optimizer &optimizer)
{
    const fs::path file = fs::path(dir) / kOptimizerFile;
    try {
        torch::load(optimizer, file.string());
    } catch (const c10::Error &e) {
        throw Error(file.string() + ": cannot load the optimizer state (" + std::string(e.what_without_backtrace()) + ")");
    }
}

} // namespace entroscope
