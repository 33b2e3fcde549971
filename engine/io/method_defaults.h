// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// MethodDefaults: what a checkpoint says about the attention it was trained with. It is what `native`
// means on each axis of a method (METHODS.md §1) and what untrainedAxes compares a method against. Each
// config family makes one (GauConfig::methodDefaults, LlamaConfig::methodDefaults); Method reads nothing
// else of a config.

#include "io/rope_scaling.h"

#include <optional>
#include <string>

namespace entroscope {

struct MethodDefaults
{
    std::string normalization = "softmax"; ///< the trained temperature: softmax | softmax_plus | squared_relu
    bool cosScale = false;                 ///< trained with CosScale (HT-NEKO's norm_method "CosScale")
    std::optional<double> cosScaleValue;   ///< its S, where the checkpoint records it
    std::optional<RopeScaling> ropeScaling; ///< what the `native` position applies; none: plain rope
};

} // namespace entroscope
