// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Resumable results folders, the work split of sweep/evaluate (one process, MPI, shards) and `merge`.

#include "cli_runs.h"
#include "analysis/experiments.h"
#include "distributed.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <unistd.h>

namespace fs = std::filesystem;
using nlohmann::json;

namespace entroscope::cli {

const char *const kShardHelp =
    "  --shard K/N            run only the K-th of N deterministic parts of the work (K = 1..N; for job arrays)\n"
    "                         into DIR/<command>.shard-K-of-N.jsonl (resumable); `entroscope-cli merge` makes\n"
    "                         the same results from all N. Under mpirun no --shard is needed: the ranks share\n"
    "                         the work and rank 0 writes the results.\n";

std::string fmt(double v)
{
    std::ostringstream o;
    o.precision(10);
    o << v;
    return o.str();
}

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

json numberJson(double v)
{
    if (std::isfinite(v))
        return v;
    return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}

double numberFrom(const json &j)
{
    if (j.is_number())
        return j.get<double>();
    const std::string s = j.is_string() ? j.get<std::string>() : std::string();
    if (s == "nan")
        return std::nan("");
    if (s == "inf" || s == "-inf")
        return s == "inf" ? HUGE_VAL : -HUGE_VAL;
    throw Error("result: '" + j.dump() + "' is not a number");
}

LayerMetrics layerMetricsFromJson(const json &j)
{
    LayerMetrics m;
    m.layer = j.at("layer").get<int>();
    m.head = j.at("head").get<int>();
    for (const auto &metric : scalarMetrics()) {
        const json &v = j.at(metric.name);
        metric.set(m, v.is_null() ? std::nullopt : std::optional<double>(numberFrom(v)));
    }
    m.distanceProfile = j.at("distance_profile").get<std::vector<double>>();
    return m;
}

namespace {

std::string csvCell(const json &v) { return v.is_null() ? std::string() : fmt(numberFrom(v)); }

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
                s += lh + metric.name + "," + fmt(numberFrom(v)) + "," + csvCell(e) + docs;
                if (metric.name == "retained_mass_mean") // score dilution = 1 - retained mass, same error
                    s += lh + "dilution," + fmt(1.0 - numberFrom(v)) + "," + csvCell(e) + docs;
            }
            const auto &prof = l["distance_profile"];
            for (size_t b = 0; b < prof.size(); ++b)
                s += lh + "distance_bin_" + std::to_string(b) + "," + fmt(prof[b].get<double>()) + "," + docs;
        }
    }
    return s;
}

/// Causal (next-token) evaluate points: the MLM columns for all positions, then the same for t >= T.
std::string nextTokenCsv(const json &points)
{
    std::string s = "length,preset,temperature,qk,position,key_count,fill,samples,documents,accuracy,accuracy_low,"
                    "accuracy_high,loss,loss_se,perplexity,samples_beyond_T,accuracy_beyond_T,accuracy_beyond_T_low,"
                    "accuracy_beyond_T_high,loss_beyond_T,loss_beyond_T_se,perplexity_beyond_T\n";
    for (const auto &p : points)
        s += std::to_string(p["length"].get<int64_t>()) + "," + methodColumns(p) + p["fill"].get<std::string>() + ","
             + std::to_string(p["samples"].get<int64_t>()) + "," + std::to_string(p["documents"].get<int64_t>()) + ","
             + csvCell(p["accuracy"]) + "," + csvCell(p["accuracy_low"]) + "," + csvCell(p["accuracy_high"]) + ","
             + csvCell(p["loss"]) + "," + csvCell(p["loss_se"]) + "," + csvCell(p["perplexity"]) + ","
             + std::to_string(p["samples_beyond_T"].get<int64_t>()) + "," + csvCell(p["accuracy_beyond_T"]) + ","
             + csvCell(p["accuracy_beyond_T_low"]) + "," + csvCell(p["accuracy_beyond_T_high"]) + ","
             + csvCell(p["loss_beyond_T"]) + "," + csvCell(p["loss_beyond_T_se"]) + ","
             + csvCell(p["perplexity_beyond_T"]) + "\n";
    return s;
}

std::string evaluateCsv(const json &points)
{
    if (!points.empty() && points[0].contains("loss_beyond_T"))
        return nextTokenCsv(points);
    std::string s = "length,preset,temperature,qk,position,key_count,fill,samples,documents,accuracy,accuracy_low,"
                    "accuracy_high,loss,loss_se,perplexity\n";
    for (const auto &p : points)
        s += std::to_string(p["length"].get<int64_t>()) + "," + methodColumns(p) + p["fill"].get<std::string>() + ","
             + std::to_string(p["samples"].get<int64_t>()) + "," + std::to_string(p["documents"].get<int64_t>()) + ","
             + fmt(numberFrom(p["accuracy"])) + "," + fmt(numberFrom(p["accuracy_low"])) + ","
             + fmt(numberFrom(p["accuracy_high"])) + "," + fmt(numberFrom(p["loss"])) + "," + csvCell(p["loss_se"]) + ","
             + fmt(numberFrom(p["perplexity"])) + "\n";
    return s;
}

std::string renderCsv(const std::string &name, const json &points)
{
    return name == "sweep" ? sweepCsv(points) : evaluateCsv(points);
}

/// A sweep point: the mean over the inputs (items, in order) of every metric with its standard error.
json assembleSweep(const RunCell &cell, const std::vector<json> &results)
{
    std::vector<std::vector<LayerMetrics>> runs;
    double seconds = 0;
    for (const auto &r : results) {
        std::vector<LayerMetrics> layers;
        for (const auto &l : r.at("layers"))
            layers.push_back(layerMetricsFromJson(l));
        runs.push_back(std::move(layers));
        seconds += r.value("seconds", 0.0);
    }
    json layers = json::array();
    for (const auto &lm : meanOverDocuments(runs)) {
        json lj = metricsJson(lm.mean);
        lj.erase("entropy"); // per-query values belong to analyze; a sweep keeps the summaries
        json se = json::object();
        for (const auto &[name, v] : lm.standardErrors)
            se[name] = v ? numberJson(*v) : json(nullptr);
        lj["se"] = se;
        layers.push_back(lj);
    }
    return {{"length", cell.length}, {"preset", cell.preset}, {"method", results.at(0).at("method")},
            {"documents", results.size()}, {"seconds", seconds}, {"layers", layers}};
}

/// A causal evaluate point: every input's next-token scores, in order, summarised (summarizeNextTokens).
json assembleNextToken(const RunCell &cell, const std::vector<json> &results, const json &settings)
{
    std::vector<NextTokenScores> inputs;
    double seconds = 0;
    for (const auto &r : results) {
        NextTokenScores x;
        x.count = r.at("count").get<int64_t>();
        x.correct = r.at("correct").get<int64_t>();
        x.lossSum = numberFrom(r.at("loss_sum"));
        x.countBeyond = r.at("count_beyond").get<int64_t>();
        x.correctBeyond = r.at("correct_beyond").get<int64_t>();
        x.lossSumBeyond = numberFrom(r.at("loss_sum_beyond"));
        inputs.push_back(x);
        seconds += r.value("seconds", 0.0);
    }
    const NextTokenEvaluation e = summarizeNextTokens(cell.length, inputs);
    auto opt = [](const std::optional<double> &v) { return v ? numberJson(*v) : json(nullptr); };
    return {{"length", cell.length},
            {"preset", cell.preset},
            {"method", results.at(0).at("method")},
            {"fill", settings.at("fill")},
            {"samples", e.samples},
            {"documents", e.documents},
            {"accuracy", numberJson(e.accuracy)},
            {"accuracy_low", numberJson(e.accuracyLow)},
            {"accuracy_high", numberJson(e.accuracyHigh)},
            {"loss", numberJson(e.loss)},
            {"loss_se", opt(e.lossSe)},
            {"perplexity", numberJson(e.perplexity)},
            {"samples_beyond_T", e.samplesBeyond},
            {"accuracy_beyond_T", opt(e.accuracyBeyond)},
            {"accuracy_beyond_T_low", opt(e.accuracyBeyondLow)},
            {"accuracy_beyond_T_high", opt(e.accuracyBeyondHigh)},
            {"loss_beyond_T", opt(e.lossBeyond)},
            {"loss_beyond_T_se", opt(e.lossBeyondSe)},
            {"perplexity_beyond_T", opt(e.perplexityBeyond)},
            {"seconds", seconds}};
}

/// An evaluate point: every chunk's samples, in order, summarised (summarizeMlm).
json assembleEvaluate(const RunCell &cell, const std::vector<json> &results, const json &settings)
{
    if (results.at(0).contains("loss_sum"))
        return assembleNextToken(cell, results, settings);
    std::vector<int64_t> sampleInput;
    MlmSamples samples;
    double seconds = 0;
    for (const auto &r : results) {
        for (const auto &i : r.at("input"))
            sampleInput.push_back(i.get<int64_t>());
        for (const auto &l : r.at("loss"))
            samples.loss.push_back(numberFrom(l));
        for (const auto &c : r.at("correct"))
            samples.correct.push_back(static_cast<uint8_t>(c.get<int>() != 0));
        seconds += r.value("seconds", 0.0);
    }
    const int64_t expected = results.at(0).at("samples_total").get<int64_t>();
    if (static_cast<int64_t>(sampleInput.size()) != expected)
        throw Error("cell " + cell.key + ": " + std::to_string(sampleInput.size()) + " of " + std::to_string(expected)
                    + " samples");
    const MlmEvaluation e = summarizeMlm(cell.length, MethodSpec{}, sampleInput, results.at(0).at("inputs").get<int64_t>(),
                                         samples);
    return {{"length", cell.length},
            {"preset", cell.preset},
            {"method", results.at(0).at("method")},
            {"fill", settings.at("fill")},
            {"samples", e.samples},
            {"documents", e.documents},
            {"accuracy", numberJson(e.accuracy)},
            {"accuracy_low", numberJson(e.accuracyLow)},
            {"accuracy_high", numberJson(e.accuracyHigh)},
            {"loss", numberJson(e.loss)},
            {"loss_se", e.lossSe ? numberJson(*e.lossSe) : json(nullptr)},
            {"perplexity", numberJson(e.perplexity)},
            {"seconds", seconds}};
}

json assemble(const std::string &name, const RunCell &cell, const std::vector<json> &results, const json &settings)
{
    if (static_cast<int64_t>(results.size()) != cell.items)
        throw Error("cell " + cell.key + ": " + std::to_string(results.size()) + " of " + std::to_string(cell.items)
                    + " results");
    return name == "sweep" ? assembleSweep(cell, results) : assembleEvaluate(cell, results, settings);
}

/// One line on stderr when a cell is finished (the figures a user watches for).
void reportCell(const std::string &name, size_t index, size_t total, const json &p)
{
    std::string line = "\r" + name + ": [" + std::to_string(index + 1) + "/" + std::to_string(total) + "] n="
                       + std::to_string(p["length"].get<int64_t>()) + " " + p["preset"].get<std::string>();
    if (name == "evaluate")
        line += " acc " + fmt(numberFrom(p["accuracy"])) + " [" + fmt(numberFrom(p["accuracy_low"])) + ", "
                + fmt(numberFrom(p["accuracy_high"])) + "] loss " + fmt(numberFrom(p["loss"]))
                + (p.contains("loss_beyond_T") && !p["loss_beyond_T"].is_null()
                       ? " beyond T " + fmt(numberFrom(p["loss_beyond_T"]))
                       : std::string())
                + " ("
                + std::to_string(p["samples"].get<int64_t>()) + " samples, " + std::to_string(p["documents"].get<int64_t>())
                + " documents)";
    else
        line += " (" + std::to_string(p["documents"].get<int64_t>()) + " input"
                + (p["documents"].get<int64_t>() == 1 ? "" : "s") + ")";
    std::cerr << line << "          \n";
}

/// A results folder that grows one finished point at a time and can be resumed: `<name>.json` holds the
/// settings and every finished point (rewritten atomically after each point), `<name>.csv` is rendered
/// from it. Points are kept in the order of `keys` (the plan's cells), so the files do not depend on the
/// order in which points finished. An interrupted run keeps what it finished; the same command continues it.
class ResumableRun
{
public:
    ResumableRun(const std::string &out, const std::string &name, const json &settings, bool overwrite,
                 std::vector<std::string> keys)
        : m_dir(out)
        , m_name(name)
        , m_settings(settings)
        , m_keys(std::move(keys))
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
            if (!old.is_object() || old.value("settings", json()) != settings)
                throw Error("--out: " + out + " holds a " + name
                            + " with other settings (choose another folder or pass --overwrite)");
            for (const auto &p : old.value("points", json::array()))
                if (p.is_object() && p.contains("key") && p["key"].is_string() && rank(p["key"].get<std::string>()) >= 0)
                    insert(p);
        } else if (fs::exists(m_dir, ec) && !fs::is_empty(m_dir, ec) && !overwrite && !onlyShards()) {
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
        return std::any_of(m_points.begin(), m_points.end(), [&](const json &p) { return p["key"] == key; });
    }
    size_t finished() const { return m_points.size(); }

    void add(const std::string &key, json point)
    {
        point["key"] = key;
        insert(std::move(point));
        save();
    }
    void save()
    {
        json j = {{"settings", m_settings}, {"complete", m_points.size() == m_keys.size()}, {"points", m_points}};
        writeTextFileAtomically(m_dir / (m_name + ".csv"), renderCsv(m_name, m_points));
        writeTextFileAtomically(m_dir / (m_name + ".json"), j.dump(1) + "\n");
    }

private:
    long rank(const std::string &key) const
    {
        const auto it = std::find(m_keys.begin(), m_keys.end(), key);
        return it == m_keys.end() ? -1 : static_cast<long>(it - m_keys.begin());
    }
    void insert(json point)
    {
        const long r = rank(point["key"].get<std::string>());
        auto at = std::find_if(m_points.begin(), m_points.end(), [&](const json &p) { return rank(p["key"]) > r; });
        m_points.insert(at, std::move(point));
    }
    /// A folder of shard files only (the shards of this run, about to be merged into it) may take results.
    bool onlyShards() const
    {
        std::error_code ec;
        for (const auto &e : fs::directory_iterator(m_dir, ec))
            if (e.path().filename().string().find(".shard-") == std::string::npos)
                return false;
        return true;
    }

    fs::path m_dir;
    std::string m_name;
    json m_settings;
    std::vector<std::string> m_keys;
    json m_points = json::array();
};

std::vector<std::string> keysOf(const std::vector<RunCell> &cells)
{
    std::vector<std::string> keys;
    for (const auto &c : cells)
        keys.push_back(c.key);
    return keys;
}

/// The cells' items flattened: global item g is item (g - first[c]) of cell c.
struct ItemIndex
{
    std::vector<int64_t> first;
    int64_t total = 0;
    explicit ItemIndex(const std::vector<RunCell> &cells)
    {
        for (const auto &c : cells) {
            first.push_back(total);
            total += c.items;
        }
    }
    size_t cellOf(int64_t g) const
    {
        return static_cast<size_t>(std::upper_bound(first.begin(), first.end(), g) - first.begin() - 1);
    }
};

json cellsJson(const std::vector<RunCell> &cells)
{
    json j = json::array();
    for (const auto &c : cells)
        j.push_back({{"key", c.key}, {"length", c.length}, {"preset", c.preset}, {"items", c.items}});
    return j;
}

std::vector<RunCell> cellsFromJson(const json &j)
{
    std::vector<RunCell> cells;
    for (const auto &c : j)
        cells.push_back({c.at("key").get<std::string>(), c.at("length").get<int64_t>(), c.at("preset").get<std::string>(),
                         c.at("items").get<int64_t>()});
    return cells;
}

/// Results of a cell as they arrive; a point is assembled and saved when the last one is in.
class CellCollector
{
public:
    CellCollector(const RunPlan &plan, ResumableRun &run)
        : m_plan(plan)
        , m_run(run)
        , m_index(plan.cells)
    {
    }
    void add(int64_t g, const std::string &result)
    {
        const size_t c = m_index.cellOf(g);
        auto &slots = m_results[c];
        slots.resize(static_cast<size_t>(m_plan.cells[c].items));
        try {
            slots[static_cast<size_t>(g - m_index.first[c])] = json::parse(result);
        } catch (const json::exception &) {
            throw Error("item " + std::to_string(g) + " of cell " + m_plan.cells[c].key + ": its result is not valid JSON");
        }
        if (++m_count[c] < m_plan.cells[c].items)
            return;
        const json point = assemble(m_plan.name, m_plan.cells[c], slots, m_plan.settings);
        m_results.erase(c);
        m_run.add(m_plan.cells[c].key, point);
        reportCell(m_plan.name, c, m_plan.cells.size(), point);
    }
    const ItemIndex &index() const { return m_index; }

private:
    const RunPlan &m_plan;
    ResumableRun &m_run;
    ItemIndex m_index;
    std::map<size_t, std::vector<json>> m_results;
    std::map<size_t, int64_t> m_count;
};

std::pair<int64_t, int64_t> parseShard(const std::string &text)
{
    const size_t slash = text.find('/');
    int64_t k = 0, n = 0;
    if (slash != std::string::npos) {
        k = parseInt("--shard", text.substr(0, slash));
        n = parseInt("--shard", text.substr(slash + 1));
    }
    if (slash == std::string::npos || n < 1 || k < 1 || k > n || n > 1000000)
        throw Error("--shard: '" + text + "' is not K/N with 1 <= K <= N (e.g. --shard 3/8)");
    return {k, n};
}

std::string shardFileName(const std::string &name, int64_t k, int64_t n)
{
    return name + ".shard-" + std::to_string(k) + "-of-" + std::to_string(n) + ".jsonl";
}

/// A shard file: a header line (the run's settings and cells, the shard) and one line per finished item.
/// Lines are appended as items finish; a last line cut short by an interruption is dropped on resume.
struct ShardFile
{
    json header;
    std::map<int64_t, std::string> items; ///< global item -> its result line (JSON text)
};

ShardFile readShardFile(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path.string() + ": cannot be read");
    ShardFile f;
    std::string line;
    if (!std::getline(in, line))
        throw Error(path.string() + ": empty (not a shard file)");
    try {
        f.header = json::parse(line);
        if (!f.header.is_object() || !f.header.contains("shard") || !f.header.contains("cells")
            || !f.header.contains("settings") || !f.header.contains("kind"))
            throw Error(path.string() + ": not a shard file (its first line has no kind, settings, cells and shard)");
    } catch (const json::exception &) {
        throw Error(path.string() + ": not a shard file (its first line is not JSON)");
    }
    while (std::getline(in, line)) {
        if (in.eof()) // no newline: cut short
            break;
        try {
            const json j = json::parse(line);
            f.items[j.at("item").get<int64_t>()] = j.at("result").dump();
        } catch (const json::exception &) {
            break; // a damaged line: it and what follows are computed again
        }
    }
    return f;
}

int runShard(const RunPlan &plan, const Args &a)
{
    if (worldSize() > 1)
        throw Error("--shard: not under mpirun (the ranks share the work; drop --shard)");
    const auto [k, n] = parseShard(a.get("--shard"));
    const ItemIndex index(plan.cells);
    const fs::path dir = a.get("--out");
    const fs::path path = dir / shardFileName(plan.name, k, n);
    const json header = {{"kind", plan.name}, {"settings", plan.settings}, {"cells", cellsJson(plan.cells)},
                         {"shard", {k, n}}};
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw Error("--out: " + dir.string() + " exists and is not a folder");
    fs::create_directories(dir, ec);
    if (ec)
        throw Error("--out: cannot create " + dir.string() + " (" + ec.message() + ")");
    std::map<int64_t, std::string> done;
    if (fs::exists(path, ec) && !a.flags.count("--overwrite")) {
        ShardFile old = readShardFile(path);
        if (old.header != header)
            throw Error("--out: " + path.string() + " belongs to a run with other settings (choose another folder or pass --overwrite)");
        done = std::move(old.items);
    }
    // Rewrite what is kept (drops a cut line), then append.
    std::string text = header.dump() + "\n";
    for (const auto &[g, r] : done)
        text += "{\"item\":" + std::to_string(g) + ",\"result\":" + r + "}\n";
    writeTextFileAtomically(path, text);
    FILE *out = std::fopen(path.string().c_str(), "ab");
    if (!out)
        throw Error(path.string() + ": cannot be opened for appending");
    int64_t mine = 0, finished = 0;
    for (int64_t g = k - 1; g < index.total; g += n)
        ++mine;
    for (int64_t g = k - 1; g < index.total; g += n) {
        if (done.count(g)) {
            ++finished;
            continue;
        }
        const size_t c = index.cellOf(g);
        std::string r;
        try {
            r = plan.work(c, g - index.first[c]);
        } catch (const Cancelled &) {
            std::fclose(out);
            std::cerr << "\n" << plan.name << ": interrupted; " << finished << " of " << mine << " items of shard " << k
                      << "/" << n << " are saved in " << path.string() << " (run the same command to continue)\n";
            return 130;
        }
        const std::string line = "{\"item\":" + std::to_string(g) + ",\"result\":" + r + "}\n";
        if (std::fwrite(line.data(), 1, line.size(), out) != line.size() || std::fflush(out) != 0 || fsync(fileno(out)) != 0) {
            std::fclose(out);
            throw Error(path.string() + ": write failed (disk full?)");
        }
        ++finished;
        progressLine(plan.name, static_cast<double>(finished) / static_cast<double>(std::max<int64_t>(1, mine)),
                     "shard " + std::to_string(k) + "/" + std::to_string(n) + ": " + std::to_string(finished) + "/"
                         + std::to_string(mine) + " items");
    }
    std::fclose(out);
    std::cerr << "\r" << plan.name << ": shard " << k << "/" << n << " complete (" << mine << " items) -> " << path.string()
              << "          \n";
    return 0;
}

} // namespace

int runPlan(const RunPlan &plan, const Args &a)
{
    if (a.has("--shard"))
        return runShard(plan, a);
    const bool root = worldRank() == 0;
    std::optional<ResumableRun> run;
    if (root)
        run.emplace(a.get("--out"), plan.name, plan.settings, a.flags.count("--overwrite") > 0, keysOf(plan.cells));
    std::optional<CellCollector> cells;
    if (root)
        cells.emplace(plan, *run);
    const ItemIndex index(plan.cells);
    auto pending = [&](int64_t g) { return !run->done(plan.cells[index.cellOf(g)].key); };
    int64_t pendingItems = 0, arrived = 0;
    if (root)
        for (const auto &c : plan.cells)
            pendingItems += run->done(c.key) ? 0 : c.items;
    auto work = [&](int64_t g) {
        const size_t c = index.cellOf(g);
        return plan.work(c, g - index.first[c]);
    };
    auto onResult = [&](int64_t g, const std::string &r) {
        ++arrived;
        cells->add(g, r);
        if (arrived < pendingItems)
            progressLine(plan.name, static_cast<double>(arrived) / static_cast<double>(pendingItems),
                         std::to_string(arrived) + "/" + std::to_string(pendingItems) + " items, "
                             + std::to_string(run->finished()) + "/" + std::to_string(plan.cells.size()) + " points"
                             + (worldSize() > 1 ? ", " + std::to_string(worldSize()) + " ranks" : ""));
    };
    try {
        if (!runWorkQueue(index.total, pending, work, onResult))
            return 2; // this worker failed; rank 0 reports it
    } catch (const Cancelled &) {
        if (root)
            std::cerr << "\n" << plan.name << ": interrupted; " << run->finished() << " of " << plan.cells.size()
                      << " points are saved in " << a.get("--out") << " (run the same command to continue)\n";
        if (worldSize() > 1)
            abortAll(130);
        return 130;
    }
    if (root) {
        run->save();
        std::cerr << "\r" << plan.name << ": " << plan.cells.size() << " points -> " << a.get("--out") << "                    \n";
    }
    return 0;
}

namespace {

const char *kMergeHelp = R"(usage: entroscope-cli merge --out DIR SHARD... [--overwrite]

  Combines the shard files of a `sweep` or `evaluate` run with --shard K/N (K = 1..N) into DIR/sweep.csv
  and sweep.json (or evaluate.*), the same files one process would write. SHARD is a shard file or a
  folder of them (every *.shard-K-of-N.jsonl in it). Refuses shards of different runs (settings, cells
  or N differ), a shard given twice, a missing shard, and shards whose items are not all finished.
  DIR may be the shards' folder, a new folder, or the results folder of the same run (points it already
  has are kept).
)";

int merge(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv, {"--out"}, {"--overwrite"}, {}, true);
    if (a.flags.count("--help")) {
        std::cout << kMergeHelp;
        return 0;
    }
    if (!a.has("--out"))
        throw Error("--out: the results folder is required");
    if (a.positional.empty())
        throw Error("merge: give the shard files (or their folder)");
    std::vector<fs::path> files;
    for (const auto &p : a.positional) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<fs::path> found;
            for (const auto &e : fs::directory_iterator(p, ec))
                if (e.path().filename().string().find(".shard-") != std::string::npos
                    && e.path().extension() == ".jsonl")
                    found.push_back(e.path());
            if (found.empty())
                throw Error(p + ": holds no shard files (*.shard-K-of-N.jsonl)");
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else if (fs::exists(p, ec)) {
            files.emplace_back(p);
        } else {
            throw Error(p + ": no such file or folder");
        }
    }
    std::vector<ShardFile> shards;
    for (const auto &f : files)
        shards.push_back(readShardFile(f));
    const json &first = shards[0].header;
    int64_t n = 0;
    try {
        n = first.at("shard").at(1).get<int64_t>();
    } catch (const json::exception &) {
        throw Error(files[0].string() + ": its shard is not [K, N]");
    }
    std::map<int64_t, size_t> byK;
    for (size_t i = 0; i < shards.size(); ++i) {
        const json &h = shards[i].header;
        json hs = h, fs0 = first;
        hs.erase("shard");
        fs0.erase("shard");
        if (hs != fs0)
            throw Error(files[i].string() + ": from another run than " + files[0].string()
                        + " (settings or cells differ)");
        int64_t k = 0, ni = 0;
        try {
            k = h.at("shard").at(0).get<int64_t>();
            ni = h.at("shard").at(1).get<int64_t>();
        } catch (const json::exception &) {
            throw Error(files[i].string() + ": its shard is not [K, N]");
        }
        if (ni != n)
            throw Error(files[i].string() + ": shard " + std::to_string(k) + " of " + std::to_string(ni) + ", but "
                        + files[0].string() + " is one of " + std::to_string(n) + " (shards of different splits)");
        if (k < 1 || k > n)
            throw Error(files[i].string() + ": shard " + std::to_string(k) + " of " + std::to_string(n) + " is out of range");
        if (byK.count(k))
            throw Error(files[i].string() + ": shard " + std::to_string(k) + "/" + std::to_string(n) + " given twice (also "
                        + files[byK[k]].string() + ")");
        byK[k] = i;
    }
    for (int64_t k = 1; k <= n; ++k)
        if (!byK.count(k))
            throw Error("merge: shard " + std::to_string(k) + " of " + std::to_string(n) + " is missing ("
                        + shardFileName(first.at("kind").get<std::string>(), k, n) + ")");

    RunPlan plan;
    plan.name = first.at("kind").get<std::string>();
    if (plan.name != "sweep" && plan.name != "evaluate")
        throw Error(files[0].string() + ": kind '" + plan.name + "' is neither sweep nor evaluate");
    plan.settings = first.at("settings");
    try {
        plan.cells = cellsFromJson(first.at("cells"));
    } catch (const json::exception &) {
        throw Error(files[0].string() + ": its cells are malformed");
    }
    const ItemIndex index(plan.cells);
    for (const auto &[k, i] : byK) {
        int64_t missing = 0, firstMissing = -1;
        for (int64_t g = k - 1; g < index.total; g += n)
            if (!shards[i].items.count(g) && missing++ == 0)
                firstMissing = g;
        if (missing)
            throw Error(files[i].string() + ": " + std::to_string(missing) + " items not finished (first: item "
                        + std::to_string(firstMissing) + "); run its shard again to complete it");
    }
    ResumableRun run(a.get("--out"), plan.name, plan.settings, a.flags.count("--overwrite") > 0, keysOf(plan.cells));
    CellCollector cells(plan, run);
    for (size_t c = 0; c < plan.cells.size(); ++c) {
        if (run.done(plan.cells[c].key))
            continue;
        for (int64_t g = index.first[c]; g < index.first[c] + plan.cells[c].items; ++g)
            cells.add(g, shards[byK.at(g % n + 1)].items.at(g));
    }
    run.save();
    std::cerr << "merge: " << shards.size() << " shards, " << plan.cells.size() << " points -> " << a.get("--out") << "\n";
    return 0;
}

const Registration kMerge{"merge", "combine the shard files of a sweep or evaluate run (--shard K/N) into its results", merge};

} // namespace
} // namespace entroscope::cli
