// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// `entroscope-cli train-tokenizer` and `train`: the demo checkpoints are made by EntroScope itself
// (engine/trainer.h). Progress goes to stderr; SIGINT/SIGTERM save a resumable checkpoint, exit 130.

#include "cli_common.h"
#include "train/causal_trainer.h"
#include "train/trainer.h"

#include <torch/torch.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;

namespace entroscope::cli {
namespace {

const char *kTokenizerHelp = R"(usage: entroscope-cli train-tokenizer --corpus FILE --out DIR/tokenizer.model [options]

Trains a SentencePiece model (libsentencepiece_train, deterministic: one thread, every line) with the
pieces [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 and the user symbol [MASK].

  --corpus FILE          UTF-8 text, one document per line
  --out FILE             the *.model file to write (its folder is created)
  --vocab-size N         number of pieces (default 4000)
  --model-type T         unigram | bpe (default unigram)
)";

const char *kTrainHelp = R"(usage: entroscope-cli train --corpus FILE --tokenizer FILE.model --out DIR [options]
       entroscope-cli train --arch llama --corpus FILE --tokenizer FILE.model --out DIR [options]
       entroscope-cli train --resume DIR [--corpus FILE] [--steps N]

--arch gau (default): masked-LM training of a GAU-α (15 % masking, 80/10/10; AdamW, linear warm-up,
cosine decay) on windows of T tokens of the corpus (no [CLS]/[SEP], as the paper's evaluation). Writes
DIR/config.json (HT-NEKO fields), pytorch_model.bin, tokenizer.model, trainer_state.json and optimizer.pt
(resume only).
--arch llama: causal-LM training (next-token cross-entropy at every position of windows of T tokens, the
same optimizer and schedule) of a Llama-architecture model with tied embeddings. Writes a Hugging Face
Llama folder: config.json (model_type llama), model.safetensors, tokenizer.model, trainer_state.json and
optimizer.pt (resume only). --resume knows which kind a folder holds.

  --corpus FILE          training text, one document per line (encoded once)
  --held-out FILE        held-out text (default: the last --held-out-fraction of the corpus)
  --held-out-fraction F  default 0.05
  --tokenizer FILE       SentencePiece *.model (from train-tokenizer); on --resume: DIR/tokenizer.model
  --out DIR              output folder (created; an existing trainer folder needs --resume or --overwrite)
  --resume DIR           continue the run saved in DIR (its options win, except --steps)
  --overwrite            start afresh in an existing --out folder
  --layers N             default 4
  --hidden N             default 128
  --intermediate N       default 256 (gau), 344 (llama)
  --key-size N           default 32 (gau)
  --heads N              attention heads (llama; default 4; the head size is hidden/heads)
  --kv-heads N           key/value heads (llama; default 2)
  --train-length T       default 64
  --qk plain|cosscale:S  train with plain softmax (noCosScale) or CosScale (default plain; gau)
  --steps N              total optimizer steps (default 1000)
  --batch B              windows per step (default 32)
  --lr X                 peak learning rate (default 1e-3)
  --warmup N             warm-up steps (default: 5 % of --steps)
  --weight-decay X       default 0.01
  --seed N               default 1
  --eval-interval N      held-out loss every N steps (default 100)
  --eval-windows N       held-out windows (default 256)
  --save-interval N      resumable checkpoint every N steps (default 500; 0 = only at the end)
  --no-optimizer-state   do not keep optimizer.pt at the end (a folder to ship, not to resume)
  --threads N            intra-op threads (default: all cores)
)";

int trainTokenizer(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv, {"--corpus", "--out", "--vocab-size", "--model-type"}, {});
    if (a.flags.count("--help")) {
        std::cout << kTokenizerHelp;
        return 0;
    }
    if (!a.has("--corpus"))
        throw Error("--corpus: required");
    if (!a.has("--out"))
        throw Error("--out: required (the *.model file to write)");
    SentencePieceTrainOptions o;
    o.input = a.get("--corpus");
    o.modelFile = a.get("--out");
    o.vocabSize = a.has("--vocab-size") ? parseInt("--vocab-size", a.get("--vocab-size")) : 4000;
    o.modelType = a.get("--model-type", "unigram");
    if (o.modelType != "unigram" && o.modelType != "bpe")
        throw Error("--model-type: unknown '" + o.modelType + "' (expected unigram or bpe)");
    const auto t0 = std::chrono::steady_clock::now();
    trainSentencePieceModel(o);
    const auto tok = Tokenizer::fromSentencePieceFile(o.modelFile);
    std::cerr << "train-tokenizer: " << o.modelFile << ": " << tok->vocabSize() << " pieces in "
              << std::fixed << std::setprecision(1)
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s (mask id "
              << tok->maskId() << ")\n";
    return 0;
}

std::string duration(double seconds)
{
    const auto s = static_cast<int64_t>(std::max(0.0, seconds));
    std::ostringstream o;
    if (s >= 3600)
        o << s / 3600 << "h" << std::setw(2) << std::setfill('0') << (s % 3600) / 60 << "m";
    else
        o << s / 60 << "m" << std::setw(2) << std::setfill('0') << s % 60 << "s";
    return o.str();
}

/// Saving, progress lines, the run and the final save, for either trainer (Trainer, CausalTrainer).
template <class TrainerT>
int trainLoop(TrainerT &trainer, const Args &a, const std::string &out, const std::string &corpus,
              const std::string &heldOut, int64_t saveInterval)
{
    auto saveRun = [&](bool withOptimizer) {
        trainer.save(out, withOptimizer);
        // Remember where the text came from, so --resume needs no flags.
        const fs::path statePath = fs::path(out) / "trainer_state.json";
        auto state = nlohmann::json::parse(readTextFile("--out", statePath.string()));
        state["corpus"] = fs::absolute(corpus).string();
        state["held_out"] = heldOut.empty() ? std::string() : fs::absolute(heldOut).string();
        writeTextFileAtomically(statePath, state.dump(1) + "\n");
    };

    const bool tty = isatty(STDERR_FILENO);
    auto report = [&](const TrainProgress &p) {
        const bool line = p.evaluated || p.step == p.steps || p.step % 10 == 0;
        if (!line && !tty)
            return;
        const double eta = p.tokensPerSecond > 0
                               ? double(p.steps - p.step) * double(trainer.options().batchSize * trainer.options().trainLength)
                                     / p.tokensPerSecond
                               : 0;
        std::ostringstream s;
        s << "train: step " << p.step << "/" << p.steps << " loss " << std::fixed << std::setprecision(4) << p.loss;
        if (p.heldOutLoss >= 0)
            s << " held-out " << p.heldOutLoss << " (acc " << std::setprecision(3) << p.heldOutAccuracy << ")";
        s << " lr " << std::scientific << std::setprecision(2) << p.lr << std::fixed << " " << std::setprecision(0)
          << p.tokensPerSecond << " tok/s elapsed " << duration(p.elapsedSeconds) << " ETA " << duration(eta);
        if (tty && !p.evaluated && p.step != p.steps)
            std::cerr << "\r" << s.str() << "   " << std::flush;
        else
            std::cerr << (tty ? "\r" : "") << s.str() << "\n";
        if (saveInterval > 0 && p.step % saveInterval == 0 && p.step != p.steps)
            saveRun(true);
    };

    if (trainer.step() >= trainer.options().steps)
        std::cerr << "train: already at step " << trainer.step() << " of " << trainer.options().steps
                  << " (raise --steps to train on)\n";
    trainer.run(report, &interruptToken());
    const bool interrupted = trainer.step() < trainer.options().steps;
    saveRun(interrupted || !a.flags.count("--no-optimizer-state"));
    if (interrupted) {
        std::cerr << "\ntrain: interrupted at step " << trainer.step() << "; resumable checkpoint in " << out
                  << " (entroscope-cli train --resume " << out << ")\n";
        return 130;
    }
    std::cerr << "train: done, " << out << "\n";
    return 0;
}

int train(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv,
                             {"--corpus", "--held-out", "--held-out-fraction", "--tokenizer", "--out", "--resume",
                              "--layers", "--hidden", "--intermediate", "--key-size", "--train-length", "--qk",
                              "--steps", "--batch", "--lr", "--warmup", "--weight-decay", "--seed",
                              "--eval-interval", "--eval-windows", "--save-interval", "--threads", "--arch", "--heads",
                              "--kv-heads"},
                             {"--overwrite", "--no-optimizer-state"});
    if (a.flags.count("--help")) {
        std::cout << kTrainHelp;
        return 0;
    }
    setThreads(a);
    const bool resuming = a.has("--resume");
    if (resuming && a.has("--out") && fs::path(a.get("--out")) != fs::path(a.get("--resume")))
        throw Error("--out: with --resume the run continues in the --resume folder; drop --out");
    const std::string out = resuming ? a.get("--resume") : a.get("--out");
    if (out.empty())
        throw Error("--out: an output folder is required");
    std::error_code ec;
    if (!resuming && fs::exists(fs::path(out) / "trainer_state.json", ec) && !a.flags.count("--overwrite"))
        throw Error("--out: " + out + " already holds a training run (pass --resume " + out
                    + " to continue it, or --overwrite to start afresh)");
    if (!resuming && fs::exists(out, ec) && !fs::is_directory(out, ec))
        throw Error("--out: " + out + " exists and is not a folder");

    // Where the corpus and tokenizer come from: the flags, or on resume the folder's state.
    std::string tokenizerFile = a.get("--tokenizer");
    std::string corpus = a.get("--corpus");
    std::string heldOut = a.get("--held-out");
    std::string stateArch = "gau";
    if (resuming) {
        if (tokenizerFile.empty())
            tokenizerFile = (fs::path(out) / "tokenizer.model").string();
        const fs::path statePath = fs::path(out) / "trainer_state.json";
        try {
            const auto state = nlohmann::json::parse(readTextFile("--resume", statePath.string()));
            if (corpus.empty())
                corpus = state.value("corpus", std::string());
            if (heldOut.empty())
                heldOut = state.value("held_out", std::string());
            stateArch = state.value("format", std::string()) == "entroscope-causal-trainer-1" ? "llama" : "gau";
        } catch (const nlohmann::json::exception &e) {
            throw Error(statePath.string() + ": not a trainer state (" + e.what() + ")");
        }
    }
    std::string arch = a.get("--arch", resuming ? stateArch : "gau");
    if (arch != "gau" && arch != "llama")
        throw Error("--arch: unknown '" + arch + "' (expected gau or llama)");
    if (resuming && arch != stateArch)
        throw Error("--arch: " + out + " holds a " + stateArch + " run, not " + arch);
    for (const char *flag : {"--qk", "--key-size"})
        if (arch == "llama" && a.has(flag))
            throw Error(std::string(flag) + ": only for --arch gau (the causal model trains with plain softmax and "
                                            "head size hidden/heads)");
    if (arch == "gau" && (a.has("--heads") || a.has("--kv-heads")))
        throw Error(std::string(a.has("--heads") ? "--heads" : "--kv-heads") + ": only for --arch llama");
    if (corpus.empty())
        throw Error("--corpus: required");
    if (tokenizerFile.empty())
        throw Error("--tokenizer: required (make one with entroscope-cli train-tokenizer)");

    TrainOptions o;
    o.config.numLayers = a.has("--layers") ? parseInt("--layers", a.get("--layers")) : 4;
    o.config.hiddenSize = a.has("--hidden") ? parseInt("--hidden", a.get("--hidden")) : 128;
    o.config.embeddingSize = o.config.hiddenSize;
    o.config.intermediateSize = a.has("--intermediate") ? parseInt("--intermediate", a.get("--intermediate")) : 256;
    o.config.keySize = a.has("--key-size") ? parseInt("--key-size", a.get("--key-size")) : 32;
    for (auto [flag, v] : {std::pair<const char *, int64_t>{"--layers", o.config.numLayers},
                           {"--hidden", o.config.hiddenSize},
                           {"--intermediate", o.config.intermediateSize},
                           {"--key-size", o.config.keySize}})
        if (v < 1 || v > 65536)
            throw Error(std::string(flag) + ": must be between 1 and 65536");
    o.trainLength = a.has("--train-length") ? parseInt("--train-length", a.get("--train-length")) : 64;
    o.qk = a.get("--qk", "plain");
    o.steps = a.has("--steps") ? parseInt("--steps", a.get("--steps")) : 1000;
    o.batchSize = a.has("--batch") ? parseInt("--batch", a.get("--batch")) : 32;
    o.lr = a.has("--lr") ? parseDouble("--lr", a.get("--lr")) : 1e-3;
    o.warmupSteps = a.has("--warmup") ? parseInt("--warmup", a.get("--warmup")) : std::max<int64_t>(1, o.steps / 20);
    o.weightDecay = a.has("--weight-decay") ? parseDouble("--weight-decay", a.get("--weight-decay")) : 0.01;
    o.seed = a.has("--seed") ? static_cast<uint64_t>(parseInt("--seed", a.get("--seed"))) : 1;
    o.heldOutFraction = a.has("--held-out-fraction") ? parseDouble("--held-out-fraction", a.get("--held-out-fraction")) : 0.05;
    o.evalInterval = a.has("--eval-interval") ? parseInt("--eval-interval", a.get("--eval-interval")) : 100;
    o.evalWindows = a.has("--eval-windows") ? parseInt("--eval-windows", a.get("--eval-windows")) : 256;
    const int64_t saveInterval = a.has("--save-interval") ? parseInt("--save-interval", a.get("--save-interval")) : 500;

    const auto t0 = std::chrono::steady_clock::now();
    const auto tokenizer = Tokenizer::fromSentencePieceFile(tokenizerFile);
    auto trainTokens = Trainer::encodeCorpus(*tokenizer, corpus);
    std::vector<int64_t> heldOutTokens;
    if (!heldOut.empty())
        heldOutTokens = Trainer::encodeCorpus(*tokenizer, heldOut);
    // A copy of the tokenizer that outlives an overwrite of the output folder.
    const fs::path tokCopy = fs::temp_directory_path() / ("entroscope-tokenizer-" + std::to_string(::getpid()) + ".model");
    fs::copy_file(tokenizerFile, tokCopy, fs::copy_options::overwrite_existing, ec);
    if (ec)
        throw Error(tokenizerFile + ": cannot copy the tokenizer (" + ec.message() + ")");
    struct Cleanup
    {
        fs::path p;
        ~Cleanup()
        {
            std::error_code e;
            fs::remove(p, e);
        }
    } cleanup{tokCopy};

    if (arch == "llama") {
        CausalTrainOptions co;
        co.config = defaultCausalConfig();
        co.config.numLayers = o.config.numLayers;
        co.config.hiddenSize = o.config.hiddenSize;
        co.config.intermediateSize = a.has("--intermediate") ? o.config.intermediateSize : co.config.intermediateSize;
        co.config.numHeads = a.has("--heads") ? parseInt("--heads", a.get("--heads")) : co.config.numHeads;
        co.config.numKvHeads = a.has("--kv-heads") ? parseInt("--kv-heads", a.get("--kv-heads")) : co.config.numKvHeads;
        for (auto [flag, v] : {std::pair<const char *, int64_t>{"--heads", co.config.numHeads}, {"--kv-heads", co.config.numKvHeads}})
            if (v < 1 || v > 4096)
                throw Error(std::string(flag) + ": must be between 1 and 4096");
        co.trainLength = o.trainLength;
        co.batchSize = o.batchSize;
        co.steps = o.steps;
        co.lr = o.lr;
        co.warmupSteps = o.warmupSteps;
        co.weightDecay = o.weightDecay;
        co.seed = o.seed;
        co.heldOutFraction = o.heldOutFraction;
        co.evalInterval = o.evalInterval;
        co.evalWindows = o.evalWindows;
        CausalTrainer trainer(co, tokCopy.string(), std::move(trainTokens), std::move(heldOutTokens));
        if (resuming)
            trainer.resume(out, a.has("--steps") ? co.steps : 0);
        const auto &c = trainer.config();
        std::cerr << "train: " << trainer.trainTokenCount() << " training tokens, " << trainer.heldOutTokenCount()
                  << " held-out tokens (encoded in " << std::fixed << std::setprecision(1)
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s); "
                  << trainer.checkpoint()->parameterCount() << " parameters; causal llama, " << c.numLayers
                  << " layers, hidden " << c.hiddenSize << ", " << c.numHeads << " heads (" << c.numKvHeads
                  << " KV) of size " << c.headDim << ", intermediate " << c.intermediateSize << ", T "
                  << trainer.options().trainLength << "; "
                  << (resuming ? "resuming at step " + std::to_string(trainer.step()) : std::string("from scratch"))
                  << " to step " << trainer.options().steps << "\n";
        return trainLoop(trainer, a, out, corpus, heldOut, saveInterval);
    }
    Trainer trainer(o, tokCopy.string(), std::move(trainTokens), std::move(heldOutTokens));
    if (resuming)
        trainer.resume(out, a.has("--steps") ? o.steps : 0);
    std::cerr << "train: " << trainer.trainTokenCount() << " training tokens, " << trainer.heldOutTokenCount()
              << " held-out tokens (encoded in " << std::fixed << std::setprecision(1)
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s); "
              << trainer.checkpoint()->parameterCount() << " parameters; " << trainer.config().numLayers
              << " layers, hidden " << trainer.config().hiddenSize << ", key size " << trainer.config().keySize
              << ", T " << trainer.options().trainLength << ", qk " << trainer.method().spec().qk << "; "
              << (resuming ? "resuming at step " + std::to_string(trainer.step()) : std::string("from scratch"))
              << " to step " << trainer.options().steps << "\n";

    return trainLoop(trainer, a, out, corpus, heldOut, saveInterval);
}

const Registration kTrainTokenizer{"train-tokenizer", "train a SentencePiece tokenizer on a corpus", trainTokenizer};
const Registration kTrain{"train", "masked-LM training of a GAU-α or causal-LM training of a Llama (the demo models)", train};

} // namespace
} // namespace entroscope::cli
