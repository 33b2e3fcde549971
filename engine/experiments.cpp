// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "experiments.h"

#include "analysis.h"
#include "errors.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace entroscope {

Comparison compareMethods(const GauModel &model, const std::vector<int64_t> &ids, const Method &ma, const Method &mb,
                          int64_t T, const std::string &scratchFile, int64_t memoryBudgetBytes,
                          const ProgressFn &progress, const CancelToken *cancel)
{
    const int64_t n = static_cast<int64_t>(ids.size());
    const int64_t L = model.checkpoint().config.numLayers;
    const double bytes = static_cast<double>(n) * static_cast<double>(n) * 4.0 * static_cast<double>(L);
    const bool inMemory = bytes <= static_cast<double>(memoryBudgetBytes);

    std::vector<std::vector<float>> memory;
    std::fstream spill;
    if (inMemory) {
        memory.assign(static_cast<size_t>(L), std::vector<float>(static_cast<size_t>(n * n)));
    } else {
        spill.open(scratchFile, std::ios::binary | std::ios::in | std::ios::out | std::ios::trunc);
        if (!spill)
            throw Error(scratchFile + ": cannot create the comparison's scratch file");
    }
    struct Cleanup
    {
        std::string path;
        bool active;
        ~Cleanup()
        {
            if (active) {
                std::error_code ec;
                std::filesystem::remove(path, ec);
            }
        }
    } cleanup{scratchFile, !inMemory};

    auto offset = [&](int layer, int64_t row0) { return (static_cast<int64_t>(layer) * n + row0) * n * 4; };
    auto half = [&](double lo) {
        return [&, lo](double f, const std::string &label) {
            if (progress)
                progress(lo + 0.5 * f, label);
        };
    };

    Comparison c;
    AnalysisRequest ra;
    ra.method = ma;
    ra.trainLength = T;
    ra.mlmTop1 = false;
    ra.rowSink = [&](int layer, int64_t row0, int64_t rows, int64_t, const float *data) {
        if (inMemory) {
            std::memcpy(memory[static_cast<size_t>(layer)].data() + row0 * n, data, sizeof(float) * rows * n);
        } else {
            spill.seekp(offset(layer, row0));
            spill.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(sizeof(float) * rows * n));
            if (!spill)
                throw Error(scratchFile + ": write failed (disk full?)");
        }
    };
    c.a = model.analyze(ids, ra, half(0.0), cancel);

    std::vector<double> jsSum(static_cast<size_t>(L), 0.0);
    std::vector<float> buffer;
    AnalysisRequest rb = ra;
    rb.method = mb;
    rb.rowSink = [&](int layer, int64_t row0, int64_t rows, int64_t, const float *data) {
        const float *other = nullptr;
        if (inMemory) {
            other = memory[static_cast<size_t>(layer)].data() + row0 * n;
        } else {
            buffer.resize(static_cast<size_t>(rows * n));
            spill.seekg(offset(layer, row0));
            spill.read(reinterpret_cast<char *>(buffer.data()), static_cast<std::streamsize>(sizeof(float) * rows * n));
            if (!spill)
                throw Error(scratchFile + ": read failed");
            other = buffer.data();
        }
        auto ta = torch::from_blob(const_cast<float *>(other), {rows, n}, torch::kFloat32);
        auto tb = torch::from_blob(const_cast<float *>(data), {rows, n}, torch::kFloat32);
        jsSum[static_cast<size_t>(layer)] += meanJsDivergence(ta, tb) * static_cast<double>(rows);
    };
    c.b = model.analyze(ids, rb, half(0.5), cancel);
    for (double s : jsSum)
        c.jsPerLayer.push_back(s / static_cast<double>(n));
    return c;
}

std::vector<int64_t> evaluationPositions(int64_t n, int64_t positions)
{
    std::vector<int64_t> out;
    if (positions <= 0 || positions >= n) {
        for (int64_t p = 0; p < n; ++p)
            out.push_back(p);
        return out;
    }
    if (positions == 1)
        return {0};
    for (int64_t k = 0; k < positions; ++k)
        out.push_back(static_cast<int64_t>(std::floor(static_cast<double>(k) * (n - 1) / (positions - 1) + 0.5)));
    return out;
}

MlmEvaluation evaluateMlm(const GauModel &model, const std::vector<std::vector<int64_t>> &documents, int64_t n,
                          const Method &method, int64_t T, int64_t positions, const std::string &fill,
                          int64_t batchSize, const ProgressFn &progress, const CancelToken *cancel)
{
    c10::InferenceMode guard;
    const auto &ck = model.checkpoint();
    const int64_t maskId = ck.tokenizer ? ck.tokenizer->maskId() : -1;
    if (maskId < 0)
        throw Error(ck.dir + ": the tokenizer has no [MASK] token, so the MLM evaluation cannot run");
    if (documents.empty())
        throw Error("evaluate: no documents");
    if (batchSize < 1)
        throw Error("--batch: must be at least 1");

    const auto pos = evaluationPositions(n, positions);
    struct Sample
    {
        size_t doc;
        int64_t position;
    };
    std::vector<std::vector<int64_t>> filled;
    for (const auto &d : documents)
        filled.push_back(fillToLength(d, n, fill));
    std::vector<Sample> samples;
    for (size_t d = 0; d < filled.size(); ++d)
        for (auto p : pos)
            samples.push_back({d, p});

    MlmEvaluation r;
    r.length = n;
    r.method = method.spec();
    double lossSum = 0;
    int64_t correct = 0;
    for (size_t s0 = 0; s0 < samples.size(); s0 += static_cast<size_t>(batchSize)) {
        const size_t s1 = std::min(samples.size(), s0 + static_cast<size_t>(batchSize));
        const int64_t B = static_cast<int64_t>(s1 - s0);
        auto ids = torch::empty({B, n}, torch::kInt64);
        auto targets = torch::empty({B}, torch::kInt64);
        auto where = torch::empty({B}, torch::kInt64);
        for (size_t s = s0; s < s1; ++s) {
            const auto &seq = filled[samples[s].doc];
            const int64_t b = static_cast<int64_t>(s - s0);
            std::memcpy(ids[b].data_ptr<int64_t>(), seq.data(), sizeof(int64_t) * static_cast<size_t>(n));
            targets[b] = seq[static_cast<size_t>(samples[s].position)];
            where[b] = samples[s].position;
            ids[b][samples[s].position] = maskId;
        }
        auto h = model.hidden(ids, method, T, cancel);                           // [B, n, H]
        auto hm = h.index({torch::arange(B), where});                            // [B, H], only masked positions
        auto logits = torch::matmul(hm, ck.decoder.t());                          // [B, V]
        auto lsm = torch::log_softmax(logits, -1);
        lossSum += -lsm.gather(1, targets.unsqueeze(1)).sum().item<double>();
        correct += (logits.argmax(-1) == targets).sum().item<int64_t>();
        if (progress)
            progress(static_cast<double>(s1) / static_cast<double>(samples.size()),
                     std::to_string(s1) + "/" + std::to_string(samples.size()) + " samples");
    }
    r.samples = static_cast<int64_t>(samples.size());
    r.accuracy = static_cast<double>(correct) / static_cast<double>(r.samples);
    r.loss = lossSum / static_cast<double>(r.samples);
    r.perplexity = std::exp(r.loss);
    return r;
}

} // namespace entroscope
