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

std::vector<std::string> presetList(const Args &a)
{
    std::vector<std::string> out;
    for (const auto &v : a.lists.count("--preset") ? a.lists.at("--preset") : std::vector<std::string>{})
        out.push_back(v);
    if (a.has("--presets"))
        for (const auto &p : splitList(a.get("--presets")))
            out.push_back(p);
    for (const auto &p : out)
        if (p.empty())
            throw Error("--presets: empty preset name");
    return out;
}

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

std::string sweepCsv(const json &points)
{
    std::string s = "length,preset,temperature,qk,position,layer,head,metric,value\n";
    for (const auto &p : points) {
        const std::string head = std::to_string(p["length"].get<int64_t>()) + "," + p["preset"].get<std::string>() + ","
                                 + p["method"]["temperature"].get<std::string>() + "," + p["method"]["qk"].get<std::string>()
                                 + "," + p["method"]["position"].get<std::string>() + ",";
        for (const auto &l : p["layers"]) {
            const std::string lh = head + std::to_string(l["layer"].get<int>()) + "," + std::to_string(l["head"].get<int>()) + ",";
            for (const char *k : {"entropy_mean", "normalized_entropy_mean", "max_weight_mean", "k90_mean", "sink_mass_mean"})
                s += lh + k + "," + fmt(l[k].get<double>()) + "\n";
            if (!l["retained_mass_mean"].is_null()) {
                s += lh + "retained_mass_mean," + fmt(l["retained_mass_mean"].get<double>()) + "\n";
                s += lh + "dilution," + fmt(1.0 - l["retained_mass_mean"].get<double>()) + "\n";
            }
            const auto &prof = l["distance_profile"];
            for (size_t b = 0; b < prof.size(); ++b)
                s += lh + "distance_bin_" + std::to_string(b) + "," + fmt(prof[b].get<double>()) + "\n";
        }
    }
    return s;
}

const char *kSweepHelp = R"(usage: entroscope-cli sweep --lengths 64,128,... --presets a,b,c (--text STR | --text-file F | --ids ...) --out DIR

  Metrics of every layer at every length under every preset, for entropy/dilution-vs-length plots.
  --model DIR, --fill, --train-length, --special-tokens, --threads as for analyze.
  --presets a,b,c        presets (or repeat --preset NAME)
  --out DIR              writes sweep.csv (tidy: length,preset,temperature,qk,position,layer,head,metric,value)
                         and sweep.json (settings + every finished point, without per-query entropies)
                         after each finished point. An interrupted sweep keeps what it finished: run the same
                         command again to continue. --overwrite starts again.
)";

int sweep(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv,
                             {"--model", "--text", "--text-file", "--ids", "--lengths", "--presets", "--fill",
                              "--train-length", "--out", "--threads"},
                             {"--overwrite", "--special-tokens"}, {"--preset"});
    if (a.flags.count("--help")) {
        std::cout << kSweepHelp;
        return 0;
    }
    if (!a.has("--lengths"))
        throw Error("--lengths: required (e.g. --lengths 64,128,256)");
    const auto lengths = parseLengths("--lengths", a.get("--lengths"));
    const auto presets = presetList(a);
    if (presets.empty())
        throw Error("--presets: required (e.g. --presets extrapolate,infoscale)");
    if (!a.has("--out"))
        throw Error("--out: an output folder is required");
    const std::string fill = a.get("--fill", "tile");
    setThreads(a);
    auto ck = Checkpoint::load(modelDir(a));
    const int64_t T = trainLength(a, ck->config);
    std::vector<Method> methods;
    for (const auto &p : presets)
        methods.push_back(Method::preset(p, ck->config, T));
    const auto tokens = inputTokens(a, *ck);
    for (auto n : lengths) {
        AnalysisRequest probe;
        checkMemory(ck->config, n, probe);
        fillToLength(tokens, n, fill); // validates truncate before any work
    }

    json settings = {{"model", fs::absolute(ck->dir).lexically_normal().string()},
                     {"tokens", tokens},
                     {"lengths", lengths},
                     {"presets", presets},
                     {"fill", fill},
                     {"train_length", T}};
    ResumableRun run(a.get("--out"), "sweep", settings, a.flags.count("--overwrite") > 0);
    warnIfSlowBlas();
    const GauModel model(ck);
    const size_t total = lengths.size() * presets.size();
    size_t index = 0;
    for (auto n : lengths) {
        const auto ids = fillToLength(tokens, n, fill);
        for (size_t m = 0; m < presets.size(); ++m) {
            ++index;
            const std::string key = std::to_string(n) + "/" + presets[m];
            if (run.done(key))
                continue;
            AnalysisRequest req;
            req.method = methods[m];
            req.trainLength = T;
            req.mlmTop1 = false;
            const std::string label = "[" + std::to_string(index) + "/" + std::to_string(total) + "] n=" + std::to_string(n)
                                      + " " + presets[m];
            AnalysisResult r;
            try {
                r = model.analyze(ids, req, [&](double f, const std::string &l) { progressLine("sweep", f, label + " " + l); },
                                  &interruptToken());
            } catch (const Cancelled &) {
                std::cerr << "\nsweep: interrupted; " << run.finished() << " of " << total
                          << " points are saved in " << a.get("--out") << " (run the same command to continue)\n";
                return 130;
            }
            json layers = json::array();
            for (const auto &l : r.layers) {
                json lj = metricsJson(l);
                lj.erase("entropy"); // per-query values belong to analyze; a sweep keeps the summaries
                layers.push_back(lj);
            }
            run.add(key,
                    {{"length", n}, {"preset", presets[m]}, {"method", methodJson(r.method)}, {"seconds", r.seconds},
                     {"layers", layers}},
                    sweepCsv, run.finished() + 1 == total);
        }
    }
    run.save(sweepCsv, true);
    std::cerr << "\rsweep: " << total << " points -> " << a.get("--out") << "                    \n";
    return 0;
}

const char *kCompareHelp = R"(usage: entroscope-cli compare --preset A --preset B [--preset C ...] --length N (--text ... | --ids ...) --out DIR

  Runs every preset on the same input and writes compare.json / compare.csv: per layer the mean
  Jensen-Shannon divergence (nats) between each preset's attention rows and the first preset's,
  and every preset's metrics. --model, --fill, --train-length, --special-tokens, --threads as for analyze.
)";

int compare(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv,
                             {"--model", "--text", "--text-file", "--ids", "--length", "--presets", "--fill",
                              "--train-length", "--out", "--threads"},
                             {"--overwrite", "--special-tokens"}, {"--preset"});
    if (a.flags.count("--help")) {
        std::cout << kCompareHelp;
        return 0;
    }
    const auto presets = presetList(a);
    if (presets.size() < 2)
        throw Error("--preset: give at least two presets to compare");
    const int64_t n = requiredLength(a);
    if (!a.has("--out"))
        throw Error("--out: an output folder is required");
    setThreads(a);
    auto ck = Checkpoint::load(modelDir(a));
    const int64_t T = trainLength(a, ck->config);
    std::vector<Method> methods;
    for (const auto &p : presets)
        methods.push_back(Method::preset(p, ck->config, T));
    const auto ids = fillToLength(inputTokens(a, *ck), n, a.get("--fill", "tile"));
    AnalysisRequest probe;
    checkMemory(ck->config, n, probe);

    StagedOutput out(a.get("--out"), a.flags.count("--overwrite") > 0);
    warnIfSlowBlas();
    const GauModel model(ck);
    json j = {{"length", n}, {"train_length", T}, {"tokens", ids}, {"reference", presets[0]}};
    json jmethods = json::array();
    std::string csv = "reference,preset,temperature,qk,position,layer,js_divergence\n";
    for (size_t m = 1; m < methods.size(); ++m) {
        const std::string label = presets[0] + " vs " + presets[m];
        const Comparison c = compareMethods(model, ids, methods[0], methods[m], T, out.path("scratch.bin").string(),
                                            availableMemoryBytes() / 4,
                                            [&](double f, const std::string &l) { progressLine("compare", f, label + " " + l); },
                                            &interruptToken());
        auto metricsOf = [](const AnalysisResult &r) {
            json layers = json::array();
            for (const auto &l : r.layers)
                layers.push_back(metricsJson(l));
            return layers;
        };
        if (m == 1)
            jmethods.push_back({{"preset", presets[0]}, {"method", methodJson(c.a.method)}, {"layers", metricsOf(c.a)}});
        jmethods.push_back({{"preset", presets[m]},
                            {"method", methodJson(c.b.method)},
                            {"js_divergence_vs_reference", c.jsPerLayer},
                            {"layers", metricsOf(c.b)}});
        for (size_t l = 0; l < c.jsPerLayer.size(); ++l)
            csv += presets[0] + "," + presets[m] + "," + c.b.method.temperature + "," + c.b.method.qk + "," + c.b.method.position
                   + "," + std::to_string(l) + "," + fmt(c.jsPerLayer[l]) + "\n";
    }
    j["methods"] = jmethods;
    writeJsonFile(out.path("compare.json"), j);
    writeTextFileAtomically(out.path("compare.csv"), csv);
    out.commit();
    std::cerr << "\rcompare: " << presets.size() << " presets at n=" << n << " -> " << a.get("--out") << "          \n";
    return 0;
}

std::string evaluateCsv(const json &points)
{
    std::string s = "length,preset,temperature,qk,position,samples,accuracy,loss,perplexity\n";
    for (const auto &p : points)
        s += std::to_string(p["length"].get<int64_t>()) + "," + p["preset"].get<std::string>() + ","
             + p["method"]["temperature"].get<std::string>() + "," + p["method"]["qk"].get<std::string>() + ","
             + p["method"]["position"].get<std::string>() + "," + std::to_string(p["samples"].get<int64_t>()) + ","
             + fmt(p["accuracy"].get<double>()) + "," + fmt(p["loss"].get<double>()) + "," + fmt(p["perplexity"].get<double>())
             + "\n";
    return s;
}

const char *kEvaluateHelp = R"(usage: entroscope-cli evaluate --text-file DOCS --lengths 64,128,... --presets a,b --out DIR

  The paper's MLM protocol: every document (one per non-empty line of DOCS) is tiled (or truncated) to n;
  for each evaluated position a copy with that token replaced by [MASK] is run, and top-1 accuracy,
  mean cross-entropy and perplexity of the original token are reported per length and preset.
  --positions all|K      all n positions (the paper's full protocol) or K evenly spaced (default 32)
  --batch B              masked copies per forward (default 8)
  --max-documents D      use the first D documents (default all)
  --model, --fill, --train-length, --threads as for analyze.
  --out DIR              evaluate.csv and evaluate.json, updated after each (length, preset); an interrupted
                         run keeps what it finished and the same command continues it.
)";

int evaluate(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv,
                             {"--model", "--text-file", "--lengths", "--presets", "--positions", "--batch", "--fill",
                              "--train-length", "--out", "--threads", "--max-documents"},
                             {"--overwrite"}, {"--preset"});
    if (a.flags.count("--help")) {
        std::cout << kEvaluateHelp;
        return 0;
    }
    if (!a.has("--text-file"))
        throw Error("--text-file: required (documents, one per line)");
    if (!a.has("--lengths"))
        throw Error("--lengths: required");
    const auto lengths = parseLengths("--lengths", a.get("--lengths"));
    const auto presets = presetList(a);
    if (presets.empty())
        throw Error("--presets: required");
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
    const std::string fill = a.get("--fill", "tile");
    setThreads(a);
    auto ck = Checkpoint::load(modelDir(a));
    if (!ck->tokenizer)
        throw Error(ck->dir + ": no tokenizer to encode the documents");
    const int64_t T = trainLength(a, ck->config);
    std::vector<Method> methods;
    for (const auto &p : presets)
        methods.push_back(Method::preset(p, ck->config, T));

    std::vector<std::vector<int64_t>> docs;
    std::istringstream text(readTextFile("--text-file", a.get("--text-file")));
    std::string line;
    const int64_t maxDocs = a.has("--max-documents") ? parseInt("--max-documents", a.get("--max-documents")) : -1;
    while (std::getline(text, line) && (maxDocs < 0 || static_cast<int64_t>(docs.size()) < maxDocs)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        auto ids = ck->tokenizer->encode(line, false);
        if (!ids.empty())
            docs.push_back(std::move(ids));
    }
    if (docs.empty())
        throw Error("--text-file: " + a.get("--text-file") + " holds no documents");
    for (auto n : lengths)
        for (const auto &d : docs)
            fillToLength(d, n, fill);

    json settings = {{"model", fs::absolute(ck->dir).lexically_normal().string()},
                     {"documents", a.get("--text-file")},
                     {"document_count", docs.size()},
                     {"lengths", lengths},
                     {"presets", presets},
                     {"positions", positions},
                     {"fill", fill},
                     {"train_length", T}};
    ResumableRun run(a.get("--out"), "evaluate", settings, a.flags.count("--overwrite") > 0);
    warnIfSlowBlas();
    const GauModel model(ck);
    const size_t total = lengths.size() * presets.size();
    size_t index = 0;
    for (auto n : lengths)
        for (size_t m = 0; m < presets.size(); ++m) {
            ++index;
            const std::string key = std::to_string(n) + "/" + presets[m];
            if (run.done(key))
                continue;
            const std::string label = "[" + std::to_string(index) + "/" + std::to_string(total) + "] n=" + std::to_string(n)
                                      + " " + presets[m];
            const auto t0 = std::chrono::steady_clock::now();
            MlmEvaluation e;
            try {
                e = evaluateMlm(model, docs, n, methods[m], T, positions, fill, batch,
                                [&](double f, const std::string &l) { progressLine("evaluate", f, label + " " + l); },
                                &interruptToken());
            } catch (const Cancelled &) {
                std::cerr << "\nevaluate: interrupted; " << run.finished() << " of " << total << " cells are saved in "
                          << a.get("--out") << " (run the same command to continue)\n";
                return 130;
            }
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            run.add(key,
                    {{"length", n}, {"preset", presets[m]}, {"method", methodJson(e.method)}, {"samples", e.samples},
                     {"accuracy", e.accuracy}, {"loss", e.loss}, {"perplexity", e.perplexity}, {"seconds", secs}},
                    evaluateCsv, run.finished() + 1 == total);
            std::cerr << "\revaluate: " << label << " acc " << fmt(e.accuracy) << " loss " << fmt(e.loss) << "          \n";
        }
    run.save(evaluateCsv, true);
    return 0;
}

const Registration kSweep{"sweep", "metrics at many lengths under many presets (resumable CSV + JSON)", sweep};
const Registration kCompare{"compare", "JS divergence between presets' attention, per layer", compare};
const Registration kEvaluate{"evaluate", "the paper's MLM evaluation: accuracy, loss, perplexity per length and preset", evaluate};

} // namespace
} // namespace entroscope::cli
