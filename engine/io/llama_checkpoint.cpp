// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "io/llama_checkpoint.h"

#include "errors.h"
#include "io/json_fields.h"
#include "io/pickle_reader.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include <sys/stat.h>

namespace fs = std::filesystem;

namespace entroscope {
namespace {

std::string shapeText(at::IntArrayRef s)
{
    std::ostringstream o;
    o << '[';
    for (size_t k = 0; k < s.size(); ++k)
        o << (k ? ", " : "") << s[k];
    o << ']';
    return o.str();
}

/// Takes the named tensors out of a state dict, checking shapes and values; remembers what it took so that
/// leftovers can be reported.
class Taker
{
public:
    Taker(const StateDict &sd, std::string origin)
        : m_sd(sd)
        , m_origin(std::move(origin))
    {
    }
    bool has(const std::string &key) const { return m_sd.count(key) > 0; }
    torch::Tensor take(const std::string &key, std::vector<int64_t> shape, const std::string &why)
    {
        auto it = m_sd.find(key);
        if (it == m_sd.end())
            throw Error(m_origin + ": missing tensor " + key);
        const auto &t = it->second;
        if (t.sizes().vec() != shape)
            throw Error(m_origin + ": tensor " + key + " has shape " + shapeText(t.sizes()) + " but config.json (" + why
                        + ") implies " + shapeText(shape));
        // Matrices stored as BF16/F16 stay so (views of the mapped file): the model converts one layer at a
        // time while it computes, so a 16-bit checkpoint is not held at twice its size. Vectors and other
        // dtypes become float32.
        const bool keepHalf = shape.size() == 2 && t.is_contiguous()
                              && (t.scalar_type() == torch::kBFloat16 || t.scalar_type() == torch::kHalf);
        auto f = keepHalf ? t : t.to(torch::kFloat32).contiguous();
        const int64_t count = f.numel(), chunk = int64_t{1} << 20;
        const auto flat = f.view({-1});
        for (int64_t k0 = 0; k0 < count; k0 += chunk) { // in chunks: no float32 copy of a whole 16-bit matrix
            const auto stored = flat.narrow(0, k0, std::min(chunk, count - k0));
            const auto part = stored.to(torch::kFloat32).contiguous();
            const float *data = part.data_ptr<float>();
            for (int64_t k = 0, m = part.numel(); k < m; ++k)
                if (!std::isfinite(data[k]))
                    throw Error(m_origin + ": tensor " + key + " contains NaN or infinite values");
            // Checked: a mapped chunk leaves memory again (the model reads each layer when it runs it), so that
            // loading never holds the whole file resident.
            releaseMappedPages(stored.data_ptr(), static_cast<uint64_t>(stored.nbytes()));
        }
        m_taken.insert(key);
        return f;
    }
    /// Every tensor of the dict was used, but for the RoPE tables older converters stored.
    void checkNothingLeft() const
    {
        for (const auto &kv : m_sd) {
            const std::string &k = kv.first;
            if (m_taken.count(k) || k.find("rotary_emb.inv_freq") != std::string::npos)
                continue;
            throw Error(m_origin + ": unexpected tensor " + k + " (not part of this model_type's architecture)");
        }
    }

private:
    const StateDict &m_sd;
    std::string m_origin;
    std::set<std::string> m_taken;
};

/// The shards of model.safetensors.index.json, read and merged; each tensor must be in the file its
/// weight_map names, and only there.
// size and modification time (ns) of a file; false when it cannot be read.
bool fileStamp(const std::string &path, uint64_t *size, int64_t *mtimeNs)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0)
        return false;
    *size = static_cast<uint64_t>(st.st_size);
    *mtimeNs = int64_t(st.st_mtim.tv_sec) * 1000000000 + int64_t(st.st_mtim.tv_nsec);
    return true;
}

StateDict readShards(const fs::path &dir, const std::string &indexPath, std::vector<std::string> *files)
{
    using namespace json_fields;
    const json j = parseObject(readFileText(indexPath, "model.safetensors.index.json"), indexPath);
    auto wm = j.find("weight_map");
    if (wm == j.end() || !wm->is_object() || wm->empty())
        throw Error(indexPath + ": no \"weight_map\" object of tensor names and shard files");
    std::map<std::string, std::vector<std::string>> byFile;
    for (auto it = wm->begin(); it != wm->end(); ++it) {
        if (!it.value().is_string())
            throw Error(indexPath + ": weight_map[\"" + it.key() + "\"] is not a file name");
        const std::string file = it.value().get<std::string>();
        if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos || file == ".."
            || file == ".")
            throw Error(indexPath + ": shard name \"" + file + "\" is not a plain file name in the folder");
        byFile[file].push_back(it.key());
    }
    StateDict all;
    for (const auto &[file, names] : byFile) {
        const fs::path shard = dir / file;
        std::error_code ec;
        if (!fs::exists(shard, ec))
            throw Error(shard.string() + ": missing (named in " + fs::path(indexPath).filename().string() + ")");
        StateDict sd = readSafetensors(shard.string(), HalfTensors::Keep);
        files->push_back(shard.string());
        for (const auto &name : names) {
            auto it = sd.find(name);
            if (it == sd.end())
                throw Error(shard.string() + ": lacks tensor " + name + ", which the index maps to it");
            all[name] = it->second;
            sd.erase(it);
        }
        for (const auto &kv : sd) // in a shard but mapped elsewhere (or nowhere): ambiguous
            if (wm->contains(kv.first))
                throw Error(shard.string() + ": holds tensor " + kv.first + ", which the index maps to "
                            + (*wm)[kv.first].get<std::string>());
            else if (kv.first.find("rotary_emb.inv_freq") == std::string::npos)
                throw Error(shard.string() + ": holds tensor " + kv.first + ", which the index does not list");
    }
    return all;
}

} // namespace

std::shared_ptr<const LlamaCheckpoint> LlamaCheckpoint::fromStateDict(const LlamaConfig &c, const StateDict &sd,
                                                                      const std::string &origin)
{
    auto ck = std::make_shared<LlamaCheckpoint>();
    ck->config = c;
    const int64_t V = c.vocabSize, H = c.hiddenSize, I = c.intermediateSize;
    const int64_t QD = c.numHeads * c.headDim, KD = c.numKvHeads * c.headDim;
    Taker t(sd, origin);
    const std::string dims = "vocab_size " + std::to_string(V) + ", hidden_size " + std::to_string(H);
    const std::string adims = "hidden_size " + std::to_string(H) + ", " + std::to_string(c.numHeads) + " heads, "
                              + std::to_string(c.numKvHeads) + " KV heads of size " + std::to_string(c.headDim);
    const std::string mdims = "hidden_size " + std::to_string(H) + ", intermediate_size " + std::to_string(I);
    ck->embed = t.take("model.embed_tokens.weight", {V, H}, dims);
    ck->norm = t.take("model.norm.weight", {H}, dims);
    for (int64_t l = 0; l < c.numLayers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        Layer L;
        L.inputNorm = t.take(p + "input_layernorm.weight", {H}, dims);
        L.postNorm = t.take(p + "post_attention_layernorm.weight", {H}, dims);
        L.q = t.take(p + "self_attn.q_proj.weight", {QD, H}, adims);
        L.k = t.take(p + "self_attn.k_proj.weight", {KD, H}, adims);
        L.v = t.take(p + "self_attn.v_proj.weight", {KD, H}, adims);
        L.o = t.take(p + "self_attn.o_proj.weight", {H, QD}, adims);
        if (c.qkvBias) {
            L.qBias = t.take(p + "self_attn.q_proj.bias", {QD}, adims);
            L.kBias = t.take(p + "self_attn.k_proj.bias", {KD}, adims);
            L.vBias = t.take(p + "self_attn.v_proj.bias", {KD}, adims);
        }
        if (c.oBias)
            L.oBias = t.take(p + "self_attn.o_proj.bias", {H}, adims);
        L.gate = t.take(p + "mlp.gate_proj.weight", {I, H}, mdims);
        L.up = t.take(p + "mlp.up_proj.weight", {I, H}, mdims);
        L.down = t.take(p + "mlp.down_proj.weight", {H, I}, mdims);
        if (c.mlpBias) {
            L.gateBias = t.take(p + "mlp.gate_proj.bias", {I}, mdims);
            L.upBias = t.take(p + "mlp.up_proj.bias", {I}, mdims);
            L.downBias = t.take(p + "mlp.down_proj.bias", {H}, mdims);
        }
        ck->layers.push_back(std::move(L));
    }
    if (c.tieWordEmbeddings) {
        // Tied: the output matrix is the embedding; a stored copy (some files have one) must agree.
        if (t.has("lm_head.weight")) {
            auto stored = t.take("lm_head.weight", {V, H}, dims);
            if (!torch::equal(stored.to(torch::kFloat32), ck->embed.to(torch::kFloat32)))
                throw Error(origin + ": tensor lm_head.weight differs from model.embed_tokens.weight although "
                                     "config.json sets tie_word_embeddings");
        }
        ck->lmHead = ck->embed;
    } else {
        if (!t.has("lm_head.weight"))
            throw Error(origin + ": missing tensor lm_head.weight (config.json has tie_word_embeddings false; a "
                                 "tied checkpoint must say so)");
        ck->lmHead = t.take("lm_head.weight", {V, H}, dims);
    }
    t.checkNothingLeft();
    return ck;
}

void LlamaCheckpoint::checkFilesUnchanged() const
{
    for (const MappedFile &f : mappedFiles) {
        uint64_t size = 0;
        int64_t mtime = 0;
        if (!fileStamp(f.path, &size, &mtime))
            throw Error(f.path + ": no longer readable since the model was loaded; open the model again");
        if (size != f.size || mtime != f.mtimeNs)
            throw Error(f.path + ": changed on disk since the model was loaded (" + std::to_string(f.size) + " → "
                        + std::to_string(size) + " bytes" + (size == f.size ? ", modified" : "")
                        + "); its weights are read from the file again, so open the model again");
    }
}

std::shared_ptr<const LlamaCheckpoint> LlamaCheckpoint::load(const std::string &dirIn)
{
    std::error_code ec;
    if (dirIn.empty())
        throw Error("--model: no model folder given");
    if (!fs::is_directory(dirIn, ec))
        throw Error(dirIn + ": model folder does not exist");
    const fs::path dir(dirIn);
    const auto configPath = (dir / "config.json").string();
    if (!fs::exists(configPath, ec))
        throw Error(configPath + ": missing (a Hugging Face model folder has config.json)");
    const LlamaConfig config = LlamaConfig::fromFile(configPath);

    StateDict sd;
    std::string weights;
    std::vector<std::string> mapped;
    if (fs::exists(dir / "model.safetensors", ec)) {
        weights = (dir / "model.safetensors").string();
        sd = readSafetensors(weights, HalfTensors::Keep);
        mapped.push_back(weights);
    } else if (fs::exists(dir / "model.safetensors.index.json", ec)) {
        weights = (dir / "model.safetensors.index.json").string();
        sd = readShards(dir, weights, &mapped);
    } else if (fs::exists(dir / "pytorch_model.bin", ec)) {
        weights = (dir / "pytorch_model.bin").string();
        sd = readTorchZip(weights, HalfTensors::Keep); // 16-bit matrices stay 16-bit, as from safetensors
    } else {
        throw Error(dirIn + ": no weights (expected model.safetensors, model.safetensors.index.json with its "
                            "shards, or pytorch_model.bin)");
    }
    auto ck = std::const_pointer_cast<LlamaCheckpoint>(fromStateDict(config, sd, weights));
    ck->dir = dirIn;
    ck->weightsFile = weights;
    for (const std::string &file : mapped) {
        MappedFile f{file};
        if (fileStamp(file, &f.size, &f.mtimeNs))
            ck->mappedFiles.push_back(f);
    }
    bool hasTokenizer = fs::exists(dir / "vocab.txt", ec) || fs::exists(dir / "tokenizer.json", ec);
    for (const auto &e : fs::directory_iterator(dir, ec))
        hasTokenizer = hasTokenizer || e.path().extension() == ".model";
    if (hasTokenizer) {
        ck->tokenizer = Tokenizer::fromFolder(dirIn);
        if (ck->tokenizer->vocabSize() > config.vocabSize)
            throw Error(dirIn + ": the tokenizer has " + std::to_string(ck->tokenizer->vocabSize())
                        + " entries but config.json has vocab_size " + std::to_string(config.vocabSize));
    }
    return ck;
}

int64_t LlamaCheckpoint::parameterCount() const
{
    int64_t n = embed.numel() + norm.numel() + (lmHead.is_same(embed) ? 0 : lmHead.numel());
    for (const auto &L : layers)
        for (const auto *t : {&L.inputNorm, &L.postNorm, &L.q, &L.k, &L.v, &L.o, &L.qBias, &L.kBias, &L.vBias, &L.oBias,
                              &L.gate, &L.up, &L.down, &L.gateBias, &L.upBias, &L.downBias})
            if (t->defined())
                n += t->numel();
    return n;
}

} // namespace entroscope
