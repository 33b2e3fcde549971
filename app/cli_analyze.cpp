// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// `entroscope-cli analyze` and `presets`: the headless contract of METHODS.md §5.

#include "cli_common.h"
#include "io/npy.h"

#include <iostream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace entroscope::cli {
namespace {

const char *kAnalyzeHelp = R"(usage: entroscope-cli analyze [options] --length N --out DIR

  --model DIR            Hugging Face-style folder of a GAU-α or Llama-family (llama, mistral, qwen2) model
                         (default: $ENTROSCOPE_MODEL or the bundled demo model)
  --text STR | --text-file PATH | --ids 1,2,3
                         the input (text is tokenised without [CLS]/[SEP] unless --special-tokens)
  --length N             context length n
  --fill tile|truncate|concat
                         how the input reaches n tokens (default tile): repeat it, cut it, or (a text file of
                         documents, one per line) the documents one after the other, cut to n
  --preset NAME          a named method (list below; `entroscope-cli presets`)
  --method M             a preset, or "temperature,qk,position" (an empty axis = the checkpoint's own)
  --temperature T, --qk Q, --position P
                         the three axes (values below); an axis not given is the checkpoint's own
  --key-count rows|visible
                         n_i for the temperature: every key of the row (default) or only the visible ones
  --train-length T       override the checkpoint's training length
  --maps                 also write attention_layer{L}.npy ([n, n] float32) per layer
                         (attention_layer{L}_head{H}.npy per head for multi-head models)
  --out DIR              output folder (must not exist or be empty, unless --overwrite)
  --overwrite            replace an existing output folder (only once the new one is complete)
  --special-tokens       add [CLS] ... [SEP] around tokenised text
  --threads N            intra-op threads (default: all cores)
)";

int analyze(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv,
                             {"--model", "--text", "--text-file", "--ids", "--length", "--fill", "--preset", "--method",
                              "--temperature", "--qk", "--position", "--key-count", "--train-length", "--out",
                              "--threads"},
                             {"--maps", "--overwrite", "--special-tokens"});
    if (a.flags.count("--help")) {
        std::cout << kAnalyzeHelp << "\n" << methodVocabularyHelp();
        return 0;
    }
    const int64_t n = requiredLength(a);
    if (!a.has("--out"))
        throw Error("--out: an output folder is required");
    const std::string fill = checkedFill(a);
    setThreads(a);

    const auto model = loadAttentionModel(modelDir(a));
    const ModelInfo info = model->info();
    const auto &defaults = model->methodDefaults();
    const int64_t T = trainLength(a, info.trainLength);
    AnalysisRequest req;
    req.method = methodFromArgs(a, defaults, T);
    req.trainLength = T;
    const std::vector<int64_t> tokens = inputTokens(a, *model);
    checkMemory(*model, n, req);
    const std::vector<int64_t> ids = fillToLength(tokens, n, fill);
    const bool multiHead = info.numHeads > 1;

    StagedOutput out(a.get("--out"), a.flags.count("--overwrite") > 0);
    const bool maps = a.flags.count("--maps") > 0;
    if (maps) {
        const double disk = static_cast<double>(n) * static_cast<double>(n) * 4.0
                            * static_cast<double>(info.numLayers * info.numHeads);
        std::error_code ec;
        const auto space = fs::space(out.stage(), ec);
        if (!ec && disk > static_cast<double>(space.available))
            throw Error("--maps: the maps at --length " + std::to_string(n) + " take " + formatBytes(disk) + ", but "
                        + out.stage().parent_path().string() + " has "
                        + formatBytes(static_cast<double>(space.available)) + " free");
    }

    warnIfSlowBlas();
    std::vector<std::unique_ptr<NpyWriter>> writers;
    if (maps) {
        // METHODS.md §5/§6: attention_layer{L}.npy, and attention_layer{L}_head{H}.npy for multi-head models.
        for (int64_t l = 0; l < info.numLayers; ++l)
            for (int64_t h = 0; h < info.numHeads; ++h)
                writers.push_back(std::make_unique<NpyWriter>(
                    out.path("attention_layer" + std::to_string(l) + (multiHead ? "_head" + std::to_string(h) : "") + ".npy")
                        .string(),
                    std::vector<int64_t>{n, n}));
        req.rowSink = [&](int layer, int head, int64_t, int64_t rows, int64_t cols, const float *data) {
            writers[static_cast<size_t>(layer * info.numHeads + head)]->write(data, rows * cols);
        };
    }
    const AnalysisResult r = model->analyze(
        ids, req, [](double f, const std::string &label) { progressLine("analyze", f, label); }, &interruptToken());
    for (auto &w : writers)
        w->finish();

    json j;
    j["length"] = r.length;
    j["train_length"] = r.trainLength;
    j["key_size"] = r.keySize;
    j["method"] = methodJson(r.method);
    j["tokens"] = r.tokens;
    j["layers"] = json::array();
    for (const auto &m : r.layers)
        j["layers"].push_back(metricsJson(m));
    j[info.causal ? "next_top1" : "mlm_top1"] = r.mlmTop1; // METHODS.md §6: next-token argmax for causal models
    writeJsonFile(out.path("summary.json"), j);
    out.commit();
    std::cerr << "\ranalyze: n=" << n << " " << r.method.label() << ", " << info.numLayers << " layers"
              << (multiHead ? " × " + std::to_string(info.numHeads) + " heads" : "") << " in "
              << static_cast<int>(r.seconds * 1000) << " ms -> " << a.get("--out") << "\n";
    return 0;
}

int presets(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv, {}, {});
    (void)a;
    for (const auto &p : presetInfos())
        std::cout << p.name << "\t" << (p.temperature.empty() ? "·" : p.temperature) << " × "
                  << (p.qk.empty() ? "·" : p.qk) << " × " << (p.position.empty() ? "·" : p.position) << "\t"
                  << p.description << " [" << p.source << "]\n";
    return 0;
}

const Registration kAnalyze{"analyze", "attention maps and metrics of one input at one length under one method", analyze};
const Registration kPresets{"presets", "list the method presets", presets};

} // namespace
} // namespace entroscope::cli
