// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "analysis/experiments.h"

#include "analysis/analysis.h"
#include "analysis/map_compare.h"
#include "analysis/row_kernels.h"
#include "errors.h"

#include <torch/torch.h>

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace entroscope {

MlmPlan planMlm(const std::vector<std::vector<int64_t>> &documents, int64_t n, int64_t positions,
                const std::string &fill, const std::string &what)
{
    MlmPlan plan;
    plan.length = n;
    plan.inputs = documentInputs(documents, n, fill, what);
    const int64_t D = static_cast<int64_t>(plan.inputs.size());
    for (int64_t d = 0; d < D; ++d)
        for (auto p : evaluationPositions(n, positions, d, D))
            plan.samples.push_back({d, p});
    return plan;
}

MlmSamples evaluateMlmSamples(const GauModel &model, const MlmPlan &plan, size_t begin, size_t end,
                              const Method &method, int64_t T, int64_t batchSize, const ProgressFn &progress,
                              const CancelToken *cancel)
{
    c10::InferenceMode guard;
    const auto &ck = model.checkpoint();
    const int64_t maskId = ck.tokenizer ? ck.tokenizer->maskId() : -1;
    if (maskId < 0)
        throw Error(ck.dir + ": the tokenizer has no [MASK] token, so the MLM evaluation cannot run");
    if (batchSize < 1)
        throw Error("batch: must be at least 1");
    end = std::min(end, plan.samples.size());
    const int64_t n = plan.length;
    MlmSamples out;
    for (size_t s0 = begin; s0 < end; s0 += static_cast<size_t>(batchSize)) {
        const size_t s1 = std::min(end, s0 + static_cast<size_t>(batchSize));
        const int64_t B = static_cast<int64_t>(s1 - s0);
        auto ids = torch::empty({B, n}, torch::kInt64);
        auto targets = torch::empty({B}, torch::kInt64);
        auto where = torch::empty({B}, torch::kInt64);
        for (size_t s = s0; s < s1; ++s) {
            const auto &seq = plan.inputs[static_cast<size_t>(plan.samples[s].input)];
            const int64_t b = static_cast<int64_t>(s - s0);
            std::memcpy(ids[b].data_ptr<int64_t>(), seq.data(), sizeof(int64_t) * static_cast<size_t>(n));
            targets[b] = seq[static_cast<size_t>(plan.samples[s].position)];
            where[b] = plan.samples[s].position;
            ids[b][plan.samples[s].position] = maskId;
        }
        auto h = model.hidden(ids, method, T, cancel);                           // [B, n, H]
        auto hm = h.index({torch::arange(B), where});                            // [B, H], only masked positions
        auto logits = torch::matmul(hm, ck.decoder.t());                          // [B, V]
        auto lsm = torch::log_softmax(logits, -1);
        auto losses = (-lsm.gather(1, targets.unsqueeze(1))).squeeze(1).to(torch::kFloat64).contiguous();
        auto hits = (logits.argmax(-1) == targets).to(torch::kUInt8).contiguous();
        const double *lp = losses.data_ptr<double>();
        const uint8_t *hp = hits.data_ptr<uint8_t>();
        out.loss.insert(out.loss.end(), lp, lp + B);
        out.correct.insert(out.correct.end(), hp, hp + B);
        if (progress)
            progress(static_cast<double>(s1 - begin) / static_cast<double>(end - begin),
                     std::to_string(s1 - begin) + "/" + std::to_string(end - begin) + " samples");
    }
    return out;
}

MlmEvaluation summarizeMlm(int64_t n, const MethodSpec &method, const std::vector<int64_t> &sampleInput,
                           int64_t inputs, const MlmSamples &samples)
{
    if (sampleInput.empty() || sampleInput.size() != samples.loss.size() || samples.loss.size() != samples.correct.size())
        throw Error("evaluation: " + std::to_string(samples.loss.size()) + " results for "
                    + std::to_string(sampleInput.size()) + " samples");
    MlmEvaluation r;
    r.length = n;
    r.method = method;
    std::vector<double> docLoss(static_cast<size_t>(inputs), 0.0);
    std::vector<int64_t> docCount(static_cast<size_t>(inputs), 0);
    int64_t correct = 0;
    for (size_t s = 0; s < sampleInput.size(); ++s) { // sample order: the sums do not depend on the split
        const int64_t d = sampleInput[s];
        if (d < 0 || d >= inputs)
            throw Error("evaluation: sample " + std::to_string(s) + " names input " + std::to_string(d) + " of "
                        + std::to_string(inputs));
        docLoss[static_cast<size_t>(d)] += samples.loss[s];
        ++docCount[static_cast<size_t>(d)];
        correct += samples.correct[s] ? 1 : 0;
    }
    r.samples = static_cast<int64_t>(sampleInput.size());
    r.documents = inputs;
    double lossSum = 0;
    std::vector<double> docMeans;
    for (int64_t d = 0; d < inputs; ++d) {
        lossSum += docLoss[static_cast<size_t>(d)];
        if (docCount[static_cast<size_t>(d)] > 0)
            docMeans.push_back(docLoss[static_cast<size_t>(d)] / static_cast<double>(docCount[static_cast<size_t>(d)]));
    }
    r.accuracy = static_cast<double>(correct) / static_cast<double>(r.samples);
    const Interval ci = wilsonInterval(correct, r.samples);
    r.accuracyLow = ci.low;
    r.accuracyHigh = ci.high;
    r.loss = lossSum / static_cast<double>(r.samples);
    r.lossSe = meanAndStandardError(docMeans).se;
    r.perplexity = std::exp(r.loss);
    return r;
}

MlmEvaluation evaluateMlm(const GauModel &model, const std::vector<std::vector<int64_t>> &documents, int64_t n,
                          const Method &method, int64_t T, int64_t positions, const std::string &fill,
                          int64_t batchSize, const ProgressFn &progress, const CancelToken *cancel,
                          const std::string &what)
{
    const MlmPlan plan = planMlm(documents, n, positions, fill, what);
    const MlmSamples s = evaluateMlmSamples(model, plan, 0, plan.samples.size(), method, T, batchSize, progress, cancel);
    std::vector<int64_t> sampleInput;
    for (const auto &x : plan.samples)
        sampleInput.push_back(x.input);
    return summarizeMlm(n, method.spec(), sampleInput, static_cast<int64_t>(plan.inputs.size()), s);
}

NextTokenScores scoreNextTokens(const LlamaModel &model, const std::vector<int64_t> &ids, const Method &method, int64_t T,
                                const CancelToken *cancel)
{
    const int64_t n = static_cast<int64_t>(ids.size());
    if (n < 2)
        throw Error("evaluation: an input needs at least 2 tokens for a next-token prediction");
    const auto logits = model.logits(ids, method, T, cancel); // [n, V]
    c10::InferenceMode guard;
    const auto pred = logits.narrow(0, 0, n - 1);
    const auto target = torch::tensor(std::vector<int64_t>(ids.begin() + 1, ids.end()), torch::kInt64);
    const auto loss = (torch::logsumexp(pred, -1) - pred.gather(1, target.unsqueeze(1)).squeeze(1)).to(torch::kFloat64);
    const auto correct = (pred.argmax(-1) == target);
    NextTokenScores s;
    const auto la = loss.accessor<double, 1>();
    const auto ca = correct.accessor<bool, 1>();
    for (int64_t t = 0; t < n - 1; ++t) { // in position order: the sums do not depend on threads
        s.lossSum += la[t];
        s.correct += ca[t] ? 1 : 0;
        if (t >= T) {
            s.lossSumBeyond += la[t];
            s.correctBeyond += ca[t] ? 1 : 0;
            ++s.countBeyond;
        }
    }
    s.count = n - 1;
    return s;
}

NextTokenEvaluation summarizeNextTokens(int64_t n, const std::vector<NextTokenScores> &inputs)
{
    NextTokenEvaluation r;
    r.length = n;
    r.documents = static_cast<int64_t>(inputs.size());
    double lossSum = 0, lossSumBeyond = 0;
    int64_t correct = 0, correctBeyond = 0;
    std::vector<double> means, meansBeyond;
    for (const auto &s : inputs) {
        r.samples += s.count;
        correct += s.correct;
        lossSum += s.lossSum;
        if (s.count > 0)
            means.push_back(s.lossSum / double(s.count));
        r.samplesBeyond += s.countBeyond;
        correctBeyond += s.correctBeyond;
        lossSumBeyond += s.lossSumBeyond;
        if (s.countBeyond > 0)
            meansBeyond.push_back(s.lossSumBeyond / double(s.countBeyond));
    }
    if (r.samples < 1)
        throw Error("evaluation: no next-token prediction at n=" + std::to_string(n));
    r.accuracy = double(correct) / double(r.samples);
    const Interval ci = wilsonInterval(correct, r.samples);
    r.accuracyLow = ci.low;
    r.accuracyHigh = ci.high;
    r.loss = lossSum / double(r.samples);
    r.lossSe = meanAndStandardError(means).se;
    r.perplexity = std::exp(r.loss);
    if (r.samplesBeyond > 0) {
        r.accuracyBeyond = double(correctBeyond) / double(r.samplesBeyond);
        const Interval cb = wilsonInterval(correctBeyond, r.samplesBeyond);
        r.accuracyBeyondLow = cb.low;
        r.accuracyBeyondHigh = cb.high;
        r.lossBeyond = lossSumBeyond / double(r.samplesBeyond);
        r.lossBeyondSe = meanAndStandardError(meansBeyond).se;
        r.perplexityBeyond = std::exp(*r.lossBeyond);
    }
    return r;
}

} // namespace entroscope
