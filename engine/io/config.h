// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

#include "io/method_defaults.h"

#include <cstdint>
#include <optional>
#include <string>

namespace entroscope {

/// The fields of a GAU-α config.json that the forward pass needs, with the defaults of GAUAlphaConfig
/// (gau_alpha.md §4) and the HT-NEKO extras (norm_method, my_info_dict).
struct GauConfig
{
    int64_t vocabSize = 12000;
    int64_t hiddenSize = 768;
    int64_t embeddingSize = 768;
    int64_t intermediateSize = 1536;
    int64_t numLayers = 24;
    int64_t keySize = 128; ///< attention_key_size, d
    int64_t typeVocabSize = 2;
    int64_t maxPositionEmbeddings = 512;
    int64_t padTokenId = 0;
    std::string hiddenAct = "swish";
    std::string normalization = "softmax_plus"; ///< softmax | softmax_plus | squared_relu
    std::string normMethod;                     ///< "" | "CosScale" | "noCosScale" (HT-NEKO)
    bool attentionScale = true;
    bool useBias = false;
    double layerNormEps = 1e-12;
    std::optional<int64_t> trainLen;      ///< my_info_dict.train_len
    std::optional<double> cosScaleValue;  ///< my_info_dict.train_norm_method.CosScale_value

    /// T of METHODS.md §2: my_info_dict.train_len, else max_position_embeddings.
    int64_t trainLength() const { return trainLen.value_or(maxPositionEmbeddings); }
    bool trainedWithCosScale() const { return normMethod == "CosScale"; }
    /// What methods take from this config: normalization, CosScale and its S (no rope_scaling).
    MethodDefaults methodDefaults() const { return {normalization, trainedWithCosScale(), cosScaleValue, std::nullopt}; }

    /// Parses and validates; throws Error naming `path` and the key on bad JSON, wrong types,
    /// or values this engine cannot run (e.g. use_bias, embedding_size != hidden_size).
    static GauConfig fromFile(const std::string &path);
    static GauConfig fromJsonText(const std::string &text, const std::string &path);
    /// Serialises with the HT-NEKO fields, for checkpoints this project writes.
    std::string toJsonText() const;
};

} // namespace entroscope
