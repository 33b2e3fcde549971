// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "model/llama_model.h"

#include "analysis/analysis.h"
#include "analysis/map_compare.h"
#include "analysis/row_kernels.h"
#include "errors.h"
#include "io/pickle_reader.h"
#include "model/rope.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <atomic>
#include <bitset>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

namespace entroscope {
namespace {

constexpr int64_t kScoresPerBlock = int64_t{1} << 22; // ~16 MB of float32 scores per block
/// Vocabulary rows of a 16-bit LM head converted to float32 at a time (32 MB at hidden size 2048).
constexpr int64_t kHeadChunk = 4096;

/// Hugging Face's LlamaRMSNorm in float32: x · rsqrt(mean(x²) + eps) · w.
torch::Tensor rmsNorm(const torch::Tensor &x, const torch::Tensor &w, double eps)
{
    return x * torch::rsqrt(x.pow(2).mean(-1, true) + eps) * w;
}

torch::Tensor linear(const torch::Tensor &x, const torch::Tensor &w, const torch::Tensor &b)
{
    auto y = torch::matmul(x, w.t());
    if (b.defined())
        y.add_(b);
    return y;
}

/// Hugging Face's rotate_half layout: dimension m pairs with m + d/2, both at frequency m. x [heads, P, d],
/// tables [P, d/2] (or [1, d/2], broadcast).
torch::Tensor rotateHalf(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin)
{
    const int64_t half = x.size(-1) / 2;
    auto x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
    return torch::cat({x1 * cos - x2 * sin, x2 * cos + x1 * sin}, -1);
}

/// n_i of a causal row i (METHODS.md §1.3 and §6): i + 1 under KeyCount::Rows; under KeyCount::Visible the
/// keys j ≤ i that every mask leaves visible (the method's window and sinks, the model's own window).
int64_t causalKeys(const Method &m, int64_t i, std::optional<int64_t> modelWindow)
{
    if (m.keyCount == KeyCount::Rows)
        return i + 1;
    const int64_t a = modelWindow ? std::max<int64_t>(0, i - *modelWindow + 1) : 0; // first key the model sees
    if (!m.hasVisibilityMask())
        return i - a + 1;
    const int64_t b = std::max<int64_t>(0, i - m.position.window + 1); // the method's window
    const int64_t cFirst = std::max(a, b);
    int64_t count = i - cFirst + 1;
    if (m.position.kind != PositionKind::Window) { // sinks j < S outside the method's window
        const int64_t last = std::min<int64_t>({m.position.sinks - 1, i, cFirst - 1});
        count += std::max<int64_t>(0, last - a + 1);
    }
    return count;
}

/// A float32 tensor of `w`: itself when it is float32 (or undefined), else a converted copy (BF16/F16
/// matrices are held as stored, LlamaCheckpoint).
torch::Tensor asFloat(const torch::Tensor &w)
{
    return !w.defined() || w.scalar_type() == torch::kFloat32 ? w : w.to(torch::kFloat32);
}

/// Every tensor of a layer (the matrices and the norm and bias vectors), for the loops over all of them.
using LayerTensor = torch::Tensor LlamaCheckpoint::Layer::*;
constexpr LayerTensor kLayerTensors[] = {
    &LlamaCheckpoint::Layer::inputNorm, &LlamaCheckpoint::Layer::postNorm, &LlamaCheckpoint::Layer::q,
    &LlamaCheckpoint::Layer::k,         &LlamaCheckpoint::Layer::v,        &LlamaCheckpoint::Layer::o,
    &LlamaCheckpoint::Layer::qBias,     &LlamaCheckpoint::Layer::kBias,    &LlamaCheckpoint::Layer::vBias,
    &LlamaCheckpoint::Layer::oBias,     &LlamaCheckpoint::Layer::gate,     &LlamaCheckpoint::Layer::up,
    &LlamaCheckpoint::Layer::down,      &LlamaCheckpoint::Layer::gateBias, &LlamaCheckpoint::Layer::upBias,
    &LlamaCheckpoint::Layer::downBias};
/// What a layer's attention weights need (input norm, q and k with their biases): what recomputed rows convert,
/// about an eighth of a TinyLlama-width layer's weights.
constexpr LayerTensor kAttentionTensors[] = {&LlamaCheckpoint::Layer::inputNorm, &LlamaCheckpoint::Layer::q,
                                             &LlamaCheckpoint::Layer::k, &LlamaCheckpoint::Layer::qBias,
                                             &LlamaCheckpoint::Layer::kBias};

/// One layer's weights in float32, converted while the layer computes (and freed after it) when the
/// checkpoint holds them as BF16/F16; for a float32 checkpoint the same tensors, no copy. With `scratch`
/// the converted matrices are views of that one buffer, grown once and reused by every layer (a fresh
/// 180 MB copy per layer of a TinyLlama-width model was mapped and faulted in page by page each time);
/// the previous layer's views are then overwritten.
LlamaCheckpoint::Layer floatLayer(const LlamaCheckpoint::Layer &L, torch::Tensor *scratch = nullptr)
{
    int64_t need = 0;
    for (const LayerTensor m : kLayerTensors)
        if ((L.*m).defined() && (L.*m).scalar_type() != torch::kFloat32)
            need += (L.*m).numel();
    if (scratch && need > 0 && (!scratch->defined() || scratch->numel() < need))
        *scratch = torch::empty({need}, torch::kFloat32);
    int64_t offset = 0;
    LlamaCheckpoint::Layer f;
    for (const LayerTensor m : kLayerTensors) {
        const torch::Tensor &w = L.*m;
        if (!scratch || !w.defined() || w.scalar_type() == torch::kFloat32) {
            f.*m = asFloat(w);
            continue;
        }
        f.*m = scratch->narrow(0, offset, w.numel()).view(w.sizes());
        offset += w.numel();
        (f.*m).copy_(w);
    }
    return f;
}

/// The float32 tensors of kAttentionTensors only (the rest of the layer stays undefined).
LlamaCheckpoint::Layer attentionLayer(const LlamaCheckpoint::Layer &L)
{
    LlamaCheckpoint::Layer f;
    for (const LayerTensor m : kAttentionTensors)
        f.*m = asFloat(L.*m);
    return f;
}

/// Drops a tensor's pages from memory when it is a view of a mapped checkpoint file (releaseMappedPages);
/// anything else is left alone.
void releaseMapped(const torch::Tensor &t)
{
    if (t.defined() && t.is_contiguous())
        releaseMappedPages(t.data_ptr(), static_cast<uint64_t>(t.nbytes()));
}

/// A layer's stored weights once the layer has run: read again (from the page cache) by the next analysis,
/// so that a checkpoint is never resident whole beside the float32 copy of the layer being computed.
void releaseLayer(const LlamaCheckpoint::Layer &L)
{
    for (const LayerTensor m : kLayerTensors)
        releaseMapped(L.*m);
}

} // namespace

struct LlamaModel::Hooks
{
    /// Groups of consecutive normalised rows of one head, from the worker threads in parallel (groups never
    /// overlap): layer, head, first row, count, row-major float32 [count, n], their entropies or nullptr.
    std::function<void(int layer, int head, int64_t row0, int64_t rows, const float *data, const double *entropy)> onRows;
    int64_t groupRows = 16;
    /// Every block [rows, n] of every head, serially and in order.
    std::function<void(int layer, int head, int64_t row0, const torch::Tensor &block)> onBlock;
    std::function<void(int layer, int head)> onHeadDone;
    std::function<void(int layer)> onLayerDone;
};

std::vector<int64_t> LlamaModel::top1(const torch::Tensor &h, const torch::Tensor &head, int64_t vocabChunk,
                                      const CancelToken *cancel)
{
    const int64_t n = h.size(0), V = head.size(0);
    const int64_t chunk = vocabChunk > 0 ? std::min(vocabChunk, V) : V;
    const int64_t rowsPerBlock = std::max<int64_t>(1, kScoresPerBlock / chunk);
    std::vector<int64_t> best(static_cast<size_t>(n), 0);
    std::vector<float> bestValue(static_cast<size_t>(n), -std::numeric_limits<float>::infinity());
    for (int64_t v0 = 0; v0 < V; v0 += chunk) {
        const int64_t vc = std::min(chunk, V - v0);
        const auto stored = head.narrow(0, v0, vc);
        const auto w = asFloat(stored); // a view when float32, a converted chunk otherwise
        for (int64_t r0 = 0; r0 < n; r0 += rowsPerBlock) {
            if (cancel && cancel->isCancelled())
                throw Cancelled();
            const int64_t rows = std::min(rowsPerBlock, n - r0);
            const auto scores = torch::matmul(h.narrow(0, r0, rows), w.t());
            const auto ia = scores.argmax(-1).contiguous(); // the first maximum of the chunk
            const auto va = scores.gather(1, ia.unsqueeze(1)).contiguous();
            const float *vp = va.data_ptr<float>();
            const int64_t *ip = ia.data_ptr<int64_t>();
            for (int64_t r = 0; r < rows; ++r) {
                const auto k = static_cast<size_t>(r0 + r);
                if (v0 == 0 || vp[r] > bestValue[k]) { // a later chunk wins only when strictly larger
                    bestValue[k] = vp[r];
                    best[k] = v0 + ip[r];
                }
            }
        }
        releaseMapped(stored); // the head's rows are used once per analysis
    }
    return best;
}

double LlamaModel::causalTau(const Method &method, int64_t keys, int64_t T, int64_t d)
{
    const double t = method.tau(keys, T, d);
    if (method.temperature == Temperature::InfoScale || method.temperature == Temperature::SsMax)
        return std::max(1.0, t); // a causal model saw every row length up to T in training
    return t;
}

LlamaModel::LlamaModel(std::shared_ptr<const LlamaCheckpoint> checkpoint)
    : m_ck(std::move(checkpoint))
{
    if (!m_ck)
        throw Error("LlamaModel: no checkpoint");
    m_defaults = m_ck->config.methodDefaults();
}

ModelInfo LlamaModel::info() const
{
    const auto &c = m_ck->config;
    ModelInfo i;
    i.family = c.modelType;
    i.numLayers = c.numLayers;
    i.numHeads = c.numHeads;
    i.numKvHeads = c.numKvHeads;
    i.keySize = c.headDim;
    i.hiddenSize = c.hiddenSize;
    i.vocabSize = c.vocabSize;
    i.causal = true;
    i.trainLength = c.trainLength();
    i.dir = m_ck->dir;
    i.weightsFile = m_ck->weightsFile;
    return i;
}

torch::Tensor LlamaModel::embed(const std::vector<int64_t> &ids) const
{
    const auto &c = m_ck->config;
    if (ids.empty())
        throw Error("input: no tokens to analyse");
    for (auto id : ids)
        if (id < 0 || id >= c.vocabSize)
            throw Error("input: token id " + std::to_string(id) + " is outside the vocabulary (0.."
                        + std::to_string(c.vocabSize - 1) + ")");
    return asFloat(m_ck->embed.index_select(0, torch::tensor(ids, torch::kInt64))); // [n, H]
}

/// What one method needs at length n, shared by the layers: the rotation tables (RoPE base rope_theta),
/// the clamped window's far side, YaRN's score factor and 1/√d folded into q.
struct LlamaModel::MethodTables
{
    torch::Tensor cosT, sinT, cosW, sinW;
    double qScale = 1;
};

/// One layer's queries (rows qa .. qa + qn − 1) and keys (0 .. qa + qn − 1) under one method, ready for
/// blocks of rows (blockWeights); the values are not part of it.
struct LlamaModel::LayerPass
{
    const Method *method = nullptr;
    int layer = 0;
    int64_t n = 0, qa = 0, qn = 0;
    bool squaredRelu = false, alibi = false, clamped = false;
    float fill = 0;
    std::optional<int64_t> modelWindow;
    torch::Tensor qr, kr, qW, kPlain; ///< [nh, qn, d], [nkv, kN, d]; the clamped window's far side
    torch::Tensor rowTau, rowKeys;    ///< [n, 1]: τ_i and n_i of every row
    torch::Tensor upper;              ///< the diagonal block's causal mask, kept between blocks of one size
};

LlamaModel::MethodTables LlamaModel::methodTables(const Method &method, int64_t n, int64_t T) const
{
    const auto &c = m_ck->config;
    const int64_t d = c.headDim;
    const RopeSetup rs = ropeSetup(method, n, T, d, c.ropeTheta);
    const auto dbl = torch::TensorOptions().dtype(torch::kFloat64);
    MethodTables t;
    std::tie(t.cosT, t.sinT) = ropeTables(torch::arange(0, n, dbl) * rs.positionScale, rs.invFreq);
    if (method.clampsRelative())
        std::tie(t.cosW, t.sinW) =
            ropeTables(torch::full({1}, static_cast<double>(method.position.window - 1), dbl), rs.invFreq);
    t.qScale = rs.scoreScale / std::sqrt(static_cast<double>(d));
    return t;
}

LlamaModel::LayerPass LlamaModel::preparePass(const torch::Tensor &x, const LlamaCheckpoint::Layer &L, int layer,
                                              const Method &method, int64_t T, const MethodTables &t, int64_t n,
                                              int64_t qa, int64_t qn) const
{
    const auto &c = m_ck->config;
    const int64_t d = c.headDim, nh = c.numHeads, kN = qa + qn;
    LayerPass p;
    p.method = &method;
    p.layer = layer;
    p.n = n;
    p.qa = qa;
    p.qn = qn;
    p.squaredRelu = method.temperature == Temperature::SquaredRelu;
    p.alibi = method.position.kind == PositionKind::Alibi;
    p.clamped = method.clampsRelative();
    p.fill = p.squaredRelu ? 0.0f : -std::numeric_limits<float>::infinity();
    p.modelWindow = c.windowOfLayer(layer);
    std::vector<float> keys(static_cast<size_t>(n)), taus(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k = causalKeys(method, i, p.modelWindow);
        keys[static_cast<size_t>(i)] = static_cast<float>(k);
        taus[static_cast<size_t>(i)] = p.squaredRelu ? 1.0f : static_cast<float>(causalTau(method, k, T, d));
    }
    p.rowTau = torch::from_blob(taus.data(), {n, 1}, torch::kFloat32).clone();
    p.rowKeys = torch::from_blob(keys.data(), {n, 1}, torch::kFloat32).clone();

    // x: the normalised input of rows 0 .. kN − 1.
    auto q = linear(x.narrow(0, qa, qn), L.q, L.qBias).view({qn, nh, d}).transpose(0, 1); // [nh, qn, d]
    auto k = linear(x, L.k, L.kBias).view({kN, c.numKvHeads, d}).transpose(0, 1);        // [nkv, kN, d]
    const auto cosQ = t.cosT.narrow(0, qa, qn), sinQ = t.sinT.narrow(0, qa, qn);
    const auto cosK = t.cosT.narrow(0, 0, kN), sinK = t.sinT.narrow(0, 0, kN);
    if (method.qk.cosScale) { // METHODS.md §1.1, per head, before the rotation
        q = q / (q.norm(2, -1, true) + 1e-9) * (method.qk.scale * std::sqrt(static_cast<double>(d)));
        k = k / (k.norm(2, -1, true) + 1e-9);
    }
    // z = τ_i (s_ij + bias_ij): τ_i and the score scale go into q's rows (and τ_i into ALiBi's bias below).
    const auto qRowScale =
        p.squaredRelu ? torch::full({qn, 1}, static_cast<float>(t.qScale)) : p.rowTau.narrow(0, qa, qn) * t.qScale;
    p.qr = ((method.rotates() ? rotateHalf(q, cosQ, sinQ) : q) * qRowScale).contiguous();
    p.kr = (method.rotates() ? rotateHalf(k, cosK, sinK) : k).contiguous();
    if (p.clamped) { // the clamped window's far side: q at relative position W − 1, k at 0
        p.qW = (rotateHalf(q, t.cosW, t.sinW) * qRowScale).contiguous();
        p.kPlain = k.contiguous();
    }
    return p;
}

void LlamaModel::blockWeights(LayerPass &p, int64_t hh, int64_t r0, int64_t rows, const torch::Tensor &a,
                              Hooks *hooks) const
{
    const auto &c = m_ck->config;
    const Method &method = *p.method;
    const int64_t n = p.n, nh = c.numHeads, kv = hh / c.queriesPerKvHead(), W = method.position.window;
    const int64_t kEnd = r0 + rows; // keys past kEnd are all masked
    const double slope = p.alibi ? method.position.slope * 256.0 * std::pow(2.0, -8.0 * (hh + 1) / nh) : 0.0;
    auto s = torch::matmul(p.qr[hh].narrow(0, r0 - p.qa, rows), p.kr[kv].narrow(0, 0, kEnd).t()); // [rows, kEnd]
    // Plain causal rows need a mask on the diagonal block only; windows, sinks, ALiBi and clamps need the
    // distances i − j of the whole block.
    const bool plainCausal = !p.clamped && !p.alibi && !method.hasVisibilityMask() && !p.modelWindow;
    torch::Tensor visible;
    if (!plainCausal) {
        auto rel = torch::arange(r0, kEnd, torch::kInt64).unsqueeze(1) - torch::arange(0, kEnd, torch::kInt64).unsqueeze(0);
        if (p.clamped)
            s = torch::where(rel > W - 1,
                             torch::matmul(p.qW[hh].narrow(0, r0 - p.qa, rows), p.kPlain[kv].narrow(0, 0, kEnd).t()), s);
        if (p.alibi)
            s = s - rel.to(torch::kFloat32) * (p.squaredRelu ? torch::full({rows, 1}, static_cast<float>(slope))
                                                             : p.rowTau.narrow(0, r0, rows) * slope);
        visible = rel >= 0;
        if (method.hasVisibilityMask()) {
            auto inWindow = rel < W;
            if (method.position.kind != PositionKind::Window)
                inWindow = inWindow | (torch::arange(0, kEnd, torch::kInt64).unsqueeze(0) < method.position.sinks);
            visible = visible & inWindow;
        }
        if (p.modelWindow)
            visible = visible & (rel < *p.modelWindow);
    }
    auto dst = a.narrow(1, 0, kEnd);
    if (p.squaredRelu)
        s = torch::relu(s).pow(2) / p.rowKeys.narrow(0, r0, rows);
    if (visible.defined()) {
        dst.copy_(s.masked_fill(visible.logical_not(), p.fill));
    } else {
        dst.copy_(s);
        if (!p.upper.defined() || p.upper.size(0) != rows)
            p.upper = torch::ones({rows, rows}, torch::kBool).triu(1); // keys j > i of the diagonal block
        dst.narrow(1, r0, rows).masked_fill_(p.upper, p.fill);
    }
    if (kEnd < n)
        a.narrow(1, kEnd, n - kEnd).fill_(p.fill);
    s = visible = torch::Tensor();

    // Softmax and the caller's per-row work, groups of rows in parallel while they are in cache.
    const bool rowHook = hooks && hooks->onRows;
    if (!p.squaredRelu || rowHook) {
        const auto &kern = kernels::kernels();
        float *data = a.data_ptr<float>();
        const int64_t group = rowHook ? std::max<int64_t>(1, hooks->groupRows) : 16;
        const int64_t groups = (rows + group - 1) / group;
        const bool squaredRelu = p.squaredRelu;
        const int layer = p.layer;
        at::parallel_for(0, groups, 1, [&](int64_t g0, int64_t g1) {
            std::vector<double> entropy(static_cast<size_t>(group));
            double *ent = !squaredRelu && rowHook ? entropy.data() : nullptr;
            for (int64_t g = g0; g < g1; ++g) {
                const int64_t q0 = g * group, count = std::min(group, rows - q0);
                if (!squaredRelu)
                    kern.softmaxRows(data + q0 * n, count, n, ent);
                if (rowHook)
                    hooks->onRows(layer, static_cast<int>(hh), r0 + q0, count, data + q0 * n, ent);
            }
        });
    }
}

torch::Tensor LlamaModel::forward(torch::Tensor h, const Method &method, int64_t T, int64_t blockRowsIn, Hooks *hooks,
                                  const CancelToken *cancel, const Span *spanIn) const
{
    const Span span = spanIn ? *spanIn : Span();
    const auto &c = m_ck->config;
    const int64_t n = h.size(0);
    m_ck->checkFilesUnchanged(); // the mapped weights are read from the files again below
    // The span: every layer and row (an analysis), or one layer's rows qa .. qa + qn − 1 from its input h
    // (exact rows): then only those rows' queries and the keys they can see are projected, and the layer's
    // output (values, MLP) is not computed.
    const bool rowsOnly = span.layer >= 0;
    const int64_t qa = rowsOnly ? span.row0 : 0, qn = rowsOnly ? span.rows : n, kN = qa + qn;
    const int64_t firstLayer = rowsOnly ? span.layer : 0, endLayer = rowsOnly ? span.layer + 1 : c.numLayers;
    const int64_t d = c.headDim, nh = c.numHeads, rep = c.queriesPerKvHead();
    const double eps = c.rmsNormEps;
    const MethodTables tables = methodTables(method, n, T);

    int64_t blockRows = blockRowsIn > 0 ? blockRowsIn : std::max<int64_t>(16, kScoresPerBlock / n);
    blockRows = std::min(blockRows, n);
    auto buffer = torch::empty({blockRows * n}, torch::kFloat32);
    torch::Tensor layerScratch; // the float32 copy of a 16-bit layer, reused by every layer

    for (int64_t l = firstLayer; l < endLayer; ++l) {
        if (span.keepInputs) { // the hidden states entering layer l, for exact rows later
            const auto hc = h.contiguous();
            span.keepInputs->emplace_back(hc.data_ptr<float>(), hc.data_ptr<float>() + hc.numel());
        }
        const auto &stored = m_ck->layers[static_cast<size_t>(l)];
        const LlamaCheckpoint::Layer L = rowsOnly ? attentionLayer(stored) : floatLayer(stored, &layerScratch);
        auto x = rmsNorm(rowsOnly ? h.narrow(0, 0, kN) : h, L.inputNorm, eps); // [kN, H]
        LayerPass pass = preparePass(x, L, static_cast<int>(l), method, T, tables, n, qa, qn);
        torch::Tensor v;
        if (!rowsOnly)
            v = linear(x, L.v, L.vBias).view({n, c.numKvHeads, d}).transpose(0, 1).contiguous();
        x = torch::Tensor();

        torch::Tensor out;
        if (!rowsOnly)
            out = torch::empty({n, nh * d}, torch::kFloat32);
        for (int64_t hh = 0; hh < nh; ++hh) {
            const int64_t kv = hh / rep; // query head hh reads KV head hh // (heads / KV heads)
            for (int64_t r0 = qa; r0 < qa + qn; r0 += blockRows) {
                if (cancel && cancel->isCancelled())
                    throw Cancelled();
                const int64_t rows = std::min(blockRows, qa + qn - r0), kEnd = r0 + rows;
                auto a = buffer.narrow(0, 0, rows * n).view({rows, n});
                blockWeights(pass, hh, r0, rows, a, hooks);
                if (!rowsOnly)
                    out.narrow(0, r0, rows).narrow(1, hh * d, d).copy_(torch::matmul(a.narrow(1, 0, kEnd), v[kv].narrow(0, 0, kEnd)));
                if (hooks && hooks->onBlock)
                    hooks->onBlock(static_cast<int>(l), static_cast<int>(hh), r0, a);
            }
            if (hooks && hooks->onHeadDone)
                hooks->onHeadDone(static_cast<int>(l), static_cast<int>(hh));
        }
        if (rowsOnly) {
            releaseLayer(stored);
            return {};
        }
        h = h + linear(out, L.o, L.oBias);
        out = torch::Tensor();
        auto y = rmsNorm(h, L.postNorm, eps);
        h = h + linear(torch::silu(linear(y, L.gate, L.gateBias)) * linear(y, L.up, L.upBias), L.down, L.downBias);
        releaseLayer(stored);
        if (hooks && hooks->onLayerDone)
            hooks->onLayerDone(static_cast<int>(l));
    }
    return rmsNorm(h, m_ck->norm, eps);
}

torch::Tensor LlamaModel::logits(const std::vector<int64_t> &ids, const Method &method, int64_t T,
                                 const CancelToken *cancel) const
{
    c10::InferenceMode guard;
    auto h = forward(embed(ids), method, T, 0, nullptr, cancel);
    const auto &W = m_ck->lmHead;
    if (W.scalar_type() == torch::kFloat32)
        return torch::matmul(h, W.t());
    // A 16-bit head: converted kHeadChunk vocabulary rows at a time, never as a whole float32 copy.
    const int64_t V = W.size(0);
    auto out = torch::empty({h.size(0), V}, torch::kFloat32);
    for (int64_t v0 = 0; v0 < V; v0 += kHeadChunk) {
        const int64_t vc = std::min(kHeadChunk, V - v0);
        out.narrow(1, v0, vc).copy_(torch::matmul(h, W.narrow(0, v0, vc).to(torch::kFloat32).t()));
    }
    return out;
}

AnalysisResult LlamaModel::analyze(const std::vector<int64_t> &ids, const AnalysisRequest &req,
                                   const ProgressFn &progress, const CancelToken *cancel) const
{
    c10::InferenceMode guard;
    const auto t0 = std::chrono::steady_clock::now();
    const auto &c = m_ck->config;
    const int64_t n = static_cast<int64_t>(ids.size());
    const int64_t H = c.numHeads;
    if (n < 1)
        throw Error("input: no tokens to analyse");
    for (int l : req.fullMapLayers)
        if (l < 0 || l >= c.numLayers)
            throw Error("layer " + std::to_string(l) + " does not exist (the model has " + std::to_string(c.numLayers)
                        + " layers)");

    AnalysisResult result;
    result.length = n;
    result.trainLength = req.trainLength;
    result.keySize = c.headDim;
    result.method = req.method.spec();
    result.tokens = ids;
    if (m_ck->tokenizer)
        for (auto id : ids)
            result.tokenTexts.push_back(m_ck->tokenizer->idToToken(id));

    const bool rawRows = req.method.temperature == Temperature::SquaredRelu;
    std::vector<std::vector<int64_t>> keyCounts(static_cast<size_t>(c.numLayers)); // n_i per row, per layer's window
    for (int64_t l = 0; l < c.numLayers; ++l)
        for (int64_t i = 0; i < n; ++i)
            keyCounts[static_cast<size_t>(l)].push_back(causalKeys(req.method, i, c.windowOfLayer(l)));
    std::unique_ptr<LayerMetricsAccumulator> acc; // one (layer, head) at a time
    auto newAccumulator = [&](int layer) {
        acc = std::make_unique<LayerMetricsAccumulator>(layer, n, req.trainLength, rawRows,
                                                        keyCounts[static_cast<size_t>(layer)]);
    };
    if (req.metrics)
        newAccumulator(0);

    MapCollector maps(n, static_cast<int>(c.numLayers), static_cast<int>(H), req.fullMapLayers, req.pooledMaps,
                      req.maxPooledSize);
    const int64_t pool = maps.pool();

    int64_t blockRows = req.blockRows > 0 ? req.blockRows : std::max<int64_t>(16, kScoresPerBlock / n);
    blockRows = std::max<int64_t>(pool, (blockRows / pool) * pool);

    Hooks hooks;
    hooks.groupRows = pool * std::max<int64_t>(1, 16 / pool);
    std::atomic<uint64_t> rowThreadMask{0};
    hooks.onRows = [&](int layer, int head, int64_t row0, int64_t rows, const float *src, const double *entropy) {
        rowThreadMask.fetch_or(uint64_t{1} << std::min(at::get_thread_num(), 63), std::memory_order_relaxed);
        if (req.metrics)
            acc->addRows(src, row0, rows, entropy);
        maps.addPooledRows(layer, head, row0, rows, src);
    };
    // The comparison while the rows exist (AnalysisRequest::jsInputs): the other analysis's weights of each
    // block, recomputed from its kept layer inputs next to this block, and the JS of every row pair.
    std::optional<MethodTables> otherTables;
    std::optional<LayerPass> otherPass;
    torch::Tensor otherBuffer;
    std::vector<double> rowJs;
    double headJs = 0;
    if (req.jsInputs) {
        const LayerInputs &in = *req.jsInputs;
        if (in.length != n || in.hiddenSize != c.hiddenSize || int64_t(in.layers.size()) != c.numLayers)
            throw Error("JS divergence: the compared analysis's layer inputs do not belong to this model and length");
        otherTables = methodTables(req.jsMethod, n, req.trainLength);
        otherBuffer = torch::empty({blockRows * n}, torch::kFloat32);
        rowJs.resize(static_cast<size_t>(blockRows));
    }
    if (req.rowSink || maps.keepsFullMaps() || req.jsInputs)
        hooks.onBlock = [&](int layer, int head, int64_t row0, const torch::Tensor &block) {
            const int64_t rows = block.size(0);
            const float *src = block.data_ptr<float>();
            if (req.rowSink)
                req.rowSink(layer, head, row0, rows, n, src);
            maps.addFullRows(layer, head, row0, rows, src);
            if (!otherTables)
                return;
            if (!otherPass || otherPass->layer != layer) {
                otherPass.reset();
                const LlamaCheckpoint::Layer L = attentionLayer(m_ck->layers[static_cast<size_t>(layer)]);
                const auto h = torch::from_blob(const_cast<float *>(req.jsInputs->layers[static_cast<size_t>(layer)].data()),
                                                {n, c.hiddenSize}, torch::kFloat32);
                otherPass = preparePass(rmsNorm(h, L.inputNorm, c.rmsNormEps), L, layer, req.jsMethod, req.trainLength,
                                        *otherTables, n, 0, n);
            }
            auto theirs = otherBuffer.narrow(0, 0, rows * n).view({rows, n});
            blockWeights(*otherPass, head, row0, rows, theirs, nullptr);
            const float *pb = theirs.data_ptr<float>();
            at::parallel_for(0, rows, 1, [&](int64_t i0, int64_t i1) {
                for (int64_t i = i0; i < i1; ++i)
                    rowJs[static_cast<size_t>(i)] = jsOfRows(pb + i * n, src + i * n, n);
            });
            for (int64_t i = 0; i < rows; ++i) // in row order: the same figure whatever the threads
                headJs += rowJs[static_cast<size_t>(i)];
        };
    std::vector<LayerMetrics> metrics;
    hooks.onHeadDone = [&](int layer, int head) {
        if (otherTables) {
            result.jsDivergence.push_back(headJs / static_cast<double>(n));
            headJs = 0;
        }
        if (!req.metrics)
            return;
        LayerMetrics m = acc->finish();
        m.head = head;
        m.retainedMassMean.reset(); // 1 by construction for a causal model (METHODS.md §6)
        metrics.push_back(std::move(m));
        const bool last = layer + 1 == c.numLayers && head + 1 == H;
        if (!last)
            newAccumulator(head + 1 == H ? layer + 1 : layer);
        else
            acc.reset();
    };
    hooks.onLayerDone = [&](int layer) {
        if (progress)
            progress(static_cast<double>(layer + 1) / (c.numLayers + (req.mlmTop1 ? 1 : 0)),
                     "layer " + std::to_string(layer + 1) + "/" + std::to_string(c.numLayers));
    };

    Span span;
    std::shared_ptr<LayerInputs> inputs;
    if (req.keepLayerInputs) {
        inputs = std::make_shared<LayerInputs>();
        inputs->length = n;
        inputs->hiddenSize = c.hiddenSize;
        inputs->layers.reserve(static_cast<size_t>(c.numLayers));
        span.keepInputs = &inputs->layers;
    }
    auto hFinal = forward(embed(ids), req.method, req.trainLength, blockRows, &hooks, cancel, &span);
    result.layerInputs = std::move(inputs);
    if (req.mlmTop1) {
        result.mlmTop1 = top1(hFinal, m_ck->lmHead, m_ck->lmHead.scalar_type() == torch::kFloat32 ? 0 : kHeadChunk,
                              cancel);
        if (progress)
            progress(1.0, "LM head");
    }
    result.layers = std::move(metrics);
    result.maps = maps.finish();
    result.rowThreads = static_cast<int>(std::bitset<64>(rowThreadMask.load()).count());
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

std::vector<float> LlamaModel::attentionRows(const LayerInputs &inputs, int layer, const Method &method,
                                            int64_t trainLength, int64_t row0, int64_t rows,
                                            const CancelToken *cancel) const
{
    c10::InferenceMode guard;
    const auto &c = m_ck->config;
    const int64_t n = inputs.length;
    if (layer < 0 || layer >= c.numLayers || static_cast<size_t>(layer) >= inputs.layers.size())
        throw Error("exact rows: layer " + std::to_string(layer) + " is not in the kept layer inputs ("
                    + std::to_string(inputs.layers.size()) + " layers)");
    if (inputs.hiddenSize != c.hiddenSize
        || inputs.layers[static_cast<size_t>(layer)].size() != static_cast<size_t>(n * c.hiddenSize))
        throw Error("exact rows: the kept layer inputs do not belong to this model");
    if (row0 < 0 || rows < 1 || row0 + rows > n)
        throw Error("exact rows: rows " + std::to_string(row0) + ".." + std::to_string(row0 + rows - 1)
                    + " are outside the analysed length " + std::to_string(n));
    const int64_t H = c.numHeads;
    std::vector<float> out(static_cast<size_t>(H * rows * n));
    Hooks hooks;
    hooks.onBlock = [&](int, int head, int64_t r0, const torch::Tensor &block) {
        const float *src = block.data_ptr<float>();
        std::copy(src, src + block.size(0) * n,
                  out.data() + (static_cast<size_t>(head) * static_cast<size_t>(rows) + static_cast<size_t>(r0 - row0))
                                   * static_cast<size_t>(n));
    };
    Span span;
    span.layer = layer;
    span.row0 = row0;
    span.rows = rows;
    auto h = torch::from_blob(const_cast<float *>(inputs.layers[static_cast<size_t>(layer)].data()), {n, c.hiddenSize},
                              torch::kFloat32);
    forward(h, method, trainLength, 0, &hooks, cancel, &span);
    return out;
}

std::vector<double> LlamaModel::jsDivergence(const LayerInputs &a, const Method &methodA, const LayerInputs &b,
                                             const Method &methodB, int64_t trainLength, const ProgressFn &progress,
                                             const CancelToken *cancel) const
{
    c10::InferenceMode guard;
    const auto &c = m_ck->config;
    const int64_t n = a.length, H = c.numHeads;
    for (const LayerInputs *in : {&a, &b})
        if (in->length != n || in->hiddenSize != c.hiddenSize || int64_t(in->layers.size()) != c.numLayers)
            throw Error("JS divergence: the two analyses' layer inputs do not belong to this model and one length");
    const MethodTables tablesA = methodTables(methodA, n, trainLength), tablesB = methodTables(methodB, n, trainLength);
    const int64_t blockRows = std::min(n, std::max<int64_t>(16, kScoresPerBlock / n));
    auto bufferA = torch::empty({blockRows * n}, torch::kFloat32), bufferB = torch::empty({blockRows * n}, torch::kFloat32);
    std::vector<double> out;
    out.reserve(static_cast<size_t>(c.numLayers * H));
    std::vector<double> rowJs(static_cast<size_t>(blockRows));
    for (int l = 0; l < c.numLayers; ++l) {
        const LlamaCheckpoint::Layer L = attentionLayer(m_ck->layers[static_cast<size_t>(l)]);
        auto pass = [&](const LayerInputs &in, const Method &m, const MethodTables &t) {
            const auto h = torch::from_blob(const_cast<float *>(in.layers[static_cast<size_t>(l)].data()),
                                            {n, c.hiddenSize}, torch::kFloat32);
            return preparePass(rmsNorm(h, L.inputNorm, c.rmsNormEps), L, l, m, trainLength, t, n, 0, n);
        };
        LayerPass passA = pass(a, methodA, tablesA), passB = pass(b, methodB, tablesB);
        for (int64_t hh = 0; hh < H; ++hh) {
            double sum = 0;
            for (int64_t r0 = 0; r0 < n; r0 += blockRows) {
                if (cancel && cancel->isCancelled())
                    throw Cancelled();
                const int64_t rows = std::min(blockRows, n - r0);
                auto wa = bufferA.narrow(0, 0, rows * n).view({rows, n}), wb = bufferB.narrow(0, 0, rows * n).view({rows, n});
                blockWeights(passA, hh, r0, rows, wa, nullptr);
                blockWeights(passB, hh, r0, rows, wb, nullptr);
                const float *pa = wa.data_ptr<float>(), *pb = wb.data_ptr<float>();
                // Each row normalised by its sum (squared_relu's raw rows; softmax rows sum to 1); a row of zeros
                // stays the zero vector (jsOfRows, as every comparison path).
                at::parallel_for(0, rows, 1, [&](int64_t i0, int64_t i1) {
                    for (int64_t i = i0; i < i1; ++i)
                        rowJs[static_cast<size_t>(i)] = jsOfRows(pa + i * n, pb + i * n, n);
                });
                for (int64_t i = 0; i < rows; ++i)
                    sum += rowJs[static_cast<size_t>(i)];
            }
            out.push_back(sum / static_cast<double>(n));
            if (progress)
                progress(static_cast<double>(l * H + hh + 1) / static_cast<double>(c.numLayers * H),
                         "JS divergence, layer " + std::to_string(l + 1) + "/" + std::to_string(c.numLayers));
        }
    }
    return out;
}

int64_t LlamaModel::estimateAnalysisBytes(int64_t n, const AnalysisRequest &req) const
{
    const auto &c = m_ck->config;
    const double nn = static_cast<double>(n), Hd = static_cast<double>(c.hiddenSize),
                 I = static_cast<double>(c.intermediateSize), qd = static_cast<double>(c.numHeads * c.headDim),
                 kd = static_cast<double>(c.numKvHeads * c.headDim), L = static_cast<double>(c.numLayers),
                 heads = static_cast<double>(c.numHeads);
    // One layer's activations (h, x, q, k, v and their rotations, the attention output, the MLP's three
    // [n, I] products), a block of scores with its temporaries (distances, masks, the copy), the per-row
    // metrics and key counts, the LM head's blocks; the kept maps.
    double bytes = nn * (4 * Hd + 4 * qd + 5 * kd + 3 * I) * 4.0;
    const double rows = std::min(nn, std::max(16.0, static_cast<double>(kScoresPerBlock) / std::max(nn, 1.0)));
    bytes += rows * nn * 4.0 * 12;
    bytes += nn * (5.0 + distanceBinCount(n)) * 8.0 + nn * L * 8.0;
    bytes += static_cast<double>(req.fullMapLayers.size()) * heads * nn * nn * 4.0;
    if (req.keepLayerInputs)
        bytes += L * nn * Hd * 4.0;
    if (req.jsInputs) // the compared weights: one layer's normalised input, q and k rotated, a block and its temporaries
        bytes += nn * (Hd + 2 * qd + 2 * kd) * 4.0 + rows * nn * 4.0 * 4;
    if (req.pooledMaps) {
        const double side = std::min<double>(nn, req.maxPooledSize);
        bytes += L * heads * 2 * side * side * 4.0;
    }
    return static_cast<int64_t>(std::min(bytes, 9.0e18));
}

} // namespace entroscope

namespace entroscope {

torch::Tensor LlamaModel::trainingHidden(const torch::Tensor &ids) const
{
    const auto &c = m_ck->config;
    if (ids.dim() != 2 || ids.size(1) < 1)
        throw Error("training: ids must be [batch, length]");
    const int64_t B = ids.size(0), n = ids.size(1), d = c.headDim, nh = c.numHeads, nkv = c.numKvHeads;
    const int64_t rep = c.queriesPerKvHead();
    const Method rope = Method::parse("softmax", "plain", "rope", m_defaults, n);
    const RopeSetup rs = ropeSetup(rope, n, n, d, c.ropeTheta);
    auto [cosT, sinT] = ropeTables(torch::arange(0, n, torch::TensorOptions().dtype(torch::kFloat64)), rs.invFreq);
    auto rel = torch::arange(0, n, torch::kInt64).unsqueeze(1) - torch::arange(0, n, torch::kInt64).unsqueeze(0);
    auto h = asFloat(m_ck->embed.index_select(0, ids.reshape({-1}))).view({B, n, c.hiddenSize});
    for (int64_t l = 0; l < c.numLayers; ++l) {
        const LlamaCheckpoint::Layer L = floatLayer(m_ck->layers[static_cast<size_t>(l)]);
        auto visible = rel >= 0;
        if (const auto w = c.windowOfLayer(l))
            visible = visible & (rel < *w);
        const auto mask = torch::zeros({n, n}).masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity());
        auto x = rmsNorm(h, L.inputNorm, c.rmsNormEps);
        auto q = linear(x, L.q, L.qBias).view({B, n, nh, d}).transpose(1, 2);  // [B, nh, n, d]
        auto k = linear(x, L.k, L.kBias).view({B, n, nkv, d}).transpose(1, 2); // [B, nkv, n, d]
        auto v = linear(x, L.v, L.vBias).view({B, n, nkv, d}).transpose(1, 2);
        q = rotateHalf(q, cosT, sinT);
        k = rotateHalf(k, cosT, sinT);
        if (rep > 1) { // query head hh reads KV head hh // rep
            k = k.repeat_interleave(rep, 1);
            v = v.repeat_interleave(rep, 1);
        }
        auto s = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(d)) + mask;
        auto o = torch::matmul(torch::softmax(s, -1), v).transpose(1, 2).reshape({B, n, nh * d});
        h = h + linear(o, L.o, L.oBias);
        auto y = rmsNorm(h, L.postNorm, c.rmsNormEps);
        h = h + linear(torch::silu(linear(y, L.gate, L.gateBias)) * linear(y, L.up, L.upBias), L.down, L.downBias);
    }
    return rmsNorm(h, m_ck->norm, c.rmsNormEps);
}

} // namespace entroscope
