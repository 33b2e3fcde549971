// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "model/rope.h"

#include <torch/torch.h>

#include <cmath>

namespace entroscope {
namespace {

/// YaRN's attention factor for scale s (Hugging Face's get_mscale): 1 when s ≤ 1, else 0.1·m·ln s + 1.
double yarnMscale(double s, double m = 1.0)
{
    return s <= 1 ? 1.0 : 0.1 * m * std::log(s) + 1.0;
}

/// The checkpoint's rope_scaling as Hugging Face's _compute_{linear_scaling,dynamic_ntk,yarn,llama3}_parameters
/// compute it (llama_family.md §1.4), at every n; dynamic NTK with seq_len = n, as HF recomputes it for a
/// sequence of n positions.
void applyNative(RopeSetup &r, const RopeScaling &sc, int64_t n, int64_t d, double b, const torch::Tensor &idx)
{
    const double dd = static_cast<double>(d), factor = sc.factor, L0 = static_cast<double>(sc.originalMax);
    auto inv = torch::pow(b, -2.0 * idx / dd);
    switch (sc.type) {
    case RopeScaling::Type::Linear: r.invFreq = inv / factor; return;
    case RopeScaling::Type::Dynamic: {
        if (static_cast<double>(n) > L0) {
            const double base = b * std::pow(factor * static_cast<double>(n) / L0 - (factor - 1.0), dd / (dd - 2.0));
            inv = torch::pow(base, -2.0 * idx / dd);
        }
        r.invFreq = inv;
        return;
    }
    case RopeScaling::Type::Yarn: {
        auto corrDim = [&](double rotations) { return dd * std::log(L0 / (rotations * 2.0 * M_PI)) / (2.0 * std::log(b)); };
        double lo = corrDim(sc.betaFast), hi = corrDim(sc.betaSlow);
        if (sc.truncate) {
            lo = std::floor(lo);
            hi = std::ceil(hi);
        }
        lo = std::max(lo, 0.0);
        hi = std::min(hi, dd - 1.0);
        if (lo == hi)
            hi += 0.001;
        auto extrapolation = 1.0 - ((idx - lo) / (hi - lo)).clamp(0.0, 1.0);
        r.invFreq = (inv / factor) * (1.0 - extrapolation) + inv * extrapolation;
        double af = 0;
        if (sc.attentionFactor)
            af = *sc.attentionFactor;
        else if (sc.mscale.value_or(0) != 0 && sc.mscaleAllDim.value_or(0) != 0)
            af = yarnMscale(factor, *sc.mscale) / yarnMscale(factor, *sc.mscaleAllDim);
        else
            af = yarnMscale(factor);
        r.scoreScale = af * af; // HF multiplies cos and sin by it: q and k each carry it
        return;
    }
    case RopeScaling::Type::Llama3: {
        const double lowWavelen = L0 / sc.lowFreqFactor, highWavelen = L0 / sc.highFreqFactor;
        auto wavelen = 2.0 * M_PI / inv;
        auto scaled = torch::where(wavelen > lowWavelen, inv / factor, inv);
        auto smooth = (L0 / wavelen - sc.lowFreqFactor) / (sc.highFreqFactor - sc.lowFreqFactor);
        auto smoothed = (1.0 - smooth) * scaled / factor + smooth * scaled;
        auto medium = (wavelen >= highWavelen).logical_and(wavelen <= lowWavelen);
        r.invFreq = torch::where(medium, smoothed, scaled);
        return;
    }
    }
}

} // namespace

RopeSetup ropeSetup(const Method &m, int64_t n, int64_t T, int64_t d, double b)
{
    RopeSetup r;
    const auto dbl = torch::TensorOptions().dtype(torch::kFloat64);
    auto idx = torch::arange(0, d / 2, dbl);
    if (m.position.kind == PositionKind::Native && m.position.scaling) {
        applyNative(r, *m.position.scaling, n, d, b, idx);
        return r;
    }
    // pi, ntk, yarn scale by s = n/T when n > T, or by a fixed factor F at every n (pi:F, ntk:F, yarn:F).
    const double F = m.position.factor;
    const bool scaled = F > 0 || n > T;
    const double s = F > 0 ? F : static_cast<double>(n) / static_cast<double>(T);
    double base = b;
    if (m.position.kind == PositionKind::Ntk && scaled)
        base = b * std::pow(s, static_cast<double>(d) / (d - 2));
    r.invFreq = torch::pow(base, -2.0 * idx / static_cast<double>(d));
    if (m.position.kind == PositionKind::Pi && scaled)
        r.positionScale = F > 0 ? 1.0 / F : static_cast<double>(T) / static_cast<double>(n);
    if (m.position.kind == PositionKind::Yarn && scaled) {
        int64_t lo = 0, hi = 0;
        yarnRampLimits(d, T, b, lo, hi);
        const double span = std::max<double>(static_cast<double>(hi - lo), 1e-3);
        auto ramp = 1.0 - ((idx - static_cast<double>(lo)) / span).clamp(0.0, 1.0);
        r.invFreq = (r.invFreq / s) * (1.0 - ramp) + r.invFreq * ramp;
        const double f = yarnMscale(s);
        r.scoreScale = f * f;
    }
    return r;
}

std::pair<torch::Tensor, torch::Tensor> ropeTables(const torch::Tensor &positions, const torch::Tensor &invFreq)
{
    auto ang = positions.unsqueeze(1) * invFreq.unsqueeze(0);
    return {torch::cos(ang).to(torch::kFloat32), torch::sin(ang).to(torch::kFloat32)};
}

} // namespace entroscope
