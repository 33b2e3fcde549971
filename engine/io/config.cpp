// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "io/config.h"

#include "errors.h"

#include "io/json_fields.h"
#include "io/llama_config.h"

namespace entroscope {
using namespace json_fields;

GauConfig GauConfig::fromFile(const std::string &path)
{
    return fromJsonText(readFileText(path, "config.json"), path);
}

GauConfig GauConfig::fromJsonText(const std::string &text, const std::string &path)
{
    const json j = parseObject(text, path);

    GauConfig c;
    const std::string modelType = readString(j, "model_type", "gau_alpha", path);
    if (isLlamaFamily(modelType))
        throw Error(path + ": \"model_type\" is \"" + modelType
                    + "\": Llama-family folders open in `entroscope-cli analyze` only for now (the workbench, sweep, "
                      "compare, evaluate and train take GAU-α)");
    if (modelType != "gau_alpha")
        throw Error(path + ": \"model_type\" is \"" + modelType
                    + "\", EntroScope runs gau_alpha and the Llama family (llama, mistral, qwen2)");
    c.vocabSize = readInt(j, "vocab_size", c.vocabSize, path, 1, int64_t{1} << 22);
    c.hiddenSize = readInt(j, "hidden_size", c.hiddenSize, path, 1, int64_t{1} << 18);
    c.embeddingSize = readInt(j, "embedding_size", c.hiddenSize, path, 1, int64_t{1} << 18);
    c.intermediateSize = readInt(j, "intermediate_size", c.intermediateSize, path, 1, int64_t{1} << 20);
    c.numLayers = readInt(j, "num_hidden_layers", c.numLayers, path, 1, 4096);
    c.keySize = readInt(j, "attention_key_size", c.keySize, path, 2, int64_t{1} << 14);
    c.typeVocabSize = readInt(j, "type_vocab_size", c.typeVocabSize, path, 1, int64_t{1} << 20);
    c.maxPositionEmbeddings = readInt(j, "max_position_embeddings", c.maxPositionEmbeddings, path, 1);
    c.padTokenId = readInt(j, "pad_token_id", c.padTokenId, path, 0);
    c.hiddenAct = readString(j, "hidden_act", c.hiddenAct, path);
    c.normalization = readString(j, "normalization", c.normalization, path);
    c.normMethod = readString(j, "norm_method", "", path);
    c.attentionScale = readBool(j, "attention_scale", c.attentionScale, path);
    c.useBias = readBool(j, "use_bias", c.useBias, path);
    c.layerNormEps = readDouble(j, "layer_norm_eps", c.layerNormEps, path);

    if (auto it = j.find("my_info_dict"); it != j.end() && it->is_object()) {
        const json &info = *it;
        if (info.contains("train_len") && !info["train_len"].is_null())
            c.trainLen = readInt(info, "train_len", 0, path + " my_info_dict", 1);
        if (auto nm = info.find("train_norm_method"); nm != info.end() && nm->is_object()
            && nm->contains("CosScale_value") && !(*nm)["CosScale_value"].is_null()) {
            c.cosScaleValue = readDouble(*nm, "CosScale_value", 128, path + " my_info_dict.train_norm_method");
            if (!(*c.cosScaleValue > 0))
                throw Error(path + ": my_info_dict.train_norm_method.CosScale_value must be > 0");
        }
    }

    if (c.keySize % 2 != 0)
        throw Error(path + ": \"attention_key_size\" must be even for RoPE, got " + std::to_string(c.keySize));
    if (c.embeddingSize != c.hiddenSize)
        throw Error(path + ": \"embedding_size\" (" + std::to_string(c.embeddingSize) + ") differs from \"hidden_size\" ("
                    + std::to_string(c.hiddenSize) + "); GAU-α has no embedding projection");
    if (c.hiddenAct != "swish" && c.hiddenAct != "silu")
        throw Error(path + ": \"hidden_act\" is \"" + c.hiddenAct + "\", only swish/silu is supported");
    if (c.normalization != "softmax" && c.normalization != "softmax_plus" && c.normalization != "squared_relu")
        throw Error(path + ": \"normalization\" is \"" + c.normalization
                    + "\" (expected softmax, softmax_plus or squared_relu)");
    if (c.useBias)
        throw Error(path + ": \"use_bias\": true is not supported (GAU-α checkpoints have no biases)");
    if (!c.attentionScale)
        throw Error(path + ": \"attention_scale\": false is not supported (scores are divided by sqrt(d))");
    if (!(c.layerNormEps >= 0))
        throw Error(path + ": \"layer_norm_eps\" must be >= 0");
    return c;
}

std::string GauConfig::toJsonText() const
{
    json j = {
        {"architectures", {"GAUAlphaForMaskedLM"}},
        {"model_type", "gau_alpha"},
        {"vocab_size", vocabSize},
        {"hidden_size", hiddenSize},
        {"embedding_size", embeddingSize},
        {"intermediate_size", intermediateSize},
        {"num_hidden_layers", numLayers},
        {"attention_key_size", keySize},
        {"type_vocab_size", typeVocabSize},
        {"max_position_embeddings", maxPositionEmbeddings},
        {"pad_token_id", padTokenId},
        {"hidden_act", hiddenAct},
        {"normalization", normalization},
        {"attention_scale", attentionScale},
        {"use_bias", useBias},
        {"layer_norm_eps", layerNormEps},
        {"hidden_dropout_prob", 0.1},
        {"attention_probs_dropout_prob", 0.1},
        {"torch_dtype", "float32"},
    };
    if (!normMethod.empty())
        j["norm_method"] = normMethod;
    json info = {{"task", "train"}};
    if (trainLen)
        info["train_len"] = *trainLen;
    json nm = {{"name", normMethod.empty() ? "noCosScale" : normMethod}};
    if (cosScaleValue)
        nm["CosScale_value"] = *cosScaleValue;
    info["train_norm_method"] = nm;
    info["train_normalization"] = {{"name", normalization}};
    j["my_info_dict"] = info;
    return j.dump(2) + "\n";
}

} // namespace entroscope
