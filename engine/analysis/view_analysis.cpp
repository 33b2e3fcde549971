// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "analysis/view_analysis.h"

#include "analysis/map_compare.h"
#include "errors.h"
#include "text/inputs.h"

#include <algorithm>
#include <map>

#include <unistd.h>

namespace entroscope {

int64_t defaultLayerInputsMaxBytes()
{
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    const double physical = pages > 0 && page > 0 ? double(pages) * double(page) : 0.0;
    return std::max<int64_t>(kLayerInputsMinBytes, int64_t(physical / 16));
}

bool keepsLayerInputs(const ModelInfo &info, int64_t n, int64_t maxBytes)
{
    return info.family == "gau_alpha"
           || (n > kFullMapMaxLength
               && double(info.numLayers) * double(n) * double(info.hiddenSize) * 4.0 <= double(maxBytes));
}

bool jsAvailable(const ModelInfo &info, int64_t n, int64_t maxBytes)
{
    return keepsLayerInputs(info, n, maxBytes) || n <= kFullMapMaxLength;
}

AnalysisRequest viewAnalysisRequest(const ModelInfo &info, const Method &method, int64_t trainLength, int64_t n,
                                    bool maps, int64_t layerInputsMaxBytes)
{
    AnalysisRequest req;
    req.method = method;
    req.trainLength = trainLength;
    req.mlmTop1 = false;
    if (maps) {
        if (n <= kFullMapMaxLength) {
            for (int l = 0; l < int(info.numLayers); ++l)
                req.fullMapLayers.push_back(l);
            req.pooledMaps = n > 128;
            req.maxPooledSize = 128;
        } else {
            req.pooledMaps = true;
            req.maxPooledSize = int(kFullMapMaxLength);
        }
        req.keepLayerInputs = keepsLayerInputs(info, n, layerInputsMaxBytes);
    }
    return req;
}

std::vector<double> runViewTasks(const AttentionModel &model, const ViewTasks &in, const ProgressFn &progress,
                                 const std::function<void(const ViewTask &, std::shared_ptr<const AnalysisResult>)> &piece,
                                 const CancelToken *cancel)
{
    const ModelInfo info = model.info();
    // The JS pair's divergence is accumulated inside the second method's analysis when the first one's
    // layer inputs exist by then; else it is a step of its own after both.
    auto pairSecond = [&](const ViewTask &task) { return task.maps && task.method == 1 && task.length == in.length; };
    const bool firstKept = in.known[0] ? bool(in.known[0]->layerInputs)
                                       : keepsLayerInputs(info, in.length, in.layerInputsMaxBytes);
    const bool jsStep = in.jsNeeded && !(firstKept && std::any_of(in.tasks.begin(), in.tasks.end(), pairSecond));
    const double steps = std::max<double>(1.0, double(in.tasks.size()) + (jsStep ? 1.0 : 0.0));
    size_t step = 0;
    const ProgressFn overall = [&](double f, const std::string &label) {
        if (progress)
            progress((double(step) + f) / steps, label);
    };

    std::map<int64_t, std::vector<int64_t>> idsByLength;
    auto idsFor = [&](int64_t n) -> const std::vector<int64_t> & {
        auto it = idsByLength.find(n);
        if (it == idsByLength.end())
            it = idsByLength.emplace(n, fillToLength(in.tokens, n, in.fill)).first;
        return it->second;
    };
    // The results at n of the JS pair: known ones or computed here.
    std::shared_ptr<const AnalysisResult> pair[2] = {in.known[0], in.known[1]};
    std::vector<double> js;
    for (const auto &task : in.tasks) {
        AnalysisRequest req = viewAnalysisRequest(info, in.methods.at(task.method), in.trainLength, task.length,
                                                  task.maps, in.layerInputsMaxBytes);
        const bool jsHere = in.jsNeeded && pairSecond(task) && pair[0] && pair[0]->layerInputs;
        if (jsHere) {
            req.jsInputs = pair[0]->layerInputs;
            req.jsMethod = in.methods[0];
        }
        checkAnalysisMemory(model, task.length, req);
        auto r = std::make_shared<const AnalysisResult>(model.analyze(idsFor(task.length), req, overall, cancel));
        if (task.maps && task.length == in.length && task.method < 2)
            pair[task.method] = r;
        if (jsHere)
            js = r->jsDivergence;
        ++step;
        if (piece)
            piece(task, std::move(r));
    }
    if (in.jsNeeded && js.empty()) {
        // Not accumulated above (the second method's result was known): from both analyses' layer inputs,
        // block by block, else from the full maps of every (layer, head).
        if (!pair[0] || !pair[1])
            throw Error("internal: the compared analyses are missing");
        if (pair[0]->layerInputs && pair[1]->layerInputs) {
            js = model.jsDivergence(*pair[0]->layerInputs, in.methods[0], *pair[1]->layerInputs, in.methods[1],
                                    in.trainLength, overall, cancel);
        } else {
            js = jsDivergenceFromFullMaps(*pair[0], *pair[1]);
            if (js.empty())
                throw Error("internal: the compared analyses kept neither layer inputs nor full maps");
        }
    }
    return js;
}

std::vector<float> exactRowWindow(const AttentionModel &model, const LayerInputs &inputs, int layer,
                                  const Method &method, int64_t trainLength, int64_t row0, int64_t rows, int64_t col0,
                                  int64_t cols, int64_t heads, const CancelToken *cancel)
{
    const int64_t n = inputs.length;
    heads = std::max<int64_t>(heads, 1);
    if (col0 == 0 && cols == n)
        return model.attentionRows(inputs, layer, method, trainLength, row0, rows, cancel);
    constexpr int64_t kChunkBytes = int64_t{64} << 20;
    const int64_t chunk = std::clamp<int64_t>(kChunkBytes / (heads * n * int64_t(sizeof(float))), 1, rows);
    std::vector<float> out(size_t(heads * rows * cols));
    for (int64_t r = 0; r < rows; r += chunk) {
        const int64_t m = std::min(chunk, rows - r);
        const std::vector<float> part = model.attentionRows(inputs, layer, method, trainLength, row0 + r, m, cancel);
        if (part.size() != size_t(heads * m * n))
            throw Error("exact rows: " + std::to_string(part.size()) + " values for " + std::to_string(heads) +
                        " heads × " + std::to_string(m) + " rows × " + std::to_string(n) + " keys");
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t i = 0; i < m; ++i) {
                const float *src = part.data() + size_t((h * m + i) * n + col0);
                std::copy(src, src + cols, out.begin() + ptrdiff_t((h * rows + r + i) * cols));
            }
        if (cancel && cancel->isCancelled())
            break;
    }
    return out;
}

} // namespace entroscope
