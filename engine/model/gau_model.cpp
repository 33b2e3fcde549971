// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "model/gau_model.h"

#include "analysis/analysis.h"
#include "analysis/map_compare.h"
#include "errors.h"
#include "analysis/row_kernels.h"
#include "model/rope.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <atomic>
#include <bitset>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

namespace entroscope {
namespace {

constexpr double kRopeBase = 10000.0;
constexpr int64_t kScoresPerBlock = int64_t{1} << 22; // ~16 MB of float32 scores per block

torch::Tensor rmsNorm(const torch::Tensor &x, double eps)
{
    return x * torch::rsqrt(x.pow(2).mean(-1, true) + eps);
}

/// rmsNorm, in place on x's rows (inference): rms² = ‖x‖² / d, without the squared copy pow(2) allocates.
void rmsNormInPlace(torch::Tensor &x, double eps)
{
    auto ss = at::linalg_vector_norm(x, 2, {-1}, true).square_().div_(static_cast<double>(x.size(-1)));
    x.mul_(ss.add_(eps).rsqrt_());
}

/// Interleaved-pair rotation of x [..., P, d] by tables [P, d/2] (or [1, d/2] broadcast).
torch::Tensor applyRope(const torch::Tensor &x, const torch::Tensor &cos, const torch::Tensor &sin)
{
    auto sizes = x.sizes().vec();
    auto pairs = x.reshape({-1, x.size(-2), x.size(-1) / 2, 2});
    auto x0 = pairs.select(-1, 0);
    auto x1 = pairs.select(-1, 1);
    auto y0 = x0 * cos - x1 * sin;
    auto y1 = x0 * sin + x1 * cos;
    return torch::stack({y0, y1}, -1).reshape(sizes);
}

/// q' = rope(z·γq [normalised to `cosNorm`]) · qScale into qr [B, n, d] and k' = rope(z·γk [normalised
/// to 1])ᵀ into krT [B, d, n], from z [B, n, d] and tables [n, d/2]: the same float operations as
/// applyRope on the torch tensors, rows in parallel.
void rotateQk(const torch::Tensor &z, const torch::Tensor &gq, const torch::Tensor &gk, const torch::Tensor &cosT,
              const torch::Tensor &sinT, bool cosScale, double cosNorm, double qScale, torch::Tensor &qr,
              torch::Tensor &krT)
{
    const int64_t B = z.size(0), n = z.size(1), d = z.size(2), half = d / 2;
    const float *zp = z.data_ptr<float>(), *gqp = gq.data_ptr<float>(), *gkp = gk.data_ptr<float>();
    const float *cp = cosT.data_ptr<float>(), *sp = sinT.data_ptr<float>();
    float *qp = qr.data_ptr<float>(), *kp = krT.data_ptr<float>();
    const float qs = static_cast<float>(qScale);
    at::parallel_for(0, B * n, 64, [&](int64_t r0, int64_t r1) {
        std::vector<float> q(static_cast<size_t>(d)), k(static_cast<size_t>(d));
        for (int64_t r = r0; r < r1; ++r) {
            const int64_t b = r / n, i = r % n;
            const float *zr = zp + r * d;
            for (int64_t j = 0; j < d; ++j) {
                q[static_cast<size_t>(j)] = zr[j] * gqp[j];
                k[static_cast<size_t>(j)] = zr[j] * gkp[j];
            }
            if (cosScale) { // q / (‖q‖ + 1e-9) · S√d, k / (‖k‖ + 1e-9), as METHODS.md §1.1 says
                double nq = 0, nk = 0;
                for (int64_t j = 0; j < d; ++j) {
                    nq += static_cast<double>(q[static_cast<size_t>(j)]) * q[static_cast<size_t>(j)];
                    nk += static_cast<double>(k[static_cast<size_t>(j)]) * k[static_cast<size_t>(j)];
                }
                const float dq = static_cast<float>(std::sqrt(nq)) + 1e-9f, dk = static_cast<float>(std::sqrt(nk)) + 1e-9f;
                const float sq = static_cast<float>(cosNorm);
                for (int64_t j = 0; j < d; ++j) {
                    q[static_cast<size_t>(j)] = q[static_cast<size_t>(j)] / dq * sq;
                    k[static_cast<size_t>(j)] = k[static_cast<size_t>(j)] / dk;
                }
            }
            const float *c = cp + i * half, *s = sp + i * half;
            float *qo = qp + r * d;
            float *ko = kp + b * d * n + i; // column i of krT[b]
            for (int64_t m = 0; m < half; ++m) {
                const float q0 = q[static_cast<size_t>(2 * m)], q1 = q[static_cast<size_t>(2 * m + 1)];
                const float k0 = k[static_cast<size_t>(2 * m)], k1 = k[static_cast<size_t>(2 * m + 1)];
                qo[2 * m] = (q0 * c[m] - q1 * s[m]) * qs;
                qo[2 * m + 1] = (q0 * s[m] + q1 * c[m]) * qs;
                ko[(2 * m) * n] = k0 * c[m] - k1 * s[m];
                ko[(2 * m + 1) * n] = k0 * s[m] + k1 * c[m];
            }
        }
    });
}


/// What a method needs at length n, shared by every layer (and by the exact rows recomputed later).
struct MethodSetup
{
    torch::Tensor cosT, sinT, cosW, sinW; ///< position tables; W: the clamped window's far side
    bool squaredRelu = false;
    /// n_i (METHODS.md §1.3): n for every row, or per row (--key-count visible with a window or sinks);
    /// then τ(n_i) scales q row by row (rowTau) and squared_relu divides by n_i row by row (rowKeys).
    bool perRow = false;
    torch::Tensor rowTau, rowKeys;
    double tau = 1.0;
    double qScale = 1.0; ///< 1/√d · YaRN's factor · τ, folded into q
    int64_t window = 0;
    torch::Tensor keyIdx; ///< 0 .. n-1
};

MethodSetup methodSetup(const Method &method, int64_t n, int64_t T, int64_t S)
{
    MethodSetup ms;
    const RopeSetup rs = ropeSetup(method, n, T, S, kRopeBase);
    const auto dbl = torch::TensorOptions().dtype(torch::kFloat64);
    auto positions = torch::arange(0, n, dbl) * rs.positionScale;
    std::tie(ms.cosT, ms.sinT) = ropeTables(positions, rs.invFreq);
    ms.window = method.position.window;
    if (method.clampsRelative())
        std::tie(ms.cosW, ms.sinW) = ropeTables(torch::full({1}, static_cast<double>(ms.window - 1), dbl), rs.invFreq);
    ms.squaredRelu = method.temperature == Temperature::SquaredRelu;
    ms.perRow = method.perRowKeyCount();
    if (ms.perRow) {
        std::vector<float> taus(static_cast<size_t>(n)), keys(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            const int64_t k = method.keyCountOf(i, n);
            keys[static_cast<size_t>(i)] = static_cast<float>(k);
            taus[static_cast<size_t>(i)] = static_cast<float>(ms.squaredRelu ? 1.0 : method.tau(k, T, S));
        }
        ms.rowTau = torch::tensor(taus).view({1, n, 1});
        ms.rowKeys = torch::tensor(keys).view({n, 1});
    }
    ms.tau = ms.perRow || ms.squaredRelu ? 1.0 : method.tau(n, T, S);
    ms.qScale = 1.0 / std::sqrt(static_cast<double>(S)) * rs.scoreScale * ms.tau;
    ms.keyIdx = torch::arange(0, n, torch::kInt64);
    return ms;
}

/// One layer's queries and keys as the score blocks read them: qr [B, n, d] and krT [B, d, n]; for a
/// clamped window also the far-side pairs (qW, kT) and (qPlain, kWT).
struct QkTensors
{
    torch::Tensor qr, krT, qW, qPlain, kT, kWT;
};

/// q and k of a layer from z = silu(h · W_zᵀ) [B, n, d] under a method (gau_alpha.md §2, METHODS.md §1).
QkTensors projectQk(const torch::Tensor &z, const Checkpoint::Layer &L, const Method &method, const MethodSetup &ms,
                    bool inference)
{
    const int64_t B = z.size(0), n = z.size(1), S = z.size(2);
    QkTensors t;
    if (inference && method.rotates() && !method.clampsRelative()) {
        // The common case in one pass over z: scale offsets, CosScale's normalisation, the rotation
        // and the score scale, writing q and Kᵀ as the blocks read them (torch ops here would be a
        // dozen n x d temporaries per layer).
        t.qr = torch::empty({B, n, S}, torch::kFloat32);
        t.krT = torch::empty({B, S, n}, torch::kFloat32);
        rotateQk(z.contiguous(), L.qGamma, L.kGamma, ms.cosT, ms.sinT, method.qk.cosScale,
                 method.qk.scale * std::sqrt(static_cast<double>(S)), ms.qScale, t.qr, t.krT);
    } else {
        auto q = z * L.qGamma;
        auto k = z * L.kGamma;
        if (method.qk.cosScale) {
            q = q / (q.norm(2, -1, true) + 1e-9) * (method.qk.scale * std::sqrt(static_cast<double>(S)));
            k = k / (k.norm(2, -1, true) + 1e-9);
        }
        auto qr = q;
        auto kr = k;
        if (method.rotates()) {
            qr = applyRope(q, ms.cosT, ms.sinT);
            kr = applyRope(k, ms.cosT, ms.sinT);
        }
        // 1/sqrt(d), YaRN's factor and τ scale every score of the row: fold them into q ([n, d]) instead
        // of a pass over each [rows, n] block.
        t.qr = qr * ms.qScale;
        t.krT = kr.transpose(1, 2).contiguous();
        if (method.clampsRelative()) {
            t.qW = applyRope(q, ms.cosW, ms.sinW) * ms.qScale;
            t.qPlain = q * ms.qScale; // unscaled-position q for the far side of a clamped window
            t.kT = k.transpose(1, 2).contiguous();
            t.kWT = applyRope(k, ms.cosW, ms.sinW).transpose(1, 2).contiguous();
        }
    }
    if (ms.perRow && !ms.squaredRelu) { // τ(n_i) row by row (no ALiBi here: alibi has no visibility mask)
        t.qr = inference ? t.qr.mul_(ms.rowTau) : t.qr * ms.rowTau;
        if (t.qW.defined())
            t.qW = t.qW * ms.rowTau;
        if (t.qPlain.defined())
            t.qPlain = t.qPlain * ms.rowTau;
    }
    return t;
}

/// The attention of query rows r0 .. r0+rows-1, [B, rows, n]. scores: where the q·kᵀ product goes
/// (inference's reused buffer) or undefined. *normalise is set when the result still holds scores whose
/// softmax the caller does in place (inference), else the result is the weights as applied to the values.
torch::Tensor blockAttention(const QkTensors &t, const Method &method, const MethodSetup &ms, int64_t r0, int64_t rows,
                             const torch::Tensor &scores, bool inference, bool *normalise)
{
    const int64_t n = t.krT.size(2);
    const int64_t W = ms.window;
    torch::Tensor s;
    if (scores.defined()) {
        s = scores;
        torch::bmm_out(s, t.qr.narrow(1, r0, rows), t.krT);
    } else {
        s = torch::matmul(t.qr.narrow(1, r0, rows), t.krT);
    }
    torch::Tensor rel; // i - j, [rows, n], only when a method needs distances
    const bool needRel = method.clampsRelative() || method.hasVisibilityMask() || method.position.kind == PositionKind::Alibi;
    if (needRel)
        rel = torch::arange(r0, r0 + rows, torch::kInt64).unsqueeze(1) - ms.keyIdx.unsqueeze(0);
    if (method.clampsRelative()) {
        auto farPos = torch::matmul(t.qW.narrow(1, r0, rows), t.kT);     // relative +(W-1)
        auto farNeg = torch::matmul(t.qPlain.narrow(1, r0, rows), t.kWT); // relative -(W-1)
        s = torch::where(rel > (W - 1), farPos, torch::where(rel < -(W - 1), farNeg, s));
    }
    if (method.position.kind == PositionKind::Alibi) // z = τ(s + bias): the bias is scaled by τ too
        s = s - rel.abs().to(torch::kFloat32) * static_cast<float>(method.position.slope * (ms.squaredRelu ? 1.0 : ms.tau));
    torch::Tensor visible;
    if (method.hasVisibilityMask()) {
        visible = rel.abs() < W;
        if (method.position.kind != PositionKind::Window)
            visible = visible | (ms.keyIdx.unsqueeze(0) < method.position.sinks);
    }
    *normalise = false;
    if (ms.squaredRelu) {
        auto a = ms.perRow ? torch::relu(s).pow(2) / ms.rowKeys.narrow(0, r0, rows)
                           : torch::relu(s).pow(2) / static_cast<double>(n);
        if (visible.defined())
            a = a * visible.to(torch::kFloat32);
        return a;
    }
    if (visible.defined())
        s = s.masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity());
    if (inference && s.is_contiguous()) {
        *normalise = true; // one [rows, n] block instead of two
        return s;
    }
    return torch::softmax(s, -1); // autograd (training) needs the op
}

/// Softmax of rows in place, groups of rows in parallel (the forward's own pass does the same while the
/// caller's row hooks run).
void softmaxInPlace(float *data, int64_t rows, int64_t n)
{
    const auto &kern = kernels::kernels();
    at::parallel_for(0, rows, 16, [&](int64_t r0, int64_t r1) { kern.softmaxRows(data + r0 * n, r1 - r0, n, nullptr); });
}

} // namespace

struct GauModel::LayerHooks
{
    /// Called from the worker threads, in parallel, for groups of consecutive attention rows of batch item
    /// 0 (batch size 1 only) as soon as they are normalised, while they are in cache: layer, first row,
    /// row count, row-major float32 [rows, n], and the rows' entropies when the softmax computed them
    /// (else nullptr). Groups start at multiples of groupRows and never overlap.
    std::function<void(int layer, int64_t row0, int64_t rows, const float *data, const double *entropy)> onRows;
    int64_t groupRows = 16;
    /// block: [rows, n] float32 attention of batch item 0; called serially for every block of every
    /// layer, in order, before the next block is computed.
    std::function<void(int layer, int64_t row0, const torch::Tensor &block)> onBlock;
    std::function<void(int layer)> onLayerDone;
    /// h [B, n, H] as it enters layer `layer`, before the layer's first block (serially).
    std::function<void(int layer, const torch::Tensor &h)> onLayerInput;
    /// The caller only needs the attention, not the final hidden state: the last layer then computes
    /// the q/k part of i_dense alone and skips A·V and o_dense (about 1/7 of an n = 4096 analysis).
    bool attentionOnly = false;
};

GauModel::GauModel(std::shared_ptr<const Checkpoint> checkpoint)
    : m_ck(std::move(checkpoint))
{
    if (!m_ck)
        throw Error("GauModel: no checkpoint");
    m_defaults = m_ck->config.methodDefaults();
}

torch::Tensor GauModel::forward(const torch::Tensor &ids, const Method &method, int64_t T, int64_t blockRowsIn,
                                LayerHooks *hooks, const CancelToken *cancel) const
{
    const auto &c = m_ck->config;
    const int64_t B = ids.size(0), n = ids.size(1);
    const int64_t H = c.hiddenSize, E = c.intermediateSize, S = c.keySize;
    const double eps = c.layerNormEps;

    if (ids.numel() > 0) {
        const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
        if (lo < 0 || hi >= c.vocabSize)
            throw Error("input: token id " + std::to_string(lo < 0 ? lo : hi) + " is outside the vocabulary (0.."
                        + std::to_string(c.vocabSize - 1) + ")");
    }

    auto h = rmsNorm(m_ck->wordEmbeddings.index_select(0, ids.reshape(-1)).reshape({B, n, -1})
                         + m_ck->typeEmbeddings[0],
                     eps);

    // Position tables, τ and the score scale, shared by all layers.
    const MethodSetup ms = methodSetup(method, n, T, S);

    int64_t blockRows = blockRowsIn > 0 ? blockRowsIn : std::max<int64_t>(16, kScoresPerBlock / std::max<int64_t>(n * B, 1));
    blockRows = std::min(blockRows, n);

    // Without autograd (analysis, evaluation) blocks are normalised and products written in place, into
    // buffers allocated once per forward: a freed-and-reallocated 16-25 MB tensor per block and layer
    // either faults its pages in again (mmap) or fragments the heap, which then holds the high-water mark.
    const bool inference = !torch::GradMode::is_enabled();
    // After the attention the score buffer is the scratch of the gate u and of o_dense.
    torch::Tensor scoreBuf, valueBuf, outBuf;
    if (inference) {
        scoreBuf = torch::empty({B * blockRows * std::max(n, E + H)}, torch::kFloat32);
        valueBuf = torch::empty({B, n, E}, torch::kFloat32);
        outBuf = torch::empty({B * blockRows * E}, torch::kFloat32);
    }
    auto silu = [&](torch::Tensor x) { return inference ? torch::silu_(x) : torch::silu(x); };
    auto bufferView = [&](const torch::Tensor &buf, int64_t rows, int64_t cols) {
        return buf.narrow(0, 0, B * rows * cols).view({B, rows, cols});
    };
    for (int64_t l = 0; l < c.numLayers; ++l) {
        const auto &L = m_ck->layers[static_cast<size_t>(l)];
        const bool scoresOnly = hooks && hooks->attentionOnly && l == c.numLayers - 1;
        if (hooks && hooks->onLayerInput) // h entering layer l, before any block updates it
            hooks->onLayerInput(static_cast<int>(l), h);
        // i_dense in its three parts: z (the shared q/k projection) and v now, u only after the attention
        // and there row chunk by row chunk, so that the n x (2E+S) product is never held whole.
        auto z = silu(torch::matmul(h, L.iDense.narrow(0, 2 * E, S).t()));
        torch::Tensor v;
        if (!scoresOnly) { // the last layer of an attention-only call needs no values
            const auto wv = L.iDense.narrow(0, E, E).t();
            if (inference) {
                auto flat = valueBuf.view({B * n, E});
                torch::mm_out(flat, h.reshape({B * n, -1}), wv);
                v = silu(valueBuf);
            } else {
                v = silu(torch::matmul(h, wv));
            }
        }
        const QkTensors qk = projectQk(z, L, method, ms, inference);
        z = torch::Tensor(); // what the blocks read is qk

        // Inference keeps the attention output of one block only: the rest of the layer (gate, o_dense,
        // residual, norm) is local to each row and runs right after the block's A·V, updating h's rows in
        // place (later blocks read q, k and v, computed above, never h). Autograd keeps the whole output.
        auto out = scoresOnly || inference ? torch::Tensor() : torch::empty({B, n, E}, torch::kFloat32);
        const auto wu = L.iDense.narrow(0, 0, E).t();
        for (int64_t r0 = 0; r0 < n; r0 += blockRows) {
            if (cancel && cancel->isCancelled())
                throw Cancelled();
            const int64_t rows = std::min(blockRows, n - r0);
            bool normalise = false; // the softmax is still to do, in place, group by group below
            torch::Tensor a = blockAttention(qk, method, ms, r0, rows,
                                             inference ? bufferView(scoreBuf, rows, n) : torch::Tensor(), inference,
                                             &normalise);
            // One parallel pass over groups of rows: the softmax and the caller's per-row work (metrics,
            // pooling) while each group is still in cache, in one parallel region per block.
            const bool rowHook = hooks && hooks->onRows;
            if (normalise || rowHook) {
                if (rowHook && B != 1)
                    throw Error("internal error: row hooks need batch size 1");
                a = a.contiguous();
                float *data = a.data_ptr<float>();
                const int64_t group = rowHook ? std::max<int64_t>(1, hooks->groupRows) : 16;
                const int64_t total = B * rows, groups = (total + group - 1) / group;
                const auto &kern = kernels::kernels();
                at::parallel_for(0, groups, 1, [&](int64_t g0, int64_t g1) {
                    std::vector<double> entropy(static_cast<size_t>(group));
                    double *ent = normalise && rowHook ? entropy.data() : nullptr;
                    for (int64_t g = g0; g < g1; ++g) {
                        const int64_t q0 = g * group, count = std::min(group, total - q0);
                        if (normalise)
                            kern.softmaxRows(data + q0 * n, count, n, ent);
                        if (rowHook)
                            hooks->onRows(static_cast<int>(l), r0 + q0, count, data + q0 * n, ent);
                    }
                });
            }
            if (!scoresOnly) {
                auto outRows = inference ? bufferView(outBuf, rows, E) : out.narrow(1, r0, rows);
                if (B == 1) {
                    auto target = outRows[0];
                    torch::mm_out(target, a[0], v[0]); // straight into the output rows, no temporary
                } else if (inference) {
                    torch::bmm_out(outRows, a, v);
                } else {
                    outRows.copy_(torch::matmul(a, v));
                }
            }
            if (hooks && hooks->onBlock) // before the score buffer becomes scratch below
                hooks->onBlock(static_cast<int>(l), r0, a[0]);
            if (!scoresOnly && inference) {
                auto outRows = bufferView(outBuf, rows, E);
                auto gate = bufferView(scoreBuf, rows, E);
                auto y = scoreBuf.narrow(0, B * rows * E, B * rows * H).view({B, rows, H});
                auto hRows = h.narrow(1, r0, rows);
                if (B == 1) {
                    auto g2 = gate[0], y2 = y[0];
                    torch::mm_out(g2, hRows[0], wu);
                    outRows[0].mul_(silu(g2));
                    torch::mm_out(y2, outRows[0], L.oDense.t());
                } else {
                    torch::matmul_out(gate, hRows, wu);
                    outRows.mul_(silu(gate));
                    torch::matmul_out(y, outRows, L.oDense.t());
                }
                hRows.add_(y);
                rmsNormInPlace(hRows, eps);
            }
        }
        v = torch::Tensor();
        if (scoresOnly)
            h = torch::Tensor(); // no final hidden state: the caller said it does not need one
        else if (!inference)
            h = rmsNorm(h + torch::matmul(silu(torch::matmul(h, wu)) * out, L.oDense.t()), eps);
        if (hooks && hooks->onLayerDone)
            hooks->onLayerDone(static_cast<int>(l));
    }
    return h;
}

/// Exact attention rows of one layer under one method, recomputed from kept layer inputs: z, q and k of
/// the layer once (setLayer), then any block of rows through the same code as the forward's blocks.
struct GauModel::LayerRows
{
    LayerRows(const GauModel &model, const LayerInputs &inputs, const Method &method, int64_t T)
        : m_model(model)
        , m_inputs(inputs)
        , m_method(method)
    {
        const auto &c = model.m_ck->config;
        if (inputs.hiddenSize != c.hiddenSize || static_cast<int64_t>(inputs.layers.size()) != c.numLayers
            || inputs.length < 1)
            throw Error("layer inputs: they do not come from this model (" + std::to_string(inputs.layers.size())
                        + " layers of width " + std::to_string(inputs.hiddenSize) + ", the model has "
                        + std::to_string(c.numLayers) + " of width " + std::to_string(c.hiddenSize) + ")");
        m_n = inputs.length;
        m_ms = methodSetup(method, m_n, T, c.keySize);
    }
    int64_t length() const { return m_n; }
    void setLayer(int layer)
    {
        const auto &c = m_model.m_ck->config;
        if (layer < 0 || layer >= c.numLayers)
            throw Error("layer " + std::to_string(layer) + " does not exist (the model has " + std::to_string(c.numLayers)
                        + " layers)");
        if (layer == m_layer)
            return;
        const auto &data = m_inputs.layers[static_cast<size_t>(layer)];
        if (static_cast<int64_t>(data.size()) != m_n * c.hiddenSize)
            throw Error("layer inputs: layer " + std::to_string(layer) + " holds " + std::to_string(data.size())
                        + " values, not n·H = " + std::to_string(m_n * c.hiddenSize));
        const auto &L = m_model.m_ck->layers[static_cast<size_t>(layer)];
        auto h = torch::from_blob(const_cast<float *>(data.data()), {1, m_n, c.hiddenSize}, torch::kFloat32);
        auto z = torch::matmul(h, L.iDense.narrow(0, 2 * c.intermediateSize, c.keySize).t());
        torch::silu_(z);
        m_qk = projectQk(z, L, m_method, m_ms, true);
        m_layer = layer;
    }
    /// Rows r0 .. r0+rows-1 of the current layer, contiguous float32 [rows, n]: a view of a buffer reused by
    /// the next call (a fresh 16 MB block per call faulted its pages in every time: bench/README.md).
    torch::Tensor rows(int64_t r0, int64_t rows) const
    {
        bool normalise = false;
        if (m_scores.numel() < rows * m_n)
            m_scores = torch::empty({rows * m_n}, torch::kFloat32);
        const auto scores = m_scores.narrow(0, 0, rows * m_n).view({1, rows, m_n});
        auto a = blockAttention(m_qk, m_method, m_ms, r0, rows, scores, true, &normalise)[0].contiguous();
        if (normalise)
            softmaxInPlace(a.data_ptr<float>(), rows, m_n);
        return a;
    }

private:
    const GauModel &m_model;
    const LayerInputs &m_inputs;
    const Method &m_method;
    MethodSetup m_ms;
    QkTensors m_qk;
    mutable torch::Tensor m_scores;
    int64_t m_n = 0;
    int m_layer = -1;
};

std::vector<float> GauModel::attentionRows(const LayerInputs &inputs, int layer, const Method &method, int64_t T,
                                           int64_t row0, int64_t rows, const CancelToken *cancel) const
{
    c10::InferenceMode guard;
    LayerRows source(*this, inputs, method, T);
    const int64_t n = source.length();
    if (row0 < 0 || rows < 1 || row0 > n - rows)
        throw Error("rows " + std::to_string(row0) + ".." + std::to_string(row0 + rows - 1) + ": outside the "
                    + std::to_string(n) + " queries of the analysis");
    source.setLayer(layer);
    std::vector<float> out(static_cast<size_t>(rows * n));
    const int64_t block = std::max<int64_t>(1, kScoresPerBlock / n);
    for (int64_t r = 0; r < rows; r += block) {
        if (cancel && cancel->isCancelled())
            throw Cancelled();
        const int64_t count = std::min(block, rows - r);
        auto a = source.rows(row0 + r, count);
        std::memcpy(out.data() + r * n, a.data_ptr<float>(), sizeof(float) * static_cast<size_t>(count * n));
    }
    return out;
}

std::vector<double> GauModel::jsDivergence(const LayerInputs &a, const Method &methodA, const LayerInputs &b,
                                           const Method &methodB, int64_t T, const ProgressFn &progress,
                                           const CancelToken *cancel) const
{
    c10::InferenceMode guard;
    if (a.length != b.length)
        throw Error("jsDivergence: the analyses have different lengths (" + std::to_string(a.length) + " and "
                    + std::to_string(b.length) + ")");
    LayerRows ra(*this, a, methodA, T), rb(*this, b, methodB, T);
    const int64_t n = a.length;
    const int L = static_cast<int>(m_ck->config.numLayers);
    const int64_t block = std::min<int64_t>(n, std::max<int64_t>(16, kScoresPerBlock / n));
    std::vector<double> rowJs(static_cast<size_t>(n));
    std::vector<double> perLayer;
    for (int l = 0; l < L; ++l) {
        ra.setLayer(l);
        rb.setLayer(l);
        for (int64_t r0 = 0; r0 < n; r0 += block) {
            if (cancel && cancel->isCancelled())
                throw Cancelled();
            const int64_t rows = std::min(block, n - r0);
            const auto ta = ra.rows(r0, rows), tb = rb.rows(r0, rows);
            const float *pa = ta.data_ptr<float>(), *pb = tb.data_ptr<float>();
            at::parallel_for(0, rows, 4, [&](int64_t i0, int64_t i1) {
                for (int64_t i = i0; i < i1; ++i) {
                    rowJs[static_cast<size_t>(r0 + i)] = jsOfRows(pa + i * n, pb + i * n, n);
                }
            });
        }
        double sum = 0;
        for (double v : rowJs) // in row order: the same figure whatever the threads
            sum += v;
        perLayer.push_back(sum / static_cast<double>(n));
        if (progress)
            progress(static_cast<double>(l + 1) / L, "JS divergence, layer " + std::to_string(l + 1) + "/" + std::to_string(L));
    }
    return perLayer;
}

torch::Tensor GauModel::hidden(const torch::Tensor &ids, const Method &method, int64_t trainLength,
                               const CancelToken *cancel) const
{
    c10::InferenceMode guard;
    return forward(ids, method, trainLength, 0, nullptr, cancel);
}

torch::Tensor GauModel::trainingHidden(const torch::Tensor &ids, const Method &method, int64_t trainLength) const
{
    return forward(ids, method, trainLength, 0, nullptr, nullptr);
}

torch::Tensor GauModel::trainingLogits(const torch::Tensor &ids, const Method &method, int64_t trainLength) const
{
    auto h = forward(ids, method, trainLength, 0, nullptr, nullptr);
    return torch::matmul(h, m_ck->decoder.t());
}

torch::Tensor GauModel::logits(const torch::Tensor &ids, const Method &method, int64_t trainLength,
                               const CancelToken *cancel) const
{
    c10::InferenceMode guard;
    auto h = forward(ids, method, trainLength, 0, nullptr, cancel);
    return torch::matmul(h, m_ck->decoder.t());
}

AnalysisResult GauModel::analyze(const std::vector<int64_t> &ids, const AnalysisRequest &req,
                                 const ProgressFn &progress, const CancelToken *cancel) const
{
    c10::InferenceMode guard;
    const auto t0 = std::chrono::steady_clock::now();
    const auto &c = m_ck->config;
    const int64_t n = static_cast<int64_t>(ids.size());
    if (n < 1)
        throw Error("input: no tokens to analyse");
    for (int l : req.fullMapLayers)
        if (l < 0 || l >= c.numLayers)
            throw Error("layer " + std::to_string(l) + " does not exist (the model has " + std::to_string(c.numLayers)
                        + " layers)");

    AnalysisResult result;
    result.length = n;
    result.trainLength = req.trainLength;
    result.keySize = c.keySize;
    result.method = req.method.spec();
    result.tokens = ids;
    if (m_ck->tokenizer)
        for (auto id : ids)
            result.tokenTexts.push_back(m_ck->tokenizer->idToToken(id));

    const bool rawRows = req.method.temperature == Temperature::SquaredRelu;
    std::vector<int64_t> keyCounts; // n_i per row for the normalised entropy, when it is not n
    if (req.method.perRowKeyCount())
        for (int64_t i = 0; i < n; ++i)
            keyCounts.push_back(req.method.keyCountOf(i, n));
    // One layer's accumulator at a time (its per-row results are n·(6 + bins) doubles).
    std::unique_ptr<LayerMetricsAccumulator> acc;
    if (req.metrics)
        acc = std::make_unique<LayerMetricsAccumulator>(0, n, req.trainLength, rawRows, keyCounts);

    // Pooled maps (blocks aligned to the pool factor) and full maps, accumulated as the rows come.
    MapCollector maps(n, static_cast<int>(c.numLayers), 1, req.fullMapLayers, req.pooledMaps, req.maxPooledSize);
    const int64_t pool = maps.pool();

    int64_t blockRows = req.blockRows > 0 ? req.blockRows : std::max<int64_t>(16, kScoresPerBlock / n);
    blockRows = std::max<int64_t>(pool, (blockRows / pool) * pool);

    LayerHooks hooks;
    // Per-row work in the worker threads: metrics, and the pooled maps (a group is whole cell rows, so
    // each cell row belongs to one thread).
    hooks.groupRows = pool * std::max<int64_t>(1, 16 / pool);
    std::atomic<uint64_t> rowThreadMask{0}; // which of the intra-op threads ran per-row work
    hooks.onRows = [&](int layer, int64_t row0, int64_t rows, const float *src, const double *entropy) {
        rowThreadMask.fetch_or(uint64_t{1} << std::min(at::get_thread_num(), 63), std::memory_order_relaxed);
        if (req.metrics)
            acc->addRows(src, row0, rows, entropy);
        maps.addPooledRows(layer, 0, row0, rows, src);
    };
    // The comparison while the rows exist (AnalysisRequest::jsInputs): the other analysis's rows of each
    // block, recomputed from its kept layer inputs next to this block, and the JS of every row pair.
    std::optional<LayerRows> other;
    std::vector<double> rowJs;
    if (req.jsInputs) {
        if (req.jsInputs->length != n)
            throw Error("JS divergence: the compared analysis has length " + std::to_string(req.jsInputs->length)
                        + ", this one " + std::to_string(n));
        other.emplace(*this, *req.jsInputs, req.jsMethod, req.trainLength);
        rowJs.assign(static_cast<size_t>(n), 0.0);
    }
    // In order, one block at a time: the consumers that need the whole block or a sequence.
    if (req.rowSink || maps.keepsFullMaps() || other) {
        hooks.onBlock = [&](int layer, int64_t row0, const torch::Tensor &block) {
            const int64_t rows = block.size(0);
            auto contiguous = block.contiguous();
            const float *src = contiguous.data_ptr<float>();
            if (req.rowSink)
                req.rowSink(layer, 0, row0, rows, n, src);
            maps.addFullRows(layer, 0, row0, rows, src);
            if (other) {
                other->setLayer(layer);
                const auto theirs = other->rows(row0, rows);
                const float *pb = theirs.data_ptr<float>();
                at::parallel_for(0, rows, 4, [&](int64_t i0, int64_t i1) {
                    for (int64_t i = i0; i < i1; ++i)
                        rowJs[static_cast<size_t>(row0 + i)] = jsOfRows(pb + i * n, src + i * n, n);
                });
            }
        };
    }
    std::vector<LayerMetrics> layerMetrics;
    hooks.onLayerDone = [&](int layer) {
        if (other) { // in row order: the same figure whatever the threads
            double sum = 0;
            for (double v : rowJs)
                sum += v;
            result.jsDivergence.push_back(sum / static_cast<double>(n));
        }
        if (req.metrics) { // the per-row results of a finished layer are folded and freed
            layerMetrics.push_back(acc->finish());
            acc.reset();
            if (layer + 1 < c.numLayers)
                acc = std::make_unique<LayerMetricsAccumulator>(layer + 1, n, req.trainLength, rawRows, keyCounts);
        }
        if (progress)
            progress(static_cast<double>(layer + 1) / (c.numLayers + (req.mlmTop1 ? 1 : 0)),
                     "layer " + std::to_string(layer + 1) + "/" + std::to_string(c.numLayers));
    };

    std::shared_ptr<LayerInputs> inputs;
    if (req.keepLayerInputs) {
        inputs = std::make_shared<LayerInputs>();
        inputs->length = n;
        inputs->hiddenSize = c.hiddenSize;
        inputs->layers.resize(static_cast<size_t>(c.numLayers));
        hooks.onLayerInput = [&](int layer, const torch::Tensor &h) {
            auto &dst = inputs->layers[static_cast<size_t>(layer)];
            dst.resize(static_cast<size_t>(n * c.hiddenSize));
            std::memcpy(dst.data(), h.contiguous().data_ptr<float>(), sizeof(float) * dst.size());
        };
    }

    hooks.attentionOnly = !req.mlmTop1;
    auto idsT = torch::tensor(ids, torch::kInt64).unsqueeze(0);
    auto hAll = forward(idsT, req.method, req.trainLength, blockRows, &hooks, cancel);

    if (req.mlmTop1) {
        result.mlmTop1.resize(static_cast<size_t>(n));
        const int64_t rowsPerBlock = std::max<int64_t>(1, kScoresPerBlock / c.vocabSize);
        for (int64_t r0 = 0; r0 < n; r0 += rowsPerBlock) {
            if (cancel && cancel->isCancelled())
                throw Cancelled();
            const int64_t rows = std::min(rowsPerBlock, n - r0);
            auto top = torch::matmul(hAll[0].narrow(0, r0, rows), m_ck->decoder.t()).argmax(-1);
            auto ta = top.accessor<int64_t, 1>();
            for (int64_t r = 0; r < rows; ++r)
                result.mlmTop1[static_cast<size_t>(r0 + r)] = ta[r];
        }
        if (progress)
            progress(1.0, "MLM head");
    }

    result.layers = std::move(layerMetrics);
    result.maps = maps.finish();
    result.rowThreads = static_cast<int>(std::bitset<64>(rowThreadMask.load()).count());
    result.layerInputs = std::move(inputs);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

int64_t estimateAnalysisBytes(const GauConfig &c, int64_t n, const AnalysisRequest &req)
{
    const double H = static_cast<double>(c.hiddenSize), E = static_cast<double>(c.intermediateSize),
                 S = static_cast<double>(c.keySize), L = static_cast<double>(c.numLayers);
    const double nn = static_cast<double>(n);
    // The inference forward as it is laid out: h and v of one layer, z, q, k and their rotations;
    // one block of scores (also the tail's scratch) and of outputs, with room for the temporaries of the
    // masked and clamped methods (distances, masks, the far-side scores); one layer's per-row metrics.
    double bytes = nn * (H + E + 8 * S) * 4.0;
    const double rows = std::min(nn, std::max(16.0, static_cast<double>(kScoresPerBlock) / std::max(nn, 1.0)));
    bytes += rows * std::max(nn, E + H) * 4.0 * 10 + rows * E * 4.0;
    bytes += nn * (5.0 + distanceBinCount(n)) * 8.0 + nn * L * 8.0;
    bytes += static_cast<double>(req.fullMapLayers.size()) * nn * nn * 4.0; // kept full maps
    if (req.pooledMaps) {
        const double side = std::min<double>(nn, req.maxPooledSize);
        bytes += L * 2 * side * side * 4.0;
    }
    if (req.keepLayerInputs)
        bytes += L * nn * H * 4.0;
    if (req.jsInputs) // the compared rows: one layer's z, q and k, a block of weights and its temporaries
        bytes += nn * 8 * S * 4.0 + rows * nn * 4.0 * 3;
    return static_cast<int64_t>(std::min(bytes, 9.0e18));
}

void checkAnalysisMemory(const GauConfig &config, int64_t n, const AnalysisRequest &request, int64_t extraBytes)
{
    checkAvailableMemory(n, estimateAnalysisBytes(config, n, request) + std::max<int64_t>(0, extraBytes));
}

int64_t GauModel::estimateAnalysisBytes(int64_t n, const AnalysisRequest &request) const
{
    return entroscope::estimateAnalysisBytes(m_ck->config, n, request);
}

ModelInfo GauModel::info() const
{
    const auto &c = m_ck->config;
    ModelInfo i;
    i.family = "gau_alpha";
    i.numLayers = c.numLayers;
    i.keySize = c.keySize;
    i.hiddenSize = c.hiddenSize;
    i.vocabSize = c.vocabSize;
    i.trainLength = c.trainLength();
    i.dir = m_ck->dir;
    i.weightsFile = m_ck->weightsFile;
    return i;
}

int64_t availableMemoryBytes()
{
    std::ifstream in("/proc/meminfo");
    std::string key;
    int64_t value = 0;
    std::string unit;
    while (in >> key >> value >> unit)
        if (key == "MemAvailable:")
            return value * 1024;
    return 0;
}

std::string formatBytes(double bytes)
{
    const char *units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
    int u = 0;
    while (bytes >= 1000 && u < 6) {
        bytes /= 1000;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return buf;
}

} // namespace entroscope
