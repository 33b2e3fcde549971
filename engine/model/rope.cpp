// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "model/rope.h"

#include <torch/torch.h>

#include <cmath>

namespace entroscope {

RopeSetup ropeSetup(const Method &m, int64_t n, int64_t T, int64_t d, double b)
{
    RopeSetup r;
    const auto dbl = torch::TensorOptions().dtype(torch::kFloat64);
    auto idx = torch::arange(0, d / 2, dbl);
    double base = b;
    const bool longer = n > T;
    if (m.position.kind == PositionKind::Ntk && longer)
        base = b * std::pow(static_cast<double>(n) / T, static_cast<double>(d) / (d - 2));
    r.invFreq = torch::pow(base, -2.0 * idx / static_cast<double>(d));
    if (m.position.kind == PositionKind::Pi && longer)
        r.positionScale = static_cast<double>(T) / static_cast<double>(n);
    if (m.position.kind == PositionKind::Yarn && longer) {
        const double s = static_cast<double>(n) / T;
        int64_t lo = 0, hi = 0;
        yarnRampLimits(d, T, b, lo, hi);
        const double span = std::max<double>(static_cast<double>(hi - lo), 1e-3);
        auto ramp = 1.0 - ((idx - static_cast<double>(lo)) / span).clamp(0.0, 1.0);
        r.invFreq = (r.invFreq / s) * (1.0 - ramp) + r.invFreq * ramp;
        const double f = 0.1 * std::log(s) + 1.0;
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
