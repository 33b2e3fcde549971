// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// RoPE frequencies of a method at length n (METHODS.md §1.2), shared by every model family. The layout of
// the rotation (GAU-α's interleaved pairs, the Llama family's half split) is each model's own.

#include "model/method.h"

#include <torch/types.h>

#include <utility>

namespace entroscope {

/// Inverse frequencies, the positions' scale and the scores' scale of a method at length n.
struct RopeSetup
{
    torch::Tensor invFreq; ///< [d/2] float64
    double positionScale = 1.0; ///< PI's T/n (1/F for pi:F)
    double scoreScale = 1.0;    ///< YaRN's (0.1 ln s + 1)^2; HF's attention_scaling² under native
};

/// For key size d, training length T and RoPE base b: pi, ntk and yarn change the frequencies or positions
/// when n > T (by s = n/T), or at every n by their fixed factor F; native applies the checkpoint's
/// rope_scaling as Hugging Face does (inv_freq and attention_scaling², llama_family.md §1.4); every other
/// position mode uses plain RoPE.
RopeSetup ropeSetup(const Method &m, int64_t n, int64_t T, int64_t d, double base);

/// cos/sin tables [P, d/2] float32 for float64 positions [P] (angles in float64, as METHODS.md asks).
std::pair<torch::Tensor, torch::Tensor> ropeTables(const torch::Tensor &positions, const torch::Tensor &invFreq);

} // namespace entroscope
