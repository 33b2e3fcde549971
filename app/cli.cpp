// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "cli.h"

#include "blas_check.h"
#include "errors.h"
#include "gau_model.h"
#include "method.h"
#include "npy.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using nlohmann::json;

namespace entroscope {
namespace {

CancelToken g_interrupt;

extern "C" void onSignal(int)
{
    g_interrupt.cancel();
}

const char *kUsage = R"(usage: entroscope-cli <command> [options]

commands:
  analyze   attention maps and metrics of one input at one length under one method
  presets   list the method presets

analyze options:
  --model DIR            Hugging Face-style GAU-α folder (default: the bundled demo model)
  --text STR | --text-file PATH | --ids 1,2,3
                         the input (text is tokenised without [CLS]/[SEP] unless --special-tokens)
  --length N             context length n (required)
  --fill tile|truncate   how the input reaches n tokens (default tile)
  --preset NAME          a named method (see `presets`); or the three axes:
  --temperature T        softmax | softmax_plus | logn | infoscale | squared_relu
  --qk Q                 plain | cosscale[:S]
  --position P           rope | pi | ntk | yarn | rerope[:W] | window[:W] | alibi[:M]
                         | streamingllm[:S[:W]] | lminfinite[:S[:W]]
  --train-length T       override the training length of the checkpoint
  --maps                 also write attention_layer{L}.npy ([n, n] float32) per layer
  --out DIR              output folder (must not exist or be empty, unless --overwrite)
  --overwrite            replace an existing output folder (only once the new one is complete)
  --special-tokens       add [CLS] ... [SEP] around tokenised text
  --threads N            intra-op threads (default: all cores)
)";

struct Args
{
    std::string command;
    std::map<std::string, std::string> values;
    std::set<std::string> flags;
};

Args parseArgs(const std::vector<std::string> &argv, const std::set<std::string> &valueOptions,
               const std::set<std::string> &flagOptions)
{
    Args a;
    if (argv.empty())
        throw Error("no command given (try: entroscope-cli analyze --help)");
    a.command = argv[0];
    for (size_t i = 1; i < argv.size(); ++i) {
        const std::string &o = argv[i];
        if (o == "--help" || o == "-h") {
            a.flags.insert("--help");
        } else if (valueOptions.count(o)) {
            if (i + 1 >= argv.size())
                throw Error(o + ": missing value");
            if (a.values.count(o))
                throw Error(o + ": given twice");
            a.values[o] = argv[++i];
        } else if (flagOptions.count(o)) {
            a.flags.insert(o);
        } else {
            throw Error(o + ": unknown option for '" + a.command + "'");
        }
    }
    return a;
}

int64_t parseInt(const std::string &flag, const std::string &text)
{
    try {
        size_t pos = 0;
        const long long v = std::stoll(text, &pos);
        if (pos != text.size())
            throw std::invalid_argument("trailing");
        return v;
    } catch (const std::exception &) {
        throw Error(flag + ": '" + text + "' is not an integer");
    }
}

std::vector<int64_t> parseIds(const std::string &text)
{
    std::vector<int64_t> ids;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto b = item.find_first_not_of(" \t");
        const auto e = item.find_last_not_of(" \t");
        if (b == std::string::npos)
            throw Error("--ids: empty entry in '" + text + "'");
        ids.push_back(parseInt("--ids", item.substr(b, e - b + 1)));
    }
    if (ids.empty())
        throw Error("--ids: no ids given");
    return ids;
}

std::string readTextFile(const std::string &path)
{
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw Error("--text-file: " + path + ": no such file");
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof())
        throw Error("--text-file: " + path + ": cannot read");
    return ss.str();
}

std::string defaultModelDir()
{
    if (const char *env = std::getenv("ENTROSCOPE_MODEL"); env && *env)
        return env;
    return ENTROSCOPE_DEFAULT_MODEL_DIR;
}

json metricsJson(const LayerMetrics &m)
{
    json j;
    j["layer"] = m.layer;
    j["head"] = m.head;
    j["entropy"] = m.entropy;
    j["entropy_mean"] = m.entropyMean;
    j["normalized_entropy_mean"] = m.normalizedEntropyMean;
    j["max_weight_mean"] = m.maxWeightMean;
    j["k90_mean"] = m.k90Mean;
    j["sink_mass_mean"] = m.sinkMassMean;
    j["retained_mass_mean"] = m.retainedMassMean ? json(*m.retainedMassMean) : json(nullptr);
    j["distance_profile"] = m.distanceProfile;
    return j;
}

/// An output folder written under a temporary name and moved into place only when complete.
class StagedOutput
{
public:
    StagedOutput(const std::string &out, bool overwrite)
        : m_final(out)
    {
        std::error_code ec;
        if (out.empty())
            throw Error("--out: an output folder is required");
        if (fs::exists(m_final, ec)) {
            if (!fs::is_directory(m_final, ec))
                throw Error("--out: " + out + " exists and is not a folder");
            if (!fs::is_empty(m_final, ec) && !overwrite)
                throw Error("--out: " + out + " exists and is not empty (choose another folder or pass --overwrite)");
        }
        fs::path parent = fs::absolute(m_final).parent_path();
        if (!fs::is_directory(parent, ec))
            throw Error("--out: the parent folder " + parent.string() + " does not exist");
        m_stage = parent / (m_final.filename().string() + ".partial-" + std::to_string(::getpid()));
        fs::remove_all(m_stage, ec);
        if (!fs::create_directory(m_stage, ec))
            throw Error("--out: cannot create " + m_stage.string() + " (" + ec.message() + ")");
    }
    ~StagedOutput()
    {
        if (!m_committed) {
            std::error_code ec;
            fs::remove_all(m_stage, ec);
        }
    }
    fs::path path(const std::string &name) const { return m_stage / name; }
    fs::path stage() const { return m_stage; }
    void commit()
    {
        std::error_code ec;
        fs::path backup;
        if (fs::exists(m_final, ec)) {
            backup = m_final.string() + ".old-" + std::to_string(::getpid());
            fs::rename(m_final, backup, ec);
            if (ec)
                throw Error("--out: cannot replace " + m_final.string() + " (" + ec.message() + ")");
        }
        fs::rename(m_stage, m_final, ec);
        if (ec) {
            if (!backup.empty())
                fs::rename(backup, m_final, ec);
            throw Error("--out: cannot move the results into " + m_final.string() + " (" + ec.message() + ")");
        }
        m_committed = true;
        if (!backup.empty())
            fs::remove_all(backup, ec);
    }

private:
    fs::path m_final;
    fs::path m_stage;
    bool m_committed = false;
};

void writeJsonFile(const fs::path &path, const json &j)
{
    std::ofstream out(path, std::ios::binary);
    out << j.dump(1) << "\n";
    out.flush();
    if (!out)
        throw Error(path.string() + ": write failed (disk full?)");
}

void setThreads(const Args &a)
{
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (a.values.count("--threads")) {
        threads = static_cast<int>(parseInt("--threads", a.values.at("--threads")));
        if (threads < 1 || threads > 1024)
            throw Error("--threads: must be between 1 and 1024");
    }
    torch::set_num_threads(threads);
}

void warnIfSlowBlas()
{
    const auto &r = checkBlas();
    if (r.slow)
        std::cerr << "entroscope-cli: warning: " << r.warning << "\n";
}

/// The method from --preset or the three axes (native defaults for missing axes).
Method methodFromArgs(const Args &a, const GauConfig &config, int64_t T)
{
    const bool axes = a.values.count("--temperature") || a.values.count("--qk") || a.values.count("--position");
    if (a.values.count("--preset")) {
        if (axes)
            throw Error("--preset: cannot be combined with --temperature/--qk/--position");
        return Method::preset(a.values.at("--preset"), config, T);
    }
    auto get = [&](const char *k) { return a.values.count(k) ? a.values.at(k) : std::string(); };
    return Method::parse(get("--temperature"), get("--qk"), get("--position"), config, T);
}

int analyze(const std::vector<std::string> &argv)
{
    const Args a = parseArgs(argv,
                             {"--model", "--text", "--text-file", "--ids", "--length", "--fill", "--preset",
                              "--temperature", "--qk", "--position", "--train-length", "--out", "--threads"},
                             {"--maps", "--overwrite", "--special-tokens"});
    if (a.flags.count("--help")) {
        std::cout << kUsage;
        return 0;
    }
    const int inputs = static_cast<int>(a.values.count("--text") + a.values.count("--text-file") + a.values.count("--ids"));
    if (inputs != 1)
        throw Error(inputs == 0 ? "input: give one of --text, --text-file or --ids"
                                : "input: give only one of --text, --text-file or --ids");
    if (!a.values.count("--length"))
        throw Error("--length: required");
    const int64_t n = parseInt("--length", a.values.at("--length"));
    if (n < 1)
        throw Error("--length: must be at least 1, got " + a.values.at("--length"));
    if (!a.values.count("--out"))
        throw Error("--out: an output folder is required");
    const std::string fill = a.values.count("--fill") ? a.values.at("--fill") : "tile";
    if (fill != "tile" && fill != "truncate")
        throw Error("--fill: unknown '" + fill + "' (expected tile or truncate)");
    setThreads(a);

    const std::string modelDir = a.values.count("--model") ? a.values.at("--model") : defaultModelDir();
    auto ck = Checkpoint::load(modelDir);
    const auto &config = ck->config;
    int64_t T = config.trainLength();
    if (a.values.count("--train-length")) {
        T = parseInt("--train-length", a.values.at("--train-length"));
        if (T < 1)
            throw Error("--train-length: must be at least 1, got " + a.values.at("--train-length"));
    }
    const Method method = methodFromArgs(a, config, T);

    std::vector<int64_t> tokens;
    if (a.values.count("--ids")) {
        tokens = parseIds(a.values.at("--ids"));
        for (auto id : tokens)
            if (id < 0 || id >= config.vocabSize)
                throw Error("--ids: id " + std::to_string(id) + " is outside the vocabulary (0.."
                            + std::to_string(config.vocabSize - 1) + ")");
    } else {
        if (!ck->tokenizer)
            throw Error(modelDir + ": no tokenizer (vocab.txt or *.model) to encode --text; use --ids");
        const std::string text = a.values.count("--text") ? a.values.at("--text") : readTextFile(a.values.at("--text-file"));
        tokens = ck->tokenizer->encode(text, a.flags.count("--special-tokens") > 0);
        if (tokens.empty())
            throw Error(std::string(a.values.count("--text") ? "--text" : "--text-file") + ": the text gives no tokens");
    }

    AnalysisRequest req;
    req.method = method;
    req.trainLength = T;
    const bool maps = a.flags.count("--maps") > 0;
    const int64_t need = estimateAnalysisBytes(config, n, req);
    const int64_t avail = availableMemoryBytes();
    if (avail > 0 && need > avail)
        throw Error("--length " + std::to_string(n) + ": needs about " + formatBytes(static_cast<double>(need))
                    + " of memory, this machine has " + formatBytes(static_cast<double>(avail)) + " available");
    const std::vector<int64_t> ids = fillToLength(tokens, n, fill);

    StagedOutput out(a.values.at("--out"), a.flags.count("--overwrite") > 0);
    if (maps) {
        const double disk = static_cast<double>(n) * static_cast<double>(n) * 4.0 * static_cast<double>(config.numLayers);
        std::error_code ec;
        const auto space = fs::space(out.stage(), ec);
        if (!ec && disk > static_cast<double>(space.available))
            throw Error("--maps: the maps at --length " + std::to_string(n) + " take " + formatBytes(disk) + ", but "
                        + out.stage().parent_path().string() + " has " + formatBytes(static_cast<double>(space.available))
                        + " free");
    }

    warnIfSlowBlas();
    std::vector<std::unique_ptr<NpyWriter>> writers;
    if (maps) {
        for (int64_t l = 0; l < config.numLayers; ++l)
            writers.push_back(std::make_unique<NpyWriter>(
                out.path("attention_layer" + std::to_string(l) + ".npy").string(), std::vector<int64_t>{n, n}));
        req.rowSink = [&](int layer, int64_t, int64_t rows, int64_t cols, const float *data) {
            writers[static_cast<size_t>(layer)]->write(data, rows * cols);
        };
    }
    auto progress = [&](double f, const std::string &label) {
        if (isatty(STDERR_FILENO))
            std::cerr << "\ranalyze: " << static_cast<int>(f * 100) << "% " << label << "    " << std::flush;
    };
    AnalysisResult r = GauModel(ck).analyze(ids, req, progress, &g_interrupt);
    if (isatty(STDERR_FILENO))
        std::cerr << "\r" << std::string(40, ' ') << "\r";
    for (auto &w : writers)
        w->finish();

    json j;
    j["length"] = r.length;
    j["train_length"] = r.trainLength;
    j["key_size"] = r.keySize;
    j["method"] = {{"temperature", r.method.temperature}, {"qk", r.method.qk}, {"position", r.method.position}};
    j["tokens"] = r.tokens;
    j["layers"] = json::array();
    for (const auto &m : r.layers)
        j["layers"].push_back(metricsJson(m));
    j["mlm_top1"] = r.mlmTop1;
    writeJsonFile(out.path("summary.json"), j);
    out.commit();
    std::cerr << "analyze: n=" << n << " " << r.method.label() << " " << config.numLayers << " layers in "
              << static_cast<int>(r.seconds * 1000) << " ms -> " << a.values.at("--out") << "\n";
    return 0;
}

int presets()
{
    for (const auto &p : presetInfos())
        std::cout << p.name << "\t" << p.description << " [" << p.source << "]\n";
    return 0;
}

} // namespace

int runCli(const std::vector<std::string> &args)
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    try {
        if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
            std::cout << kUsage;
            return args.empty() ? 2 : 0;
        }
        const std::string &cmd = args[0];
        if (cmd == "analyze")
            return analyze(args);
        if (cmd == "presets")
            return presets();
        throw Error("'" + cmd + "': unknown command (expected analyze or presets; see --help)");
    } catch (const Error &e) {
        std::cerr << "entroscope-cli: " << e.what() << "\n";
        return 2;
    } catch (const Cancelled &) {
        std::cerr << "entroscope-cli: interrupted; no output written\n";
        return 130;
    } catch (const c10::Error &e) {
        std::string msg = e.what_without_backtrace();
        std::cerr << "entroscope-cli: internal error: " << msg.substr(0, msg.find('\n')) << "\n";
        return 1;
    } catch (const std::bad_alloc &) {
        std::cerr << "entroscope-cli: out of memory\n";
        return 2;
    } catch (const std::exception &e) {
        std::string msg = e.what();
        std::cerr << "entroscope-cli: internal error: " << msg.substr(0, msg.find('\n')) << "\n";
        return 1;
    }
}

} // namespace entroscope
