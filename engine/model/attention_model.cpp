// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "model/attention_model.h"

#include "errors.h"
#include "io/llama_config.h"
#include "model/gau_model.h"
#include "model/llama_model.h"

#include <filesystem>

namespace entroscope {

AttentionModel::~AttentionModel() = default;

std::shared_ptr<const AttentionModel> loadAttentionModel(const std::string &dir)
{
    std::error_code ec;
    if (dir.empty())
        throw Error("--model: no model folder given");
    if (!std::filesystem::is_directory(dir, ec))
        throw Error(dir + ": model folder does not exist");
    const auto config = (std::filesystem::path(dir) / "config.json").string();
    if (!std::filesystem::exists(config, ec))
        throw Error(config + ": missing (a Hugging Face model folder has config.json)");
    const std::string type = readModelType(config);
    if (isLlamaFamily(type))
        return std::make_shared<LlamaModel>(LlamaCheckpoint::load(dir));
    if (type == "gau_alpha")
        return std::make_shared<GauModel>(Checkpoint::load(dir));
    throw Error(config + ": \"model_type\" is \"" + type
                + "\"; EntroScope runs gau_alpha and the Llama family (llama, mistral, qwen2)");
}

void checkAnalysisMemory(const AttentionModel &model, int64_t n, const AnalysisRequest &request, int64_t extraBytes)
{
    checkAvailableMemory(n, model.estimateAnalysisBytes(n, request) + std::max<int64_t>(0, extraBytes));
}

void checkAvailableMemory(int64_t n, int64_t need)
{
    const int64_t avail = availableMemoryBytes();
    if (avail > 0 && static_cast<double>(need) > 0.9 * static_cast<double>(avail))
        throw Error("length " + std::to_string(n) + " needs about " + formatBytes(static_cast<double>(need))
                    + " of memory but only " + formatBytes(static_cast<double>(avail)) + " is available");
}

} // namespace entroscope
