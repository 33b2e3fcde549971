// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "io/checkpoint.h"

#include "errors.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;

namespace entroscope {
namespace {

const std::string kPrefix = "gau_alpha.";

std::string shapeText(at::IntArrayRef s)
{
    std::ostringstream o;
    o << '[';
    for (size_t k = 0; k < s.size(); ++k)
        o << (k ? ", " : "") << s[k];
    o << ']';
    return o.str();
}

torch::Tensor take(const StateDict &sd, const std::string &key, std::vector<int64_t> shape, const std::string &origin,
                   const std::string &why)
{
    auto it = sd.find(kPrefix + key);
    if (it == sd.end())
        it = sd.find(key);
    if (it == sd.end())
        throw Error(origin + ": missing tensor " + kPrefix + key);
    const auto &t = it->second;
    if (t.sizes().vec() != shape)
        throw Error(origin + ": tensor " + it->first + " has shape " + shapeText(t.sizes()) + " but config.json ("
                    + why + ") implies " + shapeText(shape));
    auto f = t.to(torch::kFloat32).contiguous();
    // A plain scan, not isfinite(t).all(): that would allocate a bool copy of every tensor at load time.
    const float *data = f.data_ptr<float>();
    for (int64_t k = 0, count = f.numel(); k < count; ++k)
        if (!std::isfinite(data[k]))
            throw Error(origin + ": tensor " + it->first + " contains NaN or infinite values");
    return f;
}

} // namespace

std::shared_ptr<const Checkpoint> Checkpoint::fromStateDict(const GauConfig &c, const StateDict &sd,
                                                            const std::string &origin)
{
    auto ck = std::make_shared<Checkpoint>();
    ck->config = c;
    const int64_t V = c.vocabSize, H = c.hiddenSize, E = c.intermediateSize, S = c.keySize;
    const std::string dims = "vocab_size " + std::to_string(V) + ", hidden_size " + std::to_string(H);
    const std::string ldims = "hidden_size " + std::to_string(H) + ", intermediate_size " + std::to_string(E)
                              + ", attention_key_size " + std::to_string(S);
    ck->wordEmbeddings = take(sd, "embeddings.word_embeddings.weight", {V, H}, origin, dims);
    ck->typeEmbeddings = take(sd, "embeddings.token_type_embeddings.weight", {c.typeVocabSize, H}, origin,
                              "type_vocab_size " + std::to_string(c.typeVocabSize) + ", hidden_size " + std::to_string(H));
    for (int64_t l = 0; l < c.numLayers; ++l) {
        const std::string p = "encoder.layer." + std::to_string(l) + ".gau.";
        Layer layer;
        layer.iDense = take(sd, p + "i_dense.weight", {2 * E + S, H}, origin, ldims);
        layer.oDense = take(sd, p + "o_dense.weight", {H, E}, origin, ldims);
        layer.qGamma = take(sd, p + "q_scaleoffset.weight", {S}, origin, ldims);
        layer.kGamma = take(sd, p + "k_scaleoffset.weight", {S}, origin, ldims);
        ck->layers.push_back(layer);
    }
    const std::string decKey = "cls.predictions.decoder.weight";
    if (sd.count(decKey))
        ck->decoder = take(sd, decKey, {V, H}, origin, dims);
    else
        ck->decoder = ck->wordEmbeddings; // tied, as GAUAlphaForMaskedLM does
    return ck;
}

std::shared_ptr<const Checkpoint> Checkpoint::load(const std::string &dirIn)
{
    std::error_code ec;
    if (dirIn.empty())
        throw Error("--model: no model folder given");
    if (!fs::exists(dirIn, ec))
        throw Error(dirIn + ": model folder does not exist");
    if (!fs::is_directory(dirIn, ec))
        throw Error(dirIn + ": not a folder (give the model folder that holds config.json)");
    const fs::path dir(dirIn);
    const auto configPath = (dir / "config.json").string();
    if (!fs::exists(configPath, ec))
        throw Error(configPath + ": missing (a Hugging Face model folder has config.json)");
    const GauConfig config = GauConfig::fromFile(configPath);

    StateDict sd;
    std::string weights;
    if (fs::exists(dir / "model.safetensors", ec)) {
        weights = (dir / "model.safetensors").string();
        sd = readSafetensors(weights);
    } else if (fs::exists(dir / "pytorch_model.bin", ec)) {
        weights = (dir / "pytorch_model.bin").string();
        sd = readTorchZip(weights);
    } else {
        throw Error(dirIn + ": no weights (expected model.safetensors or pytorch_model.bin)");
    }
    auto loaded = fromStateDict(config, sd, weights);
    auto ck = std::const_pointer_cast<Checkpoint>(loaded);
    ck->dir = dirIn;
    ck->weightsFile = weights;
    bool hasTokenizer = fs::exists(dir / "vocab.txt", ec);
    for (const auto &e : fs::directory_iterator(dir, ec))
        hasTokenizer = hasTokenizer || e.path().extension() == ".model";
    if (hasTokenizer) {
        ck->tokenizer = Tokenizer::fromFolder(dirIn);
        if (ck->tokenizer->vocabSize() > config.vocabSize)
            throw Error(dirIn + ": the tokenizer has " + std::to_string(ck->tokenizer->vocabSize())
                        + " entries but config.json has vocab_size " + std::to_string(config.vocabSize));
    }
    return loaded;
}

StateDict Checkpoint::stateDict() const
{
    StateDict sd;
    sd[kPrefix + "embeddings.word_embeddings.weight"] = wordEmbeddings;
    sd[kPrefix + "embeddings.token_type_embeddings.weight"] = typeEmbeddings;
    for (size_t l = 0; l < layers.size(); ++l) {
        const std::string p = kPrefix + "encoder.layer." + std::to_string(l) + ".gau.";
        sd[p + "i_dense.weight"] = layers[l].iDense;
        sd[p + "o_dense.weight"] = layers[l].oDense;
        sd[p + "q_scaleoffset.weight"] = layers[l].qGamma;
        sd[p + "k_scaleoffset.weight"] = layers[l].kGamma;
    }
    sd["cls.predictions.decoder.weight"] = decoder;
    return sd;
}

int64_t Checkpoint::parameterCount() const
{
    int64_t n = wordEmbeddings.numel() + typeEmbeddings.numel();
    for (const auto &l : layers)
        n += l.iDense.numel() + l.oDense.numel() + l.qGamma.numel() + l.kGamma.numel();
    if (!decoder.is_same(wordEmbeddings))
        n += decoder.numel();
    return n;
}

} // namespace entroscope
