// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// `entroscope-cli sweep`, `compare` and `evaluate`: the multi-run analyses of METHODS.md §3.

#include "cli_common.h"
#include "cli_runs.h"
#include "distributed.h"
#include "analysis/experiments.h"

#include <chrono>
#include <optional>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace entroscope::cli {
namespace {

const char *kSweepHelp = R"(usage: entroscope-cli sweep --lengths 64,128,... --presets a,b,c (--text STR | --text-file F | --ids ... | --documents F) --out DIR

  Metrics of every layer at every length under every method, for entropy/dilution-vs-length plots.
  --model DIR, --fill, --key-count, --train-length, --special-tokens, --threads as for analyze.
  --presets a,b,c        presets (or repeat --preset NAME)
  --method M             a preset or "temperature,qk,position" (repeatable; --methods "m1;m2" for a list)
  --documents F          a file of documents (one per non-empty line): every document is an input (with
                         --fill concat every start whose continuation holds n tokens), and every metric is
                         the mean over the inputs with its standard error (column se; empty for one input)
  --max-documents D      use the first D documents of --documents
  --inputs K             at most K inputs per length, spread evenly over the available ones (input
                         floor(k·D/K) of D, k = 0..K-1)
  --out DIR              writes sweep.csv (tidy: length,preset,temperature,qk,position,key_count,layer,head,
                         metric,value,se,documents) and sweep.json (settings + every finished point, without
                         per-query entropies) after each finished point. An interrupted sweep keeps what it
                         finished: run the same command again to continue. --overwrite starts again.
)";

int sweep(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv,
                             {"--model", "--text", "--text-file", "--ids", "--documents", "--lengths", "--presets",
                              "--methods", "--fill", "--key-count", "--train-length", "--out", "--threads",
                              "--max-documents", "--inputs", "--shard"},
                             {"--overwrite", "--special-tokens"}, {"--preset", "--method"});
    if (a.flags.count("--help")) {
        std::cout << kSweepHelp << kShardHelp << "\n" << methodVocabularyHelp();
        return 0;
    }
    if (!a.has("--lengths"))
        throw Error("--lengths: required (e.g. --lengths 64,128,256)");
    const auto lengths = parseLengths("--lengths", a.get("--lengths"));
    if (!a.has("--out"))
        throw Error("--out: an output folder is required");
    const std::string fill = checkedFill(a);
    setThreads(a);
    const auto model = loadAttentionModel(modelDir(a));
    const auto &defaults = model->methodDefaults();
    const int64_t T = trainLength(a, model->info().trainLength);
    const auto methods = methodList(a, defaults, T);
    if (methods.empty())
        throw Error("--presets: required (e.g. --presets extrapolate,infoscale)");

    // The inputs at each length: one text, or every document of --documents.
    std::vector<std::vector<int64_t>> documents;
    std::string what;
    if (a.has("--documents")) {
        if (a.has("--text") || a.has("--text-file") || a.has("--ids"))
            throw Error("--documents: give either --documents or one of --text, --text-file, --ids");
        what = a.get("--documents");
        documents = readDocuments("--documents", what, *model,
                                  a.has("--max-documents") ? parseInt("--max-documents", a.get("--max-documents")) : -1);
    } else {
        documents.push_back(inputTokens(a, *model));
        what = a.has("--text-file") ? a.get("--text-file") : "the input";
    }
    const int64_t maxInputs = a.has("--inputs") ? parseInt("--inputs", a.get("--inputs")) : 0;
    if (a.has("--inputs") && maxInputs < 1)
        throw Error("--inputs: must be at least 1");
    auto inputsAt = [&](int64_t n) {
        if (!a.has("--documents"))
            return std::vector<std::vector<int64_t>>{fillToLength(documents[0], n, fill)};
        auto all = documentInputs(documents, n, fill, what);
        if (maxInputs <= 0 || static_cast<int64_t>(all.size()) <= maxInputs)
            return all;
        // K inputs spread evenly over the available ones: concat windows from far-apart starts overlap less.
        std::vector<std::vector<int64_t>> some;
        for (int64_t k = 0; k < maxInputs; ++k)
            some.push_back(std::move(all[static_cast<size_t>(k * static_cast<int64_t>(all.size()) / maxInputs)]));
        return some;
    };
    for (auto n : lengths) {
        AnalysisRequest probe;
        checkMemory(*model, n, probe);
        inputsAt(n); // validates truncate/concat before any work
    }

    json names = json::array();
    for (const auto &m : methods)
        names.push_back(m.name);
    json settings = {{"model", modelDir(a)}, // as given: a results folder moves with its repository
                     {"lengths", lengths},
                     {"presets", names},
                     {"fill", fill},
                     {"train_length", T},
                     {"key_count", a.get("--key-count", "rows")}};
    if (a.has("--documents")) {
        settings["documents"] = what;
        settings["inputs"] = maxInputs;
        settings["document_count"] = documents.size();
    } else {
        settings["tokens"] = documents[0];
    }
    warnIfSlowBlas();
    RunPlan plan;
    plan.name = "sweep";
    plan.settings = settings;
    for (auto n : lengths) {
        const auto count = static_cast<int64_t>(inputsAt(n).size());
        for (const auto &method : methods)
            plan.cells.push_back({std::to_string(n) + "/" + method.name, n, method.name, count});
    }
    // One item is one input at one length under one method; the inputs of the last length are kept.
    int64_t cachedLength = -1;
    std::vector<std::vector<int64_t>> cachedInputs;
    plan.work = [&](size_t c, int64_t item) {
        const RunCell &cell = plan.cells[c];
        if (cell.length != cachedLength) {
            cachedInputs = inputsAt(cell.length);
            cachedLength = cell.length;
        }
        const auto &method = methods[c % methods.size()];
        AnalysisRequest req;
        req.method = method.method;
        req.trainLength = T;
        req.mlmTop1 = false;
        const std::string label = "[" + std::to_string(c + 1) + "/" + std::to_string(plan.cells.size()) + "] n="
                                  + std::to_string(cell.length) + " " + method.name
                                  + (cell.items > 1 ? " input " + std::to_string(item + 1) + "/" + std::to_string(cell.items) : "");
        AnalysisResult r = model->analyze(
            cachedInputs[static_cast<size_t>(item)], req,
            [&](double f, const std::string &l) {
                if (worldRank() == 0)
                    progressLine("sweep", f, label + " " + l);
            },
            &interruptToken());
        json layers = json::array();
        for (const auto &l : r.layers) {
            json lj = metricsJson(l);
            lj.erase("entropy");
            layers.push_back(std::move(lj));
        }
        return json{{"method", methodJson(method.method.spec())}, {"seconds", r.seconds}, {"layers", layers}}.dump();
    };
    return runPlan(plan, a);
}

const char *kCompareHelp = R"(usage: entroscope-cli compare --preset A --preset B [--preset C ...] --length N (--text ... | --ids ...) --out DIR

  Runs every method on the same input and writes compare.json / compare.csv: per layer (and head, for
  multi-head models: js_divergence_vs_reference is layer-major) the mean Jensen-Shannon divergence (nats)
  between each method's attention rows and the first method's, and every method's metrics. Methods: --preset (repeatable), --presets a,b, --method M (repeatable; a
  preset or "temperature,qk,position"), --methods "m1;m2". --model, --fill (tile, truncate, concat),
  --key-count, --train-length, --special-tokens, --threads as for analyze.
)";

int compare(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv,
                             {"--model", "--text", "--text-file", "--ids", "--length", "--presets", "--methods", "--fill",
                              "--key-count", "--train-length", "--out", "--threads"},
                             {"--overwrite", "--special-tokens"}, {"--preset", "--method"});
    if (a.flags.count("--help")) {
        std::cout << kCompareHelp << "\n" << methodVocabularyHelp();
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
    const auto methods = methodList(a, defaults, T);
    if (methods.size() < 2)
        throw Error("--preset: give at least two methods to compare");
    const auto ids = fillToLength(inputTokens(a, *model), n, fill);
    // The reference keeps its layer inputs; every other method's analysis recomputes the reference's rows
    // from them next to its own blocks and accumulates the JS divergence while both exist (one pass each).
    AnalysisRequest probe;
    probe.keepLayerInputs = true;
    probe.jsInputs = std::make_shared<LayerInputs>(); // with the compared rows of a block, and the inputs kept
    try {
        checkAnalysisMemory(*model, n, probe);
    } catch (const Error &e) {
        throw Error(std::string("--length: ") + e.what());
    }

    StagedOutput out(a.get("--out"), a.flags.count("--overwrite") > 0);
    warnIfSlowBlas();
    const std::string &ref = methods[0].name;
    json j = {{"length", n}, {"train_length", T}, {"fill", fill}, {"tokens", ids}, {"reference", ref}};
    json jmethods = json::array();
    std::string csv = "reference,preset,temperature,qk,position,key_count,layer,head,js_divergence\n";
    auto metricsOf = [](const AnalysisResult &r) {
        json layers = json::array();
        for (const auto &l : r.layers)
            layers.push_back(metricsJson(l));
        return layers;
    };
    const double steps = static_cast<double>(methods.size());
    auto stage = [&](size_t k, const std::string &label) {
        return [&, k, label](double f, const std::string &l) {
            progressLine("compare", (static_cast<double>(k) + f) / steps, label + " " + l);
        };
    };
    AnalysisRequest req;
    req.trainLength = T;
    req.mlmTop1 = false;
    req.method = methods[0].method;
    req.keepLayerInputs = true;
    const AnalysisResult reference = model->analyze(ids, req, stage(0, ref), &interruptToken());
    jmethods.push_back({{"preset", ref}, {"method", methodJson(reference.method)}, {"layers", metricsOf(reference)}});
    req.keepLayerInputs = false;
    req.jsInputs = reference.layerInputs;
    req.jsMethod = methods[0].method;
    for (size_t m = 1; m < methods.size(); ++m) {
        req.method = methods[m].method;
        const AnalysisResult other =
            model->analyze(ids, req, stage(m, methods[m].name + " vs " + ref), &interruptToken());
        const std::vector<double> &js = other.jsDivergence;
        jmethods.push_back({{"preset", methods[m].name},
                            {"method", methodJson(other.method)},
                            {"js_divergence_vs_reference", js},
                            {"layers", metricsOf(other)}});
        const json row = {{"preset", methods[m].name}, {"method", methodJson(other.method)}};
        for (size_t l = 0; l < js.size(); ++l) // one value per layer (GAU-α) or per (layer, head), layer-major
            csv += csvField(ref) + "," + methodColumns(row) + std::to_string(l / info.numHeads) + ","
                   + std::to_string(l % info.numHeads) + "," + fmt(js[l]) + "\n";
    }
    j["methods"] = jmethods;
    writeJsonFile(out.path("compare.json"), j);
    writeTextFileAtomically(out.path("compare.csv"), csv);
    out.commit();
    std::cerr << "\rcompare: " << methods.size() << " methods at n=" << n << " -> " << a.get("--out") << "          \n";
    return 0;
}

const char *kEvaluateHelp = R"(usage: entroscope-cli evaluate --text-file DOCS --lengths 64,128,... --presets a,b --out DIR

  Causal models (Llama family): every document is filled to n as below and run once; the cross-entropy
  and top-1 of token t+1 at every t are reported over all t and over t >= T (loss_beyond_T, the
  extrapolated part), with Wilson 95 % intervals of the accuracies and standard errors of the losses over
  the inputs (METHODS.md §3). --positions and --batch do not apply.

  GAU-α, the paper's MLM protocol: every document (one per non-empty line of DOCS) is filled to n (tile,
  truncate, or concat: every start d followed by the next documents, for the starts that hold n tokens);
  for each evaluated position a copy with that token replaced by [MASK] is run, and top-1 accuracy with
  its Wilson 95 % interval, mean cross-entropy with its standard error over documents, and perplexity of
  the original token are reported per length and method.
  --positions all|K      all n positions (the paper's full protocol) or K per document, spread over the
                         sequence and shifted from document to document (METHODS.md §3; default 32)
  --batch B              masked copies per forward (default 8)
  --max-documents D      use the first D documents (default all)
  --method M             a preset or "temperature,qk,position" (repeatable); --presets a,b; --methods "m1;m2"
  --model, --fill, --key-count, --train-length, --threads as for analyze.
  --out DIR              evaluate.csv and evaluate.json, updated after each (length, method); an interrupted
                         run keeps what it finished and the same command continues it.
)";

int evaluate(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv,
                             {"--model", "--text-file", "--lengths", "--presets", "--methods", "--positions", "--batch",
                              "--fill", "--key-count", "--train-length", "--out", "--threads", "--max-documents", "--shard"},
                             {"--overwrite"}, {"--preset", "--method"});
    if (a.flags.count("--help")) {
        std::cout << kEvaluateHelp << kShardHelp << "\n" << methodVocabularyHelp();
        return 0;
    }
    if (!a.has("--text-file"))
        throw Error("--text-file: required (documents, one per line)");
    if (!a.has("--lengths"))
        throw Error("--lengths: required");
    const auto lengths = parseLengths("--lengths", a.get("--lengths"));
    if (!a.has("--out"))
        throw Error("--out: an output folder is required");
    int64_t positions = 32;
    if (a.has("--positions")) {
        if (a.get("--positions") == "all")
            positions = 0;
        else if ((positions = parseInt("--positions", a.get("--positions"))) < 1)
            throw Error("--positions: must be 'all' or at least 1");
    }
    const int64_t batch = a.has("--batch") ? parseInt("--batch", a.get("--batch")) : 8;
    if (batch < 1 || batch > 4096)
        throw Error("--batch: must be between 1 and 4096");
    const std::string fill = checkedFill(a);
    setThreads(a);
    const auto loaded = loadAttentionModel(modelDir(a));
    const auto &defaults = loaded->methodDefaults();
    const int64_t T = trainLength(a, loaded->info().trainLength);
    const auto methods = methodList(a, defaults, T);
    if (methods.empty())
        throw Error("--presets: required");
    const std::string file = a.get("--text-file");
    const auto docs = readDocuments("--text-file", file, *loaded,
                                    a.has("--max-documents") ? parseInt("--max-documents", a.get("--max-documents")) : -1);
    for (auto n : lengths)
        documentInputs(docs, n, fill, file); // validates truncate/concat before any work

    json names = json::array();
    for (const auto &m : methods)
        names.push_back(m.name);
    json settings = {{"model", modelDir(a)}, // as given: a results folder moves with its repository
                     {"documents", file},
                     {"document_count", docs.size()},
                     {"lengths", lengths},
                     {"presets", names},
                     {"positions", positions},
                     {"fill", fill},
                     {"train_length", T},
                     {"key_count", a.get("--key-count", "rows")}};
    warnIfSlowBlas();
    RunPlan plan;
    plan.name = "evaluate";

    if (const auto *causal = dynamic_cast<const LlamaModel *>(loaded.get())) {
        // Next-token prediction (METHODS.md §3, causal models): one item is one input of n tokens, one forward.
        if (a.has("--positions") || a.has("--batch"))
            throw Error(std::string(a.has("--positions") ? "--positions" : "--batch")
                        + ": a causal model is evaluated at every position of each input in one forward");
        settings["objective"] = "next_token";
        settings.erase("positions");
        plan.settings = settings;
        for (auto n : lengths) {
            if (n < 2)
                throw Error("--lengths: a next-token evaluation needs n >= 2");
            AnalysisRequest probe;
            checkMemory(*loaded, n, probe);
            const auto count = static_cast<int64_t>(documentInputs(docs, n, fill, file).size());
            for (const auto &method : methods)
                plan.cells.push_back({std::to_string(n) + "/" + method.name, n, method.name, count});
        }
        int64_t cachedLength = -1;
        std::vector<std::vector<int64_t>> inputs;
        plan.work = [&, causal](size_t c, int64_t item) {
            const RunCell &cell = plan.cells[c];
            if (cell.length != cachedLength) {
                inputs = documentInputs(docs, cell.length, fill, file);
                cachedLength = cell.length;
            }
            const auto &method = methods[c % methods.size()];
            if (worldRank() == 0 && worldSize() == 1)
                progressLine("evaluate", double(item) / double(cell.items),
                             "[" + std::to_string(c + 1) + "/" + std::to_string(plan.cells.size()) + "] n="
                                 + std::to_string(cell.length) + " " + method.name + " input " + std::to_string(item + 1)
                                 + "/" + std::to_string(cell.items));
            const auto t0 = std::chrono::steady_clock::now();
            const NextTokenScores r =
                scoreNextTokens(*causal, inputs[static_cast<size_t>(item)], method.method, T, &interruptToken());
            return json{{"method", methodJson(method.method.spec())},
                        {"inputs", inputs.size()},
                        {"input", item},
                        {"count", r.count},
                        {"correct", r.correct},
                        {"loss_sum", numberJson(r.lossSum)},
                        {"count_beyond", r.countBeyond},
                        {"correct_beyond", r.correctBeyond},
                        {"loss_sum_beyond", numberJson(r.lossSumBeyond)},
                        {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}}
                .dump();
        };
        return runPlan(plan, a);
    }
    const auto *gau = dynamic_cast<const GauModel *>(loaded.get());
    if (!gau)
        throw Error(modelDir(a) + ": evaluate runs the MLM protocol on GAU-α and next-token prediction on causal models");
    const GauModel &model = *gau;
    plan.settings = settings;
    // One item is a chunk of a cell's masked samples: whole batches (so that a split run computes the
    // batches of an unsplit one), about kChunkSamples samples.
    constexpr int64_t kChunkSamples = 64;
    const int64_t chunk = batch * std::max<int64_t>(1, (kChunkSamples + batch - 1) / batch);
    for (auto n : lengths) {
        const auto samples = static_cast<int64_t>(planMlm(docs, n, positions, fill, file).samples.size());
        for (const auto &method : methods)
            plan.cells.push_back({std::to_string(n) + "/" + method.name, n, method.name, (samples + chunk - 1) / chunk});
    }
    std::optional<MlmPlan> cached; // the plan of the last length
    plan.work = [&](size_t c, int64_t item) {
        const RunCell &cell = plan.cells[c];
        if (!cached || cached->length != cell.length)
            cached = planMlm(docs, cell.length, positions, fill, file);
        const auto &method = methods[c % methods.size()];
        const size_t begin = static_cast<size_t>(item * chunk);
        const size_t end = std::min(cached->samples.size(), begin + static_cast<size_t>(chunk));
        const std::string label = "[" + std::to_string(c + 1) + "/" + std::to_string(plan.cells.size()) + "] n="
                                  + std::to_string(cell.length) + " " + method.name + " samples "
                                  + std::to_string(begin + 1) + "-" + std::to_string(end) + "/"
                                  + std::to_string(cached->samples.size());
        const auto t0 = std::chrono::steady_clock::now();
        const MlmSamples r = evaluateMlmSamples(
            model, *cached, begin, end, method.method, T, batch,
            [&](double f, const std::string &) {
                if (worldRank() == 0 && worldSize() == 1)
                    progressLine("evaluate", f, label);
            },
            &interruptToken());
        json input = json::array(), loss = json::array(), correct = json::array();
        for (size_t s = begin; s < end; ++s)
            input.push_back(cached->samples[s].input);
        for (size_t s = 0; s < r.loss.size(); ++s) {
            loss.push_back(numberJson(r.loss[s]));
            correct.push_back(int(r.correct[s]));
        }
        return json{{"method", methodJson(method.method.spec())},
                    {"inputs", cached->inputs.size()},
                    {"samples_total", cached->samples.size()},
                    {"input", input},
                    {"loss", loss},
                    {"correct", correct},
                    {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}}
            .dump();
    };
    return runPlan(plan, a);
}

const Registration kSweep{"sweep", "metrics at many lengths under many presets (resumable CSV + JSON)", sweep};
const Registration kCompare{"compare", "JS divergence between presets' attention, per layer", compare};
const Registration kEvaluate{"evaluate", "the paper's MLM evaluation: accuracy, loss, perplexity per length and preset", evaluate};

} // namespace
} // namespace entroscope::cli
