// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// What the masked-LM (GAU-α) and causal-LM (Llama) trainers share: the seeded generators that make a run a
// function of its options, the learning-rate schedule, and file reading. Internal to engine/train.

#include "errors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace entroscope::train {

// SplitMix64: independent, well-mixed seeds for (seed, stream, step) without a shared RNG state.
inline uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t z = a + 0x9E3779B97F4A7C15ULL * (b + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

inline torch::Generator generator(uint64_t seed, uint64_t stream, uint64_t step)
{
    return at::detail::createCPUGenerator(mix(mix(seed, stream), step));
}

enum Stream : uint64_t { kInit = 1, kBatch = 2, kHeldOut = 3 };

/// Linear warm-up from 0 to lr over `warmup` steps, then cosine decay to minRatio·lr at `steps`; step counts
/// from 0 and the update of step k uses schedule(k).
inline double learningRate(int64_t step, double lr, int64_t warmup, int64_t steps, double minRatio)
{
    if (warmup > 0 && step < warmup)
        return lr * double(step + 1) / double(warmup);
    const double span = double(std::max<int64_t>(1, steps - warmup));
    const double progress = std::clamp(double(step - warmup) / span, 0.0, 1.0);
    const double cosine = 0.5 * (1 + std::cos(M_PI * progress));
    return lr * (minRatio + (1 - minRatio) * cosine);
}

inline std::string readFile(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path.string() + ": cannot read the file");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace entroscope::train
