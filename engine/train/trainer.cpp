// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "train/trainer.h"

#include "io/atomic_file.h"
#include "errors.h"
#include "io/pickle_reader.h"
#include "train/train_common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace entroscope {
namespace {

constexpr const char *kPrefix = "gau_alpha.";
constexpr const char *kWeightsFile = "pytorch_model.bin";
constexpr const char *kTokenizerFile = "tokenizer.model";
constexpr int64_t kIgnore = -100;

using train::generator;
using train::kBatch;
using train::kHeldOut;
using train::kInit;

json optionsToJson(const TrainOptions &o)
{
    return {{"qk", o.qk},
            {"train_length", o.trainLength},
            {"batch_size", o.batchSize},
            {"steps", o.steps},
            {"lr", o.lr},
            {"warmup_steps", o.warmupSteps},
            {"min_lr_ratio", o.minLrRatio},
            {"weight_decay", o.weightDecay},
            {"mask_prob", o.maskProb},
            {"init_std", o.initStd},
            {"seed", o.seed},
            {"held_out_fraction", o.heldOutFraction},
            {"eval_interval", o.evalInterval},
            {"eval_windows", o.evalWindows}};
}

void optionsFromJson(const json &j, TrainOptions &o)
{
    o.qk = j.at("qk").get<std::string>();
    o.trainLength = j.at("train_length").get<int64_t>();
    o.batchSize = j.at("batch_size").get<int64_t>();
    o.steps = j.at("steps").get<int64_t>();
    o.lr = j.at("lr").get<double>();
    o.warmupSteps = j.at("warmup_steps").get<int64_t>();
    o.minLrRatio = j.at("min_lr_ratio").get<double>();
    o.weightDecay = j.at("weight_decay").get<double>();
    o.maskProb = j.at("mask_prob").get<double>();
    o.initStd = j.at("init_std").get<double>();
    o.seed = j.at("seed").get<uint64_t>();
    o.heldOutFraction = j.at("held_out_fraction").get<double>();
    o.evalInterval = j.at("eval_interval").get<int64_t>();
    o.evalWindows = j.at("eval_windows").get<int64_t>();
}

// The config a trained model declares: HT-NEKO's fields for the qk axis and T.
void deriveConfig(GauConfig &c, const Method &m, int64_t T)
{
    c.normalization = "softmax";
    c.normMethod = m.qk.cosScale ? "CosScale" : "noCosScale";
    c.trainLen = T;
    c.maxPositionEmbeddings = T;
    if (m.qk.cosScale)
        c.cosScaleValue = m.qk.scale;
    else
        c.cosScaleValue.reset();
}

// Ids that random replacements are drawn from: [first regular id, V), past every special piece.
int64_t firstRegularId(const Tokenizer &t)
{
    int64_t first = 0;
    for (int64_t id : {t.padId(), t.unkId(), t.clsId(), t.sepId(), t.maskId()})
        first = std::max(first, id + 1);
    return first;
}

// BERT masking: a position is predicted with probability p (at least one per tensor); of those 80 %
// become [MASK], 10 % a random regular id, 10 % stay. Draws rand, rand, randint from gen, in that order.
void applyMasking(torch::Tensor &ids, torch::Tensor &labels, torch::Generator &gen, double maskProb,
                  const Tokenizer &tokenizer)
{
    const auto shape = ids.sizes().vec();
    auto selected = torch::rand(shape, gen) < maskProb;
    if (!selected.any().item<bool>())
        selected.view(-1)[0] = true;
    labels = torch::where(selected, ids, torch::full_like(ids, kIgnore));
    const auto r = torch::rand(shape, gen);
    const auto randomIds = torch::randint(firstRegularId(tokenizer), tokenizer.vocabSize(), shape, gen, torch::kInt64);
    const auto toMask = selected & (r < 0.8);
    const auto toRandom = selected & (r >= 0.8) & (r < 0.9);
    ids = torch::where(toMask, torch::full_like(ids, tokenizer.maskId()), ids);
    ids = torch::where(toRandom, randomIds, ids);
}

} // namespace

MlmEvalSet makeMlmEvalSet(const std::vector<int64_t> &tokens, int64_t T, int64_t windowsWanted, uint64_t seed,
                          double maskProb, const Tokenizer &tokenizer)
{
    MlmEvalSet set;
    const int64_t available = static_cast<int64_t>(tokens.size()) / T;
    const int64_t windows = std::min<int64_t>(windowsWanted, available);
    if (windows < 1)
        return set;
    auto ids = torch::empty({windows, T}, torch::kInt64);
    auto acc = ids.accessor<int64_t, 2>();
    for (int64_t w = 0; w < windows; ++w) {
        const int64_t start = (w * available / windows) * T;
        for (int64_t t = 0; t < T; ++t)
            acc[w][t] = tokens[static_cast<size_t>(start + t)];
    }
    auto gen = generator(seed, kHeldOut, 0);
    applyMasking(ids, set.labels, gen, maskProb, tokenizer);
    set.ids = ids;
    return set;
}

std::pair<double, double> evaluateMlmSet(const GauModel &model, const Method &method, int64_t trainLength,
                                      const MlmEvalSet &set)
{
    if (!set.ids.defined())
        return {-1, -1};
    double lossSum = 0;
    int64_t correct = 0, count = 0;
    const int64_t W = set.ids.size(0);
    for (int64_t w0 = 0; w0 < W; w0 += 64) {
        const int64_t w1 = std::min(W, w0 + 64);
        const auto ids = set.ids.slice(0, w0, w1);
        const auto labels = set.labels.slice(0, w0, w1).reshape({-1});
        const auto logits = model.logits(ids, method, trainLength);
        c10::InferenceMode guard;
        const auto flat = logits.reshape({-1, logits.size(-1)});
        const auto keep = labels != kIgnore;
        const auto l = flat.index({keep});
        const auto y = labels.index({keep});
        lossSum += torch::nn::functional::cross_entropy(
                       l, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                       .item<double>();
        correct += (l.argmax(-1) == y).sum().item<int64_t>();
        count += y.size(0);
    }
    return {lossSum / double(std::max<int64_t>(1, count)), double(correct) / double(std::max<int64_t>(1, count))};
}

Trainer::Trainer(const TrainOptions &options, std::string tokenizerFile, std::vector<int64_t> trainTokens,
                 std::vector<int64_t> heldOutTokens)
    : m_opt(options)
    , m_tokenizerFile(std::move(tokenizerFile))
    , m_train(std::move(trainTokens))
    , m_heldOut(std::move(heldOutTokens))
{
    m_tokenizer = Tokenizer::fromSentencePieceFile(m_tokenizerFile);
    if (m_tokenizer->maskId() < 0)
        throw Error(m_tokenizerFile + ": the tokenizer has no [MASK] piece (train it with entroscope-cli train-tokenizer)");
    m_opt.config.vocabSize = m_tokenizer->vocabSize();
    if (firstRegularId(*m_tokenizer) >= m_opt.config.vocabSize)
        throw Error(m_tokenizerFile + ": the tokenizer has no regular pieces");

    const int64_t T = m_opt.trainLength;
    if (T < 2)
        throw Error("--train-length: must be at least 2");
    if (m_opt.batchSize < 1)
        throw Error("--batch: must be at least 1");
    if (m_opt.steps < 0)
        throw Error("--steps: must not be negative");
    if (!(m_opt.lr > 0))
        throw Error("--lr: must be positive");
    if (!(m_opt.maskProb > 0 && m_opt.maskProb < 1))
        throw Error("mask probability must be in (0, 1)");
    if (m_opt.config.embeddingSize != m_opt.config.hiddenSize)
        m_opt.config.embeddingSize = m_opt.config.hiddenSize;
    if (m_opt.config.keySize % 2 != 0)
        throw Error("--key-size: must be even (RoPE rotates pairs)");
    for (int64_t id : m_train)
        if (id < 0 || id >= m_opt.config.vocabSize)
            throw Error("corpus: token id " + std::to_string(id) + " outside the tokenizer's vocabulary");

    if (m_heldOut.empty()) {
        if (!(m_opt.heldOutFraction >= 0 && m_opt.heldOutFraction < 1))
            throw Error("--held-out-fraction: must be in [0, 1)");
        const auto cut = static_cast<size_t>(std::llround(double(m_train.size()) * (1 - m_opt.heldOutFraction)));
        m_heldOut.assign(m_train.begin() + static_cast<std::ptrdiff_t>(cut), m_train.end());
        m_train.resize(cut);
    }
    if (static_cast<int64_t>(m_train.size()) < T)
        throw Error("corpus: " + std::to_string(m_train.size()) + " training tokens, fewer than one window of "
                    + std::to_string(T));

    m_method = Method::parse("softmax", m_opt.qk, "rope", m_opt.config.methodDefaults(), T);
    deriveConfig(m_opt.config, m_method, T);

    // Initial parameters: N(0, initStd) for every matrix (HF's _init_weights with initializer_range),
    // γ = 1 (ScaleOffset's initial scale). The norms are parameter-free (RMS, post-norm).
    const GauConfig &c = m_opt.config;
    auto gen = generator(m_opt.seed, kInit, 0);
    auto normal = [&](std::vector<int64_t> shape) { return torch::randn(shape, gen) * m_opt.initStd; };
    StateDict sd;
    const std::string p = kPrefix;
    sd[p + "embeddings.word_embeddings.weight"] = normal({c.vocabSize, c.hiddenSize});
    sd[p + "embeddings.token_type_embeddings.weight"] = normal({c.typeVocabSize, c.hiddenSize});
    for (int64_t l = 0; l < c.numLayers; ++l) {
        const std::string lp = p + "encoder.layer." + std::to_string(l) + ".gau.";
        sd[lp + "i_dense.weight"] = normal({2 * c.intermediateSize + c.keySize, c.hiddenSize});
        sd[lp + "o_dense.weight"] = normal({c.hiddenSize, c.intermediateSize});
        sd[lp + "q_scaleoffset.weight"] = torch::ones({c.keySize});
        sd[lp + "k_scaleoffset.weight"] = torch::ones({c.keySize});
    }
    buildModel(sd);
    prepareHeldOut();
}

Trainer::~Trainer() = default;

std::vector<int64_t> Trainer::encodeCorpus(const Tokenizer &tokenizer, const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot read the corpus file");
    std::vector<int64_t> ids;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        const auto part = tokenizer.encode(line, false);
        ids.insert(ids.end(), part.begin(), part.end());
    }
    if (ids.empty())
        throw Error(path + ": the corpus gives no tokens");
    return ids;
}

void Trainer::buildModel(const StateDict &tensors)
{
    // The checkpoint shares the leaves: the optimizer updates them in place, the model sees the update.
    StateDict sd;
    m_params.clear();
    for (const auto &[key, t] : tensors) {
        if (key == "cls.predictions.decoder.weight")
            continue; // tied to the word embeddings
        sd[key] = t.detach().to(torch::kFloat32).contiguous().clone().set_requires_grad(true);
    }
    m_ck = Checkpoint::fromStateDict(m_opt.config, sd, "training");
    m_model = std::make_unique<GauModel>(m_ck);

    std::vector<torch::Tensor> decay, noDecay;
    auto add = [&](const torch::Tensor &t, bool decays) {
        m_params.push_back(t);
        (decays ? decay : noDecay).push_back(t);
    };
    add(m_ck->wordEmbeddings, true);
    add(m_ck->typeEmbeddings, true);
    for (const auto &l : m_ck->layers) {
        add(l.iDense, true);
        add(l.oDense, true);
        add(l.qGamma, false);
        add(l.kGamma, false);
    }
    for (const auto &t : m_params)
        if (!t.requires_grad())
            throw Error("training: internal error, a parameter does not require grad");
    auto options = torch::optim::AdamWOptions(m_opt.lr).betas({0.9, 0.98}).eps(1e-6).weight_decay(m_opt.weightDecay);
    auto noDecayOptions = options;
    noDecayOptions.weight_decay(0);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options));
    groups.emplace_back(noDecay, std::make_unique<torch::optim::AdamWOptions>(noDecayOptions));
    m_optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups), options);
}

void Trainer::prepareHeldOut()
{
    m_heldOutSet = makeMlmEvalSet(m_heldOut, m_opt.trainLength, m_opt.evalWindows, m_opt.seed, m_opt.maskProb, *m_tokenizer);
}

void Trainer::batch(int64_t step, torch::Tensor &ids, torch::Tensor &labels) const
{
    const int64_t T = m_opt.trainLength, B = m_opt.batchSize;
    const int64_t positions = static_cast<int64_t>(m_train.size()) - T + 1;
    auto gen = generator(m_opt.seed, kBatch, static_cast<uint64_t>(step));
    const auto starts = torch::randint(0, positions, {B}, gen, torch::kInt64);
    ids = torch::empty({B, T}, torch::kInt64);
    auto acc = ids.accessor<int64_t, 2>();
    const auto sacc = starts.accessor<int64_t, 1>();
    for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t)
            acc[b][t] = m_train[static_cast<size_t>(sacc[b] + t)];
    applyMasking(ids, labels, gen, m_opt.maskProb, *m_tokenizer);
}

double Trainer::learningRate(int64_t step) const
{
    return train::learningRate(step, m_opt.lr, m_opt.warmupSteps, m_opt.steps, m_opt.minLrRatio);
}

double Trainer::trainStep()
{
    torch::Tensor ids, labels;
    batch(m_step, ids, labels);
    const double lr = learningRate(m_step);
    for (auto &group : m_optimizer->param_groups())
        static_cast<torch::optim::AdamWOptions &>(group.options()).lr(lr);
    m_optimizer->zero_grad();
    // The MLM head only where a token is predicted (15 % of the positions): the same loss as
    // cross-entropy over all logits with ignored positions, at a fraction of the decoder's cost.
    const auto hidden = m_model->trainingHidden(ids, m_method, m_opt.trainLength);
    const auto flatLabels = labels.reshape({-1});
    const auto keep = (flatLabels != kIgnore).nonzero().squeeze(1);
    const auto h = hidden.reshape({-1, hidden.size(-1)}).index_select(0, keep);
    const auto logits = torch::matmul(h, m_ck->decoder.t());
    const auto loss = torch::nn::functional::cross_entropy(logits, flatLabels.index_select(0, keep));
    loss.backward();
    torch::nn::utils::clip_grad_norm_(m_params, 1.0);
    m_optimizer->step();
    return finishStep(loss.item<double>());
}

std::pair<double, double> Trainer::evaluateHeldOut() const
{
    return evaluateMlmSet(*m_model, m_method, m_opt.trainLength, m_heldOutSet);
}

TrainLoop::Schedule Trainer::schedule() const
{
    return {m_opt.steps, m_opt.evalInterval, m_opt.batchSize * m_opt.trainLength};
}

void Trainer::save(const std::string &dirIn, bool withOptimizer) const
{
    const fs::path dir(dirIn);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw Error(dirIn + ": cannot create the folder (" + ec.message() + ")");

    StateDict sd;
    for (const auto &[key, t] : m_ck->stateDict())
        if (key != "cls.predictions.decoder.weight") // tied: Checkpoint::load and HF re-tie it
            sd[key] = t.detach();
    writeTorchZip((dir / kWeightsFile).string(), sd);
    writeFileAtomically(dir / "config.json", m_opt.config.toJsonText());
    saveRun(dirIn, withOptimizer, *m_optimizer, m_tokenizerFile, kTokenizerFile,
            {{"format", "entroscope-trainer-1"},
             {"options", optionsToJson(m_opt)},
             {"train_tokens", m_train.size()},
             {"held_out_tokens", m_heldOut.size()},
             {"held_out_windows", m_heldOutSet.ids.defined() ? m_heldOutSet.ids.size(0) : 0},
             {"parameters", m_ck->parameterCount()}});
}

void Trainer::resume(const std::string &dirIn, int64_t steps)
{
    const fs::path dir(dirIn);
    const json state = readRunState(dirIn, kWeightsFile);
    try {
        TrainOptions o = m_opt;
        optionsFromJson(state.at("options"), o);
        o.config = GauConfig::fromFile((dir / "config.json").string());
        if (o.config.vocabSize != m_opt.config.vocabSize)
            throw Error(dirIn + ": vocab_size " + std::to_string(o.config.vocabSize) + " differs from the tokenizer's "
                        + std::to_string(m_opt.config.vocabSize));
        if (steps > 0)
            o.steps = steps;
        m_opt = o;
        restoreRun(state);
    } catch (const json::exception &e) {
        throw Error((dir / kStateFile).string() + ": not a trainer state (" + e.what() + ")");
    }
    m_method = Method::parse("softmax", m_opt.qk, "rope", m_opt.config.methodDefaults(), m_opt.trainLength);
    deriveConfig(m_opt.config, m_method, m_opt.trainLength);
    buildModel(readTorchZip((dir / kWeightsFile).string()));
    loadOptimizer(dirIn, *m_optimizer);
    prepareHeldOut();
}

} // namespace entroscope
