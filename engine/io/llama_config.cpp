// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "io/llama_config.h"

#include "io/json_fields.h"
#include "model/method.h"

#include <cmath>

namespace entroscope {
using namespace json_fields;

namespace {

/// A positive number the type needs (`required`) or may have; one line naming the field and the reason.
std::optional<double> positive(const json &rope, const char *key, bool required, const std::string &type,
                               const std::string &where)
{
    auto it = rope.find(key);
    if (it == rope.end() || it->is_null()) {
        if (required)
            throw Error(where + ": type \"" + type + "\" needs \"" + key + "\"");
        return std::nullopt;
    }
    const double v = readDouble(rope, key, 0, where);
    if (!(v > 0) || !std::isfinite(v))
        throw Error(where + ": \"" + key + "\" must be > 0, got " + it->dump());
    return v;
}

/// Hugging Face's rope_scaling of a type (llama_family.md §1.3-1.4): linear, dynamic, yarn, llama3.
RopeScaling parseRopeScaling(const json &rope, const std::string &type, const LlamaConfig &c, const std::string &where)
{
    RopeScaling r;
    if (type == "linear")
        r.type = RopeScaling::Type::Linear;
    else if (type == "dynamic")
        r.type = RopeScaling::Type::Dynamic;
    else if (type == "yarn")
        r.type = RopeScaling::Type::Yarn;
    else if (type == "llama3")
        r.type = RopeScaling::Type::Llama3;
    else
        throw Error(where + ": type \"" + type
                    + "\" is not supported (EntroScope applies default, linear, dynamic, yarn and llama3; run pi, "
                      "ntk or yarn as a method instead)");
    r.factor = *positive(rope, "factor", true, type, where);
    const bool llama3 = r.type == RopeScaling::Type::Llama3;
    if (llama3 && !c.originalMaxPositionEmbeddings)
        throw Error(where + ": type \"llama3\" needs \"original_max_position_embeddings\"");
    r.originalMax = c.originalMaxPositionEmbeddings.value_or(c.maxPositionEmbeddings);
    if (r.type == RopeScaling::Type::Yarn) {
        // HF reads beta_fast/beta_slow with `or` (absent, null or 0 take the paper's 32 and 1).
        r.betaFast = readDouble(rope, "beta_fast", 0, where);
        r.betaSlow = readDouble(rope, "beta_slow", 0, where);
        if (r.betaFast == 0)
            r.betaFast = 32.0;
        if (r.betaSlow == 0)
            r.betaSlow = 1.0;
        if (!(r.betaFast > 0) || !(r.betaSlow > 0))
            throw Error(where + ": \"beta_fast\" and \"beta_slow\" must be > 0");
        r.attentionFactor = positive(rope, "attention_factor", false, type, where);
        if (rope.contains("mscale") && !rope["mscale"].is_null())
            r.mscale = readDouble(rope, "mscale", 0, where);
        if (rope.contains("mscale_all_dim") && !rope["mscale_all_dim"].is_null())
            r.mscaleAllDim = readDouble(rope, "mscale_all_dim", 0, where);
        r.truncate = readBool(rope, "truncate", true, where);
    }
    if (llama3) {
        r.lowFreqFactor = *positive(rope, "low_freq_factor", true, type, where);
        r.highFreqFactor = *positive(rope, "high_freq_factor", true, type, where);
        if (!(r.highFreqFactor > r.lowFreqFactor))
            throw Error(where + ": \"high_freq_factor\" (" + formatNumber(r.highFreqFactor)
                        + ") must be > \"low_freq_factor\" (" + formatNumber(r.lowFreqFactor) + ")");
    }
    return r;
}

} // namespace

bool isLlamaFamily(const std::string &modelType)
{
    return modelType == "llama" || modelType == "mistral" || modelType == "qwen2";
}

std::string readModelType(const std::string &configPath)
{
    const json j = parseObject(readFileText(configPath, "config.json"), configPath);
    return readString(j, "model_type", "gau_alpha", configPath);
}

std::optional<int64_t> LlamaConfig::windowOfLayer(int64_t layer) const
{
    if (!slidingWindow)
        return std::nullopt;
    if (modelType == "qwen2" && layer < maxWindowLayers)
        return std::nullopt;
    return slidingWindow;
}

MethodDefaults LlamaConfig::methodDefaults() const
{
    // softmax, plain q·k, and the checkpoint's rope_scaling as what `native` (the default position) applies.
    return {"softmax", false, std::nullopt, ropeScaling};
}

LlamaConfig LlamaConfig::fromFile(const std::string &path)
{
    return fromJsonText(readFileText(path, "config.json"), path);
}

LlamaConfig LlamaConfig::fromJsonText(const std::string &text, const std::string &path)
{
    const json j = parseObject(text, path);
    LlamaConfig c;
    c.modelType = readString(j, "model_type", "", path);
    if (!isLlamaFamily(c.modelType))
        throw Error(path + ": \"model_type\" is \"" + c.modelType
                    + "\", not one of the Llama family EntroScope runs (llama, mistral, qwen2)");
    const bool mistral = c.modelType == "mistral", qwen2 = c.modelType == "qwen2";
    // Each family's defaults for absent keys (llama_family.md §1.1).
    if (mistral) {
        c.intermediateSize = 14336;
        c.maxPositionEmbeddings = 131072;
    } else if (qwen2) {
        c.vocabSize = 151936;
        c.intermediateSize = 22016;
        c.maxPositionEmbeddings = 32768;
    }
    c.vocabSize = readInt(j, "vocab_size", c.vocabSize, path, 1, int64_t{1} << 24);
    c.hiddenSize = readInt(j, "hidden_size", c.hiddenSize, path, 1, int64_t{1} << 18);
    c.intermediateSize = readInt(j, "intermediate_size", c.intermediateSize, path, 1, int64_t{1} << 20);
    c.numLayers = readInt(j, "num_hidden_layers", c.numLayers, path, 1, 4096);
    c.numHeads = readInt(j, "num_attention_heads", c.numHeads, path, 1, 4096);
    c.numKvHeads = readInt(j, "num_key_value_heads", mistral ? 8 : c.numHeads, path, 1, 4096);
    if (c.numHeads % c.numKvHeads != 0)
        throw Error(path + ": \"num_attention_heads\" (" + std::to_string(c.numHeads)
                    + ") is not a multiple of \"num_key_value_heads\" (" + std::to_string(c.numKvHeads) + ")");
    if (!j.contains("head_dim") || j["head_dim"].is_null()) {
        if (c.hiddenSize % c.numHeads != 0)
            throw Error(path + ": \"hidden_size\" (" + std::to_string(c.hiddenSize)
                        + ") is not a multiple of \"num_attention_heads\" (" + std::to_string(c.numHeads)
                        + ") and there is no \"head_dim\"");
        c.headDim = c.hiddenSize / c.numHeads;
    } else {
        c.headDim = readInt(j, "head_dim", 0, path, 2, int64_t{1} << 14);
    }
    if (c.headDim % 2 != 0)
        throw Error(path + ": the head size " + std::to_string(c.headDim) + " must be even for RoPE");
    c.maxPositionEmbeddings = readInt(j, "max_position_embeddings", c.maxPositionEmbeddings, path, 1);
    c.rmsNormEps = readDouble(j, "rms_norm_eps", c.rmsNormEps, path);
    if (!(c.rmsNormEps >= 0))
        throw Error(path + ": \"rms_norm_eps\" must be >= 0");
    const std::string act = readString(j, "hidden_act", "silu", path);
    if (act != "silu" && act != "swish")
        throw Error(path + ": \"hidden_act\" is \"" + act + "\", the Llama family uses silu");
    c.tieWordEmbeddings = readBool(j, "tie_word_embeddings", false, path);
    if (qwen2) {
        c.qkvBias = true; // q, k, v always carry a bias, o never (llama_family.md §3.9)
    } else if (!mistral) {
        c.qkvBias = c.oBias = readBool(j, "attention_bias", false, path);
        c.mlpBias = readBool(j, "mlp_bias", false, path);
    }
    if (mistral) {
        const int64_t w = readInt(j, "sliding_window", 4096, path, 1);
        if (!j.contains("sliding_window") || !j["sliding_window"].is_null())
            c.slidingWindow = w;
    } else if (qwen2 && readBool(j, "use_sliding_window", false, path)) {
        c.slidingWindow = readInt(j, "sliding_window", 4096, path, 1);
        c.maxWindowLayers = readInt(j, "max_window_layers", 28, path, 0);
    }

    // RoPE: rope_theta at the top (v4) or in rope_parameters (v5); rope_scaling or rope_parameters' type.
    const json *rope = nullptr;
    bool v5 = false;
    if (auto it = j.find("rope_parameters"); it != j.end() && it->is_object())
        rope = &*it, v5 = true;
    else if (auto it2 = j.find("rope_scaling"); it2 != j.end() && !it2->is_null()) {
        if (!it2->is_object())
            throw Error(path + ": \"rope_scaling\" must be an object or null, got " + it2->dump());
        rope = &*it2;
    }
    c.ropeTheta = readDouble(j, "rope_theta", c.ropeTheta, path);
    if (rope) {
        const std::string where = path + (v5 ? " rope_parameters" : " rope_scaling");
        c.ropeTheta = readDouble(*rope, "rope_theta", c.ropeTheta, where);
        std::string type = readString(*rope, "type", "default", where);
        type = readString(*rope, "rope_type", type, where); // rope_type wins, type is its older alias
        if (rope->contains("original_max_position_embeddings"))
            c.originalMaxPositionEmbeddings = readInt(*rope, "original_max_position_embeddings", 0, where, 1);
        if (type != "default")
            c.ropeScaling = parseRopeScaling(*rope, type, c, where);
    }
    if (!(c.ropeTheta > 1))
        throw Error(path + ": \"rope_theta\" must be > 1");
    // Partial rotary (a RoPE dimension below head_dim, llama_family.md §1.2): Hugging Face's rope init reads
    // it, but the Llama/Mistral/Qwen2 attention rotates the whole head, so no checkpoint of these families runs
    // with one. Accept 1 (a no-op), refuse anything else instead of silently rotating every dimension.
    for (const auto &[obj, where] : {std::pair{&j, path}, std::pair{rope, path + (v5 ? " rope_parameters" : " rope_scaling")}})
        if (obj && obj->contains("partial_rotary_factor")) {
            const double f = readDouble(*obj, "partial_rotary_factor", 1.0, where);
            if (f != 1.0)
                throw Error(where + ": \"partial_rotary_factor\" " + json(f).dump()
                            + " is not supported: the Llama family rotates the whole head (only 1 is accepted)");
        }
    return c;
}

} // namespace entroscope
