// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// `entroscope-cli sweep`, `compare` and `evaluate`: the multi-run analyses of METHODS.md §3.

#include "cli_common.h"
#include "experiments.h"

#include <chrono>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace entroscope::cli {
namespace {

std::string fmt(double v)
{
    std::ostringstream o;
    o.precision(10);
    o << v;
    return o.str();
}

/// A results folder that grows one finished point at a time and can be resumed: `<name>.json` holds the
/// settings and every finished point (rewritten atomically after each point), `<name>.csv` is rendered
/// from it. An interrupted run keeps what it finished; the same command continues it.
class ResumableRun
{
public:
    ResumableRun(const std::string &out, const std::string &name, const json &settings, bool overwrite)
        : m_dir(out)
        , m_name(name)
        , m_settings(settings)
    {
        std::error_code ec;
        const fs::path jsonPath = m_dir / (name + ".json");
        if (fs::exists(m_dir, ec) && !fs::is_directory(m_dir, ec))
            throw Error("--out: " + out + " exists and is not a folder");
        if (fs::exists(jsonPath, ec) && !overwrite) {
            json old;
            try {
                old = json::parse(readTextFile("--out", jsonPath.string()));
            } catch (const json::exception &) {
                throw Error("--out: " + jsonPath.string() + " is not valid JSON (pass --overwrite to start again)");
            }
            if (old.value("settings", json()) != settings)
                throw Error("--out: " + out + " holds a " + name
                            + " with other settings (choose another folder or pass --overwrite)");
            m_points = old.value("points", json::array());
        } else if (fs::exists(m_dir, ec) && !fs::is_empty(m_dir, ec) && !overwrite) {
            throw Error("--out: " + out + " exists and is not empty (choose another folder or pass --overwrite)");
        } else {
            if (overwrite && fs::exists(jsonPath, ec)) {
                fs::remove(jsonPath, ec);
                fs::remove(m_dir / (name + ".csv"), ec);
            }
            fs::create_directories(m_dir, ec);
            if (ec)
                throw Error("--out: cannot create " + out + " (" + ec.message() + ")");
        }
    }

    bool done(const std::string &key) const
    {
        for (const auto &p : m_points)
            if (p.value("key", "") == key)
                return true;
        return false;
    }
    size_t finished() const { return m_points.size(); }

    void add(const std::string &key, json point, const std::function<std::string(const json &)> &csv, bool complete)
    {
        point["key"] = key;
        m_points.push_back(std::move(point));
        save(csv, complete);
    }
    void save(const std::function<std::string(const json &)> &csv, bool complete)
    {
        json j = {{"settings", m_settings}, {"complete", complete}, {"points", m_points}};
        writeTextFileAtomically(m_dir / (m_name + ".csv"), csv(m_points));
        writeTextFileAtomically(m_dir / (m_name + ".json"), j.dump(1) + "\n");
    }

private:
    fs::path m_dir;
    std::string m_name;
    json m_settings;
    json m_points = json::array();
};

std::string csvCell(const json &v) { return v.is_null() ? std::string() : fmt(v.get<double>()); }

/// A CSV field, quoted when it holds a comma or a quote (RFC 4180): method strings such as
/// "softmax,plain,rope" are one field.
std::string csvField(const std::string &s)
{
    if (s.find_first_of(",\"\n") == std::string::npos)
        return s;
    std::string q = "\"";
    for (char c : s)
        q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string methodColumns(const json &p)
{
    const auto &m = p["method"];
    return csvField(p["preset"].get<std::string>()) + "," + m["temperature"].get<std::string>() + "," + m["qk"].get<std::string>()
           + "," + m["position"].get<std::string>() + "," + m.value("key_count", std::string("rows")) + ",";
}

std::string sweepCsv(const json &points)
{
    std::string s = "length,preset,temperature,qk,position,key_count,layer,head,metric,value,se,documents\n";
    for (const auto &p : points) {
        const std::string head = std::to_string(p["length"].get<int64_t>()) + "," + methodColumns(p);
        const std::string docs = "," + std::to_string(p.value("documents", int64_t{1})) + "\n";
        for (const auto &l : p["layers"]) {
            const std::string lh = head + std::to_string(l["layer"].get<int>()) + "," + std::to_string(l["head"].get<int>()) + ",";
            const json se = l.value("se", json::object());
            for (const auto &metric : scalarMetrics()) {
                const auto &v = l[metric.name];
                if (v.is_null())
                    continue; // undefined here (retained mass at n < T)
                const json e = se.value(metric.name, json());
                s += lh + metric.name + "," + fmt(v.get<double>()) + "," + csvCell(e) + docs;
                if (metric.name == "retained_mass_mean") // score dilution = 1 - retained mass, same error
                    s += lh + "dilution," + fmt(1.0 - v.get<double>()) + "," + csvCell(e) + docs;
            }
            const auto &prof = l["distance_profile"];
            for (size_t b = 0; b < prof.size(); ++b)
                s += lh + "distance_bin_" + std::to_string(b) + "," + fmt(prof[b].get<double>()) + "," + docs;
        }
    }
    return s;
}

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
                              "--max-documents", "--inputs"},
                             {"--overwrite", "--special-tokens"}, {"--preset", "--method"});
    if (a.flags.count("--help")) {
        std::cout << kSweepHelp << "\n" << methodVocabularyHelp();
        return 0;
    }
    if (!a.has("--lengths"))
        throw Error("--lengths: required (e.g. --lengths 64,128,256)");
    const auto lengths = parseLengths("--lengths", a.get("--lengths"));
    if (!a.has("--out"))
        throw Error("--out: an output folder is required");
    const std::string fill = checkedFill(a);
    setThreads(a);
    auto ck = Checkpoint::load(modelDir(a));
    const int64_t T = trainLength(a, ck->config);
    const auto methods = methodList(a, ck->config, T);
    if (methods.empty())
        throw Error("--presets: required (e.g. --presets extrapolate,infoscale)");

    // The inputs at each length: one text, or every document of --documents.
    std::vector<std::vector<int64_t>> documents;
    std::string what;
    if (a.has("--documents")) {
        if (a.has("--text") || a.has("--text-file") || a.has("--ids"))
            throw Error("--documents: give either --documents or one of --text, --text-file, --ids");
        what = a.get("--documents");
        documents = readDocuments("--documents", what, *ck,
                                  a.has("--max-documents") ? parseInt("--max-documents", a.get("--max-documents")) : -1);
    } else {
        documents.push_back(inputTokens(a, *ck));
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
        checkMemory(ck->config, n, probe);
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
    ResumableRun run(a.get("--out"), "sweep", settings, a.flags.count("--overwrite") > 0);
    warnIfSlowBlas();
    const GauModel model(ck);
    const size_t total = lengths.size() * methods.size();
    size_t index = 0;
    for (auto n : lengths) {
        const auto inputs = inputsAt(n);
        for (const auto &method : methods) {
            ++index;
            const std::string key = std::to_string(n) + "/" + method.name;
            if (run.done(key))
                continue;
            AnalysisRequest req;
            req.method = method.method;
            req.trainLength = T;
            req.mlmTop1 = false;
            const std::string label = "[" + std::to_string(index) + "/" + std::to_string(total) + "] n=" + std::to_string(n)
                                      + " " + method.name;
            std::vector<std::vector<LayerMetrics>> runs;
            double seconds = 0;
            try {
                for (size_t d = 0; d < inputs.size(); ++d) {
                    const std::string docLabel = inputs.size() > 1 ? label + " input " + std::to_string(d + 1) + "/"
                                                                         + std::to_string(inputs.size())
                                                                   : label;
                    AnalysisResult r = model.analyze(
                        inputs[d], req, [&](double f, const std::string &l) { progressLine("sweep", f, docLabel + " " + l); },
                        &interruptToken());
                    seconds += r.seconds;
                    runs.push_back(std::move(r.layers));
                }
            } catch (const Cancelled &) {
                std::cerr << "\nsweep: interrupted; " << run.finished() << " of " << total
                          << " points are saved in " << a.get("--out") << " (run the same command to continue)\n";
                return 130;
            }
            json layers = json::array();
            for (const auto &lm : meanOverDocuments(runs)) {
                json lj = metricsJson(lm.mean);
                lj.erase("entropy"); // per-query values belong to analyze; a sweep keeps the summaries
                json se = json::object();
                for (const auto &[name, v] : lm.standardErrors)
                    se[name] = v ? json(*v) : json(nullptr);
                lj["se"] = se;
                layers.push_back(lj);
            }
            run.add(key,
                    {{"length", n}, {"preset", method.name}, {"method", methodJson(method.method.spec())},
                     {"documents", inputs.size()}, {"seconds", seconds}, {"layers", layers}},
                    sweepCsv, run.finished() + 1 == total);
        }
    }
    run.save(sweepCsv, true);
    std::cerr << "\rsweep: " << total << " points -> " << a.get("--out") << "                    \n";
    return 0;
}

const char *kCompareHelp = R"(usage: entroscope-cli compare --preset A --preset B [--preset C ...] --length N (--text ... | --ids ...) --out DIR

  Runs every method on the same input and writes compare.json / compare.csv: per layer the mean
  Jensen-Shannon divergence (nats) between each method's attention rows and the first method's,
  and every method's metrics. Methods: --preset (repeatable), --presets a,b, --method M (repeatable; a
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
    auto ck = Checkpoint::load(modelDir(a));
    const int64_t T = trainLength(a, ck->config);
    const auto methods = methodList(a, ck->config, T);
    if (methods.size() < 2)
        throw Error("--preset: give at least two methods to compare");
    const auto ids = fillToLength(inputTokens(a, *ck), n, fill);
    AnalysisRequest probe;
    checkMemory(ck->config, n, probe);

    StagedOutput out(a.get("--out"), a.flags.count("--overwrite") > 0);
    warnIfSlowBlas();
    const GauModel model(ck);
    const std::string &ref = methods[0].name;
    json j = {{"length", n}, {"train_length", T}, {"fill", fill}, {"tokens", ids}, {"reference", ref}};
    json jmethods = json::array();
    std::string csv = "reference,preset,temperature,qk,position,key_count,layer,js_divergence\n";
    for (size_t m = 1; m < methods.size(); ++m) {
        const std::string label = ref + " vs " + methods[m].name;
        const Comparison c = compareMethods(model, ids, methods[0].method, methods[m].method, T,
                                            out.path("scratch.bin").string(), availableMemoryBytes() / 4,
                                            [&](double f, const std::string &l) { progressLine("compare", f, label + " " + l); },
                                            &interruptToken());
        auto metricsOf = [](const AnalysisResult &r) {
            json layers = json::array();
            for (const auto &l : r.layers)
                layers.push_back(metricsJson(l));
            return layers;
        };
        if (m == 1)
            jmethods.push_back({{"preset", ref}, {"method", methodJson(c.a.method)}, {"layers", metricsOf(c.a)}});
        jmethods.push_back({{"preset", methods[m].name},
                            {"method", methodJson(c.b.method)},
                            {"js_divergence_vs_reference", c.jsPerLayer},
                            {"layers", metricsOf(c.b)}});
        const json row = {{"preset", methods[m].name}, {"method", methodJson(c.b.method)}};
        for (size_t l = 0; l < c.jsPerLayer.size(); ++l)
            csv += csvField(ref) + "," + methodColumns(row) + std::to_string(l) + "," + fmt(c.jsPerLayer[l]) + "\n";
    }
    j["methods"] = jmethods;
    writeJsonFile(out.path("compare.json"), j);
    writeTextFileAtomically(out.path("compare.csv"), csv);
    out.commit();
    std::cerr << "\rcompare: " << methods.size() << " methods at n=" << n << " -> " << a.get("--out") << "          \n";
    return 0;
}

std::string evaluateCsv(const json &points)
{
    std::string s = "length,preset,temperature,qk,position,key_count,fill,samples,documents,accuracy,accuracy_low,"
                    "accuracy_high,loss,loss_se,perplexity\n";
    for (const auto &p : points)
        s += std::to_string(p["length"].get<int64_t>()) + "," + methodColumns(p) + p["fill"].get<std::string>() + ","
             + std::to_string(p["samples"].get<int64_t>()) + "," + std::to_string(p["documents"].get<int64_t>()) + ","
             + fmt(p["accuracy"].get<double>()) + "," + fmt(p["accuracy_low"].get<double>()) + ","
             + fmt(p["accuracy_high"].get<double>()) + "," + fmt(p["loss"].get<double>()) + "," + csvCell(p["loss_se"])
             + "," + fmt(p["perplexity"].get<double>()) + "\n";
    return s;
}

const char *kEvaluateHelp = R"(usage: entroscope-cli evaluate --text-file DOCS --lengths 64,128,... --presets a,b --out DIR

  The paper's MLM protocol: every document (one per non-empty line of DOCS) is filled to n (tile,
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
                              "--fill", "--key-count", "--train-length", "--out", "--threads", "--max-documents"},
                             {"--overwrite"}, {"--preset", "--method"});
    if (a.flags.count("--help")) {
        std::cout << kEvaluateHelp << "\n" << methodVocabularyHelp();
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
    auto ck = Checkpoint::load(modelDir(a));
    const int64_t T = trainLength(a, ck->config);
    const auto methods = methodList(a, ck->config, T);
    if (methods.empty())
        throw Error("--presets: required");
    const std::string file = a.get("--text-file");
    const auto docs = readDocuments("--text-file", file, *ck,
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
    ResumableRun run(a.get("--out"), "evaluate", settings, a.flags.count("--overwrite") > 0);
    warnIfSlowBlas();
    const GauModel model(ck);
    const size_t total = lengths.size() * methods.size();
    size_t index = 0;
    for (auto n : lengths)
        for (const auto &method : methods) {
            ++index;
            const std::string key = std::to_string(n) + "/" + method.name;
            if (run.done(key))
                continue;
            const std::string label = "[" + std::to_string(index) + "/" + std::to_string(total) + "] n=" + std::to_string(n)
                                      + " " + method.name;
            const auto t0 = std::chrono::steady_clock::now();
            MlmEvaluation e;
            try {
                e = evaluateMlm(model, docs, n, method.method, T, positions, fill, batch,
                                [&](double f, const std::string &l) { progressLine("evaluate", f, label + " " + l); },
                                &interruptToken(), file);
            } catch (const Cancelled &) {
                std::cerr << "\nevaluate: interrupted; " << run.finished() << " of " << total << " cells are saved in "
                          << a.get("--out") << " (run the same command to continue)\n";
                return 130;
            }
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            run.add(key,
                    {{"length", n}, {"preset", method.name}, {"method", methodJson(e.method)}, {"fill", fill},
                     {"samples", e.samples}, {"documents", e.documents}, {"accuracy", e.accuracy},
                     {"accuracy_low", e.accuracyLow}, {"accuracy_high", e.accuracyHigh}, {"loss", e.loss},
                     {"loss_se", e.lossSe ? json(*e.lossSe) : json(nullptr)}, {"perplexity", e.perplexity},
                     {"seconds", secs}},
                    evaluateCsv, run.finished() + 1 == total);
            std::cerr << "\revaluate: " << label << " acc " << fmt(e.accuracy) << " [" << fmt(e.accuracyLow) << ", "
                      << fmt(e.accuracyHigh) << "] loss " << fmt(e.loss) << " (" << e.samples << " samples, "
                      << e.documents << " documents, " << static_cast<int>(secs) << " s)          \n";
        }
    run.save(evaluateCsv, true);
    return 0;
}

const Registration kSweep{"sweep", "metrics at many lengths under many presets (resumable CSV + JSON)", sweep};
const Registration kCompare{"compare", "JS divergence between presets' attention, per layer", compare};
const Registration kEvaluate{"evaluate", "the paper's MLM evaluation: accuracy, loss, perplexity per length and preset", evaluate};

} // namespace
} // namespace entroscope::cli
