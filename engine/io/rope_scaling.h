// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// A checkpoint's own rope_scaling (Hugging Face's rope_scaling / rope_parameters, llama_family.md §1.3-1.4),
// parsed and validated by LlamaConfig, applied by ropeSetup as the `native` position (METHODS.md §6).

#include <cstdint>
#include <optional>
#include <string>

namespace entroscope {

struct RopeScaling
{
    enum class Type { Linear, Dynamic, Yarn, Llama3 };
    Type type = Type::Linear;
    double factor = 1.0;
    /// Resolved original context: the dict's original_max_position_embeddings, else max_position_embeddings
    /// (what HF's dynamic and yarn fall back to; llama3 requires the key).
    int64_t originalMax = 0;
    // yarn (the newer modeling_rope_utils: mscale pair, truncate; llama_family.md §1.4)
    double betaFast = 32.0;
    double betaSlow = 1.0;
    std::optional<double> mscale, mscaleAllDim, attentionFactor;
    bool truncate = true;
    // llama3
    double lowFreqFactor = 1.0;
    double highFreqFactor = 4.0;

    std::string typeName() const
    {
        switch (type) {
        case Type::Linear: return "linear";
        case Type::Dynamic: return "dynamic";
        case Type::Yarn: return "yarn";
        case Type::Llama3: return "llama3";
        }
        return "linear";
    }
};

} // namespace entroscope
