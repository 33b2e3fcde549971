// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// config.json of a Hugging Face Llama-family checkpoint (model_type llama, mistral, qwen2): the fields the
// forward of METHODS.md §6 needs, with each family's defaults (llama_family.md §1).

#include "io/method_defaults.h"
#include "io/rope_scaling.h"

#include <cstdint>
#include <optional>
#include <string>

namespace entroscope {

struct LlamaConfig
{
    std::string modelType = "llama"; ///< llama | mistral | qwen2
    int64_t vocabSize = 32000;
    int64_t hiddenSize = 4096;
    int64_t intermediateSize = 11008;
    int64_t numLayers = 32;
    int64_t numHeads = 32;
    int64_t numKvHeads = 32;
    int64_t headDim = 128; ///< head_dim, else hidden_size / num_attention_heads
    int64_t maxPositionEmbeddings = 2048;
    double rmsNormEps = 1e-6;
    double ropeTheta = 10000.0;
    bool tieWordEmbeddings = false;
    bool qkvBias = false; ///< qwen2 always; llama with attention_bias
    bool oBias = false;   ///< llama with attention_bias
    bool mlpBias = false; ///< llama with mlp_bias
    /// The model's own sliding window (keys j with i − j < W visible): mistral on every layer, qwen2 with
    /// use_sliding_window on the layers from max_window_layers on.
    std::optional<int64_t> slidingWindow;
    int64_t maxWindowLayers = 0;
    std::optional<int64_t> originalMaxPositionEmbeddings; ///< rope_scaling.original_max_position_embeddings
    /// rope_scaling of type linear, dynamic, yarn or llama3 (none for default): the `native` position.
    std::optional<RopeScaling> ropeScaling;

    int64_t queriesPerKvHead() const { return numHeads / numKvHeads; }
    /// T of METHODS.md §6: rope_scaling.original_max_position_embeddings, else max_position_embeddings.
    int64_t trainLength() const { return originalMaxPositionEmbeddings.value_or(maxPositionEmbeddings); }
    /// The model's own window at a layer, if it has one there.
    std::optional<int64_t> windowOfLayer(int64_t layer) const;
    /// What Method::parse reads of a checkpoint (its `native` axes): softmax, plain q/k, key size head_dim,
    /// and its rope_scaling (the `native` position, the default of an empty --position; plain rope without).
    MethodDefaults methodDefaults() const;

    /// Parses and validates; throws Error naming `path` and the key for bad JSON, wrong types, an
    /// unsupported model_type or rope_scaling type (longrope, ...), a rope_scaling field that is missing or
    /// out of range (factor ≤ 0, ...), or inconsistent sizes (heads not a multiple of KV heads).
    static LlamaConfig fromJsonText(const std::string &text, const std::string &path);
    static LlamaConfig fromFile(const std::string &path);
};

/// The model_type of a config.json ("gau_alpha" when the key is absent, as GAU-α's released config has none
/// of its own family). Throws Error naming the file when it cannot be read or parsed.
std::string readModelType(const std::string &configPath);
/// Whether a model_type is one of the Llama family this engine runs.
bool isLlamaFamily(const std::string &modelType);

} // namespace entroscope
