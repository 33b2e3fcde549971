// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "train/causal_trainer.h"

#include "errors.h"
#include "io/atomic_file.h"
#include "io/pickle_reader.h"
#include "train/train_common.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace entroscope {
namespace {

constexpr const char *kWeightsFile = "model.safetensors";
constexpr const char *kTokenizerFile = "tokenizer.model";
constexpr const char *kFormat = "entroscope-causal-trainer-1";

json optionsToJson(const CausalTrainOptions &o)
{
    return {{"objective", "causal_lm"},        {"train_length", o.trainLength}, {"batch_size", o.batchSize},
            {"steps", o.steps},                {"lr", o.lr},                   {"warmup_steps", o.warmupSteps},
            {"min_lr_ratio", o.minLrRatio},    {"weight_decay", o.weightDecay}, {"init_std", o.initStd},
            {"seed", o.seed},                  {"held_out_fraction", o.heldOutFraction},
            {"eval_interval", o.evalInterval}, {"eval_windows", o.evalWindows}};
}

void optionsFromJson(const json &j, CausalTrainOptions &o)
{
    if (j.value("objective", std::string()) != "causal_lm")
        throw Error("options.objective is not causal_lm");
    o.trainLength = j.at("train_length").get<int64_t>();
    o.batchSize = j.at("batch_size").get<int64_t>();
    o.steps = j.at("steps").get<int64_t>();
    o.lr = j.at("lr").get<double>();
    o.warmupSteps = j.at("warmup_steps").get<int64_t>();
    o.minLrRatio = j.at("min_lr_ratio").get<double>();
    o.weightDecay = j.at("weight_decay").get<double>();
    o.initStd = j.at("init_std").get<double>();
    o.seed = j.at("seed").get<uint64_t>();
    o.heldOutFraction = j.at("held_out_fraction").get<double>();
    o.evalInterval = j.at("eval_interval").get<int64_t>();
    o.evalWindows = j.at("eval_windows").get<int64_t>();
}

/// Next-token cross-entropy (sum) and correct top-1 count of windows [B, T + 1].
std::pair<torch::Tensor, int64_t> windowLoss(const LlamaModel &model, const torch::Tensor &windows, bool sum)
{
    const int64_t T = windows.size(1) - 1;
    const auto inputs = windows.narrow(1, 0, T), targets = windows.narrow(1, 1, T).reshape({-1});
    const auto h = model.trainingHidden(inputs);
    const auto &head = model.checkpoint().lmHead; // the trainer's own float32 parameter; a loaded 16-bit head converted
    const auto logits = torch::matmul(h.reshape({-1, h.size(-1)}),
                                      (head.scalar_type() == torch::kFloat32 ? head : head.to(torch::kFloat32)).t());
    namespace F = torch::nn::functional;
    auto options = F::CrossEntropyFuncOptions();
    if (sum)
        options.reduction(torch::kSum);
    torch::Tensor loss = F::cross_entropy(logits, targets, options);
    int64_t correct = 0;
    if (sum)
        correct = (logits.argmax(-1) == targets).sum().item<int64_t>();
    return std::make_pair(loss, correct);
}

} // namespace

LlamaConfig defaultCausalConfig()
{
    LlamaConfig c;
    c.modelType = "llama";
    c.numLayers = 4;
    c.hiddenSize = 128;
    c.numHeads = 4;
    c.numKvHeads = 2;
    c.headDim = 32;
    c.intermediateSize = 344;
    c.rmsNormEps = 1e-6;
    c.ropeTheta = 10000.0;
    c.tieWordEmbeddings = true;
    return c;
}

std::string llamaConfigJsonText(const LlamaConfig &c)
{
    json j = {{"architectures", {"LlamaForCausalLM"}},
              {"model_type", c.modelType},
              {"vocab_size", c.vocabSize},
              {"hidden_size", c.hiddenSize},
              {"intermediate_size", c.intermediateSize},
              {"num_hidden_layers", c.numLayers},
              {"num_attention_heads", c.numHeads},
              {"num_key_value_heads", c.numKvHeads},
              {"head_dim", c.headDim},
              {"max_position_embeddings", c.maxPositionEmbeddings},
              {"rms_norm_eps", c.rmsNormEps},
              {"rope_theta", c.ropeTheta},
              {"rope_scaling", nullptr},
              {"hidden_act", "silu"},
              {"attention_bias", c.qkvBias},
              {"attention_dropout", 0.0},
              {"mlp_bias", c.mlpBias},
              {"initializer_range", 0.02},
              {"tie_word_embeddings", c.tieWordEmbeddings},
              {"torch_dtype", "float32"},
              {"use_cache", true}};
    return j.dump(2) + "\n";
}

torch::Tensor makeCausalEvalSet(const std::vector<int64_t> &tokens, int64_t T, int64_t wanted)
{
    const int64_t available = static_cast<int64_t>(tokens.size()) / (T + 1);
    const int64_t windows = std::min<int64_t>(wanted, available);
    if (windows < 1)
        return {};
    auto set = torch::empty({windows, T + 1}, torch::kInt64);
    auto acc = set.accessor<int64_t, 2>();
    for (int64_t w = 0; w < windows; ++w) {
        const int64_t start = (w * available / windows) * (T + 1);
        for (int64_t t = 0; t <= T; ++t)
            acc[w][t] = tokens[static_cast<size_t>(start + t)];
    }
    return set;
}

std::pair<double, double> evaluateCausalSet(const LlamaModel &model, const torch::Tensor &set)
{
    if (!set.defined())
        return {-1, -1};
    torch::NoGradGuard noGrad;
    double lossSum = 0;
    int64_t correct = 0;
    for (int64_t w0 = 0; w0 < set.size(0); w0 += 64) {
        const auto part = set.slice(0, w0, std::min(set.size(0), w0 + 64));
        const auto [loss, right] = windowLoss(model, part, true);
        lossSum += loss.item<double>();
        correct += right;
    }
    const double count = double(set.size(0) * (set.size(1) - 1));
    return {lossSum / count, double(correct) / count};
}

CausalTrainer::CausalTrainer(const CausalTrainOptions &options, std::string tokenizerFile,
                             std::vector<int64_t> trainTokens, std::vector<int64_t> heldOutTokens)
    : m_opt(options)
    , m_tokenizerFile(std::move(tokenizerFile))
    , m_train(std::move(trainTokens))
    , m_heldOut(std::move(heldOutTokens))
{
    const auto tokenizer = Tokenizer::fromSentencePieceFile(m_tokenizerFile);
    LlamaConfig &c = m_opt.config;
    c.vocabSize = tokenizer->vocabSize();
    const int64_t T = m_opt.trainLength;
    if (T < 2)
        throw Error("--train-length: must be at least 2");
    c.maxPositionEmbeddings = T;
    c.originalMaxPositionEmbeddings.reset();
    if (m_opt.batchSize < 1)
        throw Error("--batch: must be at least 1");
    if (m_opt.steps < 0)
        throw Error("--steps: must not be negative");
    if (!(m_opt.lr > 0))
        throw Error("--lr: must be positive");
    if (c.numHeads < 1 || c.hiddenSize % c.numHeads != 0)
        throw Error("--heads: " + std::to_string(c.numHeads) + " does not divide --hidden " + std::to_string(c.hiddenSize));
    if (c.numKvHeads < 1 || c.numHeads % c.numKvHeads != 0)
        throw Error("--kv-heads: " + std::to_string(c.numKvHeads) + " does not divide --heads " + std::to_string(c.numHeads));
    c.headDim = c.hiddenSize / c.numHeads;
    if (c.headDim % 2 != 0)
        throw Error("--heads: the head size hidden/heads = " + std::to_string(c.headDim) + " must be even (RoPE)");
    // Through config.json's own validation, so that what is trained is what loads.
    c = LlamaConfig::fromJsonText(llamaConfigJsonText(c), "training config");
    for (int64_t id : m_train)
        if (id < 0 || id >= c.vocabSize)
            throw Error("corpus: token id " + std::to_string(id) + " outside the tokenizer's vocabulary");
    if (m_heldOut.empty()) {
        if (!(m_opt.heldOutFraction >= 0 && m_opt.heldOutFraction < 1))
            throw Error("--held-out-fraction: must be in [0, 1)");
        const auto cut = static_cast<size_t>(std::llround(double(m_train.size()) * (1 - m_opt.heldOutFraction)));
        m_heldOut.assign(m_train.begin() + static_cast<std::ptrdiff_t>(cut), m_train.end());
        m_train.resize(cut);
    }
    if (static_cast<int64_t>(m_train.size()) < T + 1)
        throw Error("corpus: " + std::to_string(m_train.size()) + " training tokens, fewer than one window of "
                    + std::to_string(T + 1));

    auto gen = train::generator(m_opt.seed, train::kInit, 0);
    auto normal = [&](std::vector<int64_t> shape) { return torch::randn(shape, gen) * m_opt.initStd; };
    const int64_t H = c.hiddenSize, QD = c.numHeads * c.headDim, KD = c.numKvHeads * c.headDim, I = c.intermediateSize;
    StateDict sd;
    sd["model.embed_tokens.weight"] = normal({c.vocabSize, H});
    sd["model.norm.weight"] = torch::ones({H});
    for (int64_t l = 0; l < c.numLayers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        sd[p + "input_layernorm.weight"] = torch::ones({H});
        sd[p + "post_attention_layernorm.weight"] = torch::ones({H});
        sd[p + "self_attn.q_proj.weight"] = normal({QD, H});
        sd[p + "self_attn.k_proj.weight"] = normal({KD, H});
        sd[p + "self_attn.v_proj.weight"] = normal({KD, H});
        sd[p + "self_attn.o_proj.weight"] = normal({H, QD});
        sd[p + "mlp.gate_proj.weight"] = normal({I, H});
        sd[p + "mlp.up_proj.weight"] = normal({I, H});
        sd[p + "mlp.down_proj.weight"] = normal({H, I});
    }
    buildModel(sd);
    m_heldOutSet = makeCausalEvalSet(m_heldOut, T, m_opt.evalWindows);
}

CausalTrainer::~CausalTrainer() = default;

void CausalTrainer::buildModel(const StateDict &tensors)
{
    StateDict sd;
    for (const auto &[key, t] : tensors)
        sd[key] = t.detach().to(torch::kFloat32).contiguous().clone().set_requires_grad(true);
    m_ck = LlamaCheckpoint::fromStateDict(m_opt.config, sd, "training");
    m_model = std::make_unique<LlamaModel>(m_ck);
    std::vector<torch::Tensor> decay, noDecay;
    m_params.clear();
    for (const auto &[key, t] : sd) {
        m_params.push_back(t);
        (t.dim() >= 2 ? decay : noDecay).push_back(t);
    }
    auto options = torch::optim::AdamWOptions(m_opt.lr).betas({0.9, 0.98}).eps(1e-6).weight_decay(m_opt.weightDecay);
    auto noDecayOptions = options;
    noDecayOptions.weight_decay(0);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options));
    groups.emplace_back(noDecay, std::make_unique<torch::optim::AdamWOptions>(noDecayOptions));
    m_optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups), options);
}

torch::Tensor CausalTrainer::batch(int64_t step) const
{
    const int64_t T = m_opt.trainLength, B = m_opt.batchSize;
    const int64_t positions = static_cast<int64_t>(m_train.size()) - T; // windows of T + 1 tokens
    auto gen = train::generator(m_opt.seed, train::kBatch, static_cast<uint64_t>(step));
    const auto starts = torch::randint(0, positions, {B}, gen, torch::kInt64);
    auto ids = torch::empty({B, T + 1}, torch::kInt64);
    auto acc = ids.accessor<int64_t, 2>();
    const auto sacc = starts.accessor<int64_t, 1>();
    for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t <= T; ++t)
            acc[b][t] = m_train[static_cast<size_t>(sacc[b] + t)];
    return ids;
}

double CausalTrainer::learningRate(int64_t step) const
{
    return train::learningRate(step, m_opt.lr, m_opt.warmupSteps, m_opt.steps, m_opt.minLrRatio);
}

double CausalTrainer::trainStep()
{
    const auto windows = batch(m_step);
    const double lr = learningRate(m_step);
    for (auto &group : m_optimizer->param_groups())
        static_cast<torch::optim::AdamWOptions &>(group.options()).lr(lr);
    m_optimizer->zero_grad();
    const auto loss = windowLoss(*m_model, windows, false).first;
    loss.backward();
    torch::nn::utils::clip_grad_norm_(m_params, 1.0);
    m_optimizer->step();
    return finishStep(loss.item<double>());
}

std::pair<double, double> CausalTrainer::evaluateHeldOut() const
{
    return evaluateCausalSet(*m_model, m_heldOutSet);
}

void CausalTrainer::save(const std::string &dirIn, bool withOptimizer) const
{
    const fs::path dir(dirIn);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw Error(dirIn + ": cannot create the folder (" + ec.message() + ")");
    StateDict sd; // lm_head is the embedding (tie_word_embeddings): not stored, as Hugging Face saves it
    sd["model.embed_tokens.weight"] = m_ck->embed;
    sd["model.norm.weight"] = m_ck->norm;
    for (size_t l = 0; l < m_ck->layers.size(); ++l) {
        const auto &L = m_ck->layers[l];
        const std::string p = "model.layers." + std::to_string(l) + ".";
        sd[p + "input_layernorm.weight"] = L.inputNorm;
        sd[p + "post_attention_layernorm.weight"] = L.postNorm;
        sd[p + "self_attn.q_proj.weight"] = L.q;
        sd[p + "self_attn.k_proj.weight"] = L.k;
        sd[p + "self_attn.v_proj.weight"] = L.v;
        sd[p + "self_attn.o_proj.weight"] = L.o;
        sd[p + "mlp.gate_proj.weight"] = L.gate;
        sd[p + "mlp.up_proj.weight"] = L.up;
        sd[p + "mlp.down_proj.weight"] = L.down;
    }
    writeSafetensors((dir / kWeightsFile).string(), sd);
    writeFileAtomically(dir / "config.json", llamaConfigJsonText(m_opt.config));
    saveRun(dirIn, withOptimizer, *m_optimizer, m_tokenizerFile, kTokenizerFile,
            {{"format", kFormat},
             {"options", optionsToJson(m_opt)},
             {"train_tokens", m_train.size()},
             {"held_out_tokens", m_heldOut.size()},
             {"held_out_windows", m_heldOutSet.defined() ? m_heldOutSet.size(0) : 0},
             {"parameters", m_ck->parameterCount()}});
}

TrainLoop::Schedule CausalTrainer::schedule() const
{
    return {m_opt.steps, m_opt.evalInterval, m_opt.batchSize * m_opt.trainLength};
}

void CausalTrainer::resume(const std::string &dirIn, int64_t steps)
{
    const fs::path dir(dirIn);
    const json state = readRunState(dirIn, kWeightsFile);
    try {
        if (state.value("format", std::string()) != kFormat)
            throw Error((dir / kStateFile).string() + ": not a causal-LM trainer state (format "
                        + state.value("format", std::string("none")) + ")");
        CausalTrainOptions o = m_opt;
        optionsFromJson(state.at("options"), o);
        o.config = LlamaConfig::fromFile((dir / "config.json").string());
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
    buildModel(readSafetensors((dir / kWeightsFile).string()));
    loadOptimizer(dirIn, *m_optimizer);
    m_heldOutSet = makeCausalEvalSet(m_heldOut, m_opt.trainLength, m_opt.evalWindows);
}

} // namespace entroscope
