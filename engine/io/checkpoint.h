// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

#include "io/config.h"
#include "io/pickle_reader.h"
#include "text/tokenizer.h"

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace entroscope {

/// A GAU-α checkpoint loaded from a Hugging Face-style folder: config.json, the weights
/// (model.safetensors or pytorch_model.bin) and the tokenizer (vocab.txt or *.model).
/// Immutable after load; safe to share between threads (read-only tensors).
struct Checkpoint
{
    struct Layer
    {
        torch::Tensor iDense; ///< [2E+S, H] rows u | v | qk
        torch::Tensor oDense; ///< [H, E]
        torch::Tensor qGamma; ///< [S]
        torch::Tensor kGamma; ///< [S]
    };

    std::string dir;
    std::string weightsFile; ///< the file the tensors came from
    GauConfig config;
    torch::Tensor wordEmbeddings; ///< [V, H]
    torch::Tensor typeEmbeddings; ///< [types, H]
    torch::Tensor decoder;        ///< [V, H]; the word embeddings when the file has no decoder key (tied)
    std::vector<Layer> layers;
    std::shared_ptr<const Tokenizer> tokenizer; ///< null when the folder has no tokenizer file

    /// Loads and validates everything (shapes against config.json, finite values). Throws Error naming
    /// the folder/file/key and the reason. Nothing in the files is executed.
    static std::shared_ptr<const Checkpoint> load(const std::string &dir);

    /// Builds a checkpoint from tensors already in memory (training, tests). Same validation as load().
    static std::shared_ptr<const Checkpoint> fromStateDict(const GauConfig &config, const StateDict &tensors,
                                                           const std::string &origin);

    /// The tensors under their canonical Hugging Face names (with the `gau_alpha.` prefix and
    /// the tied decoder key), as written by save().
    StateDict stateDict() const;
    int64_t parameterCount() const;
};

} // namespace entroscope
