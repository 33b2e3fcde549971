// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// A Hugging Face Llama-family checkpoint folder (llama_family.md §2): config.json and the weights from
// model.safetensors, sharded model-0000k-of-0000n.safetensors with model.safetensors.index.json, or
// pytorch_model.bin (the restricted unpickler). Matrices stored as BF16/F16 are held in that dtype (views of
// the memory-mapped safetensors file) and converted to float32 by the model one layer at a time; vectors and
// every other dtype are held in float32.

#include "io/llama_config.h"
#include "io/pickle_reader.h"
#include "text/tokenizer.h"

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace entroscope {

struct LlamaCheckpoint
{
    struct Layer
    {
        torch::Tensor inputNorm, postNorm;      ///< [H]
        torch::Tensor q, k, v, o;               ///< [nh·hd, H], [nkv·hd, H], [nkv·hd, H], [H, nh·hd]
        torch::Tensor qBias, kBias, vBias, oBias; ///< undefined when the family has none
        torch::Tensor gate, up, down;           ///< [I, H], [I, H], [H, I]
        torch::Tensor gateBias, upBias, downBias;
    };

    std::string dir;
    std::string weightsFile; ///< the file (or the index of the shards) the tensors came from
    LlamaConfig config;
    torch::Tensor embed;  ///< [V, H]
    torch::Tensor norm;   ///< [H]
    torch::Tensor lmHead; ///< [V, H]; the embedding itself when tied
    std::vector<Layer> layers;
    std::shared_ptr<const Tokenizer> tokenizer; ///< null when the folder has none
    /// The memory-mapped weight files (safetensors, every shard) as they were when loaded: the forward drops
    /// their pages after each layer and reads them again from the file next time.
    struct MappedFile
    {
        std::string path;
        uint64_t size = 0;
        int64_t mtimeNs = 0;
    };
    std::vector<MappedFile> mappedFiles;
    /// Throws Error naming the first mapped file whose size or modification time differs from when it was
    /// loaded: the weights read again would not be the loaded ones (or, truncated, not be there at all). The
    /// forward checks before each pass; a file replaced during one pass is not caught.
    void checkFilesUnchanged() const;

    /// Loads and validates config, weights and tokenizer. Throws Error naming the folder, file or tensor and
    /// the reason: missing or mis-shaped tensors, unexpected ones, a shard that is absent or lacks a tensor
    /// the index maps to it, non-finite values. Nothing in the files is executed.
    static std::shared_ptr<const LlamaCheckpoint> load(const std::string &dir);
    /// From tensors in memory (tests), under their Hugging Face names; same validation as load().
    static std::shared_ptr<const LlamaCheckpoint> fromStateDict(const LlamaConfig &config, const StateDict &tensors,
                                                                const std::string &origin);
    int64_t parameterCount() const;
};

} // namespace entroscope
