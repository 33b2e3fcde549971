// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "cli_common.h"

#include <algorithm>

#include "io/atomic_file.h"
#include "platform/blas_check.h"
#include "distributed.h"

#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <dlfcn.h>
#include <unistd.h>

namespace fs = std::filesystem;
using nlohmann::json;

namespace entroscope::cli {

Args parseArgs(const std::vector<std::string> &argv, const std::set<std::string> &valueOptions,
               const std::set<std::string> &flagOptions, const std::set<std::string> &repeatable,
               bool allowPositional)
{
    Args a;
    if (argv.empty())
        throw Error("no command given (see entroscope-cli --help)");
    a.command = argv[0];
    for (size_t i = 1; i < argv.size(); ++i) {
        const std::string &o = argv[i];
        if (o == "--help" || o == "-h") {
            a.flags.insert("--help");
        } else if (valueOptions.count(o) || repeatable.count(o)) {
            if (i + 1 >= argv.size())
                throw Error(o + ": missing value");
            const std::string &v = argv[++i];
            if (repeatable.count(o)) {
                a.lists[o].push_back(v);
            } else {
                if (a.values.count(o))
                    throw Error(o + ": given twice");
                a.values[o] = v;
            }
        } else if (flagOptions.count(o)) {
            a.flags.insert(o);
        } else if (allowPositional && o.rfind("--", 0) != 0) {
            a.positional.push_back(o);
        } else {
            throw Error(o + ": unknown option for '" + a.command + "' (see entroscope-cli " + a.command + " --help)");
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

double parseDouble(const std::string &flag, const std::string &text)
{
    try {
        size_t pos = 0;
        const double v = std::stod(text, &pos);
        if (pos != text.size() || !std::isfinite(v))
            throw std::invalid_argument("trailing");
        return v;
    } catch (const std::exception &) {
        throw Error(flag + ": '" + text + "' is not a number");
    }
}

std::vector<std::string> splitList(const std::string &text, char sep)
{
    std::vector<std::string> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, sep)) {
        const auto b = item.find_first_not_of(" \t");
        const auto e = item.find_last_not_of(" \t");
        out.push_back(b == std::string::npos ? std::string() : item.substr(b, e - b + 1));
    }
    return out;
}

std::vector<int64_t> parseIds(const std::string &text)
{
    std::vector<int64_t> ids;
    for (const auto &item : splitList(text)) {
        if (item.empty())
            throw Error("--ids: empty entry in '" + text + "'");
        ids.push_back(parseInt("--ids", item));
    }
    if (ids.empty())
        throw Error("--ids: no ids given");
    return ids;
}

int64_t requiredLength(const Args &a)
{
    if (!a.has("--length"))
        throw Error("--length: required");
    const int64_t n = parseInt("--length", a.get("--length"));
    if (n < 1)
        throw Error("--length: must be at least 1, got " + a.get("--length"));
    return n;
}

std::vector<int64_t> parseLengths(const std::string &flag, const std::string &text)
{
    std::vector<int64_t> out;
    for (const auto &item : splitList(text)) {
        const int64_t n = parseInt(flag, item);
        if (n < 1)
            throw Error(flag + ": lengths must be at least 1, got " + item);
        out.push_back(n);
    }
    if (out.empty())
        throw Error(flag + ": no lengths given");
    return out;
}

std::string readTextFile(const std::string &flag, const std::string &path)
{
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw Error(flag + ": " + path + ": no such file");
    // Texts are tokenised whole (8 bytes per token id): a limit keeps a wrong file from taking the memory.
    constexpr uintmax_t kMaxTextBytes = uintmax_t(64) << 20;
    if (const uintmax_t size = fs::file_size(path, ec); !ec && size > kMaxTextBytes)
        throw Error(flag + ": " + path + ": " + std::to_string(size >> 20) + " MiB; texts of at most "
                    + std::to_string(kMaxTextBytes >> 20) + " MiB are read");
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad())
        throw Error(flag + ": " + path + ": cannot read");
    return ss.str();
}

std::string modelDir(const Args &a)
{
    if (a.has("--model"))
        return a.get("--model");
    if (const char *env = std::getenv("ENTROSCOPE_MODEL"); env && *env)
        return env;
    return ENTROSCOPE_DEFAULT_MODEL_DIR;
}

int64_t trainLength(const Args &a, int64_t modelT)
{
    if (!a.has("--train-length"))
        return modelT;
    const int64_t T = parseInt("--train-length", a.get("--train-length"));
    if (T < 1)
        throw Error("--train-length: must be at least 1, got " + a.get("--train-length"));
    return T;
}

std::string checkedFill(const Args &a)
{
    const std::string fill = a.get("--fill", "tile");
    const auto &modes = fillModes();
    if (std::find(modes.begin(), modes.end(), fill) == modes.end())
        throw Error("--fill: unknown '" + fill + "' (expected tile, truncate or concat)");
    return fill;
}

Method methodFromArgs(const Args &a, const MethodDefaults &config, int64_t T)
{
    const bool axes = a.has("--temperature") || a.has("--qk") || a.has("--position");
    const std::string keyCount = a.get("--key-count");
    if (a.has("--preset") || a.has("--method")) {
        if (axes)
            throw Error(std::string(a.has("--preset") ? "--preset" : "--method")
                        + ": cannot be combined with --temperature/--qk/--position");
        if (a.has("--preset") && a.has("--method"))
            throw Error("--method: give either --preset or --method");
        return a.has("--preset") ? Method::preset(a.get("--preset"), config, T, keyCount)
                                 : Method::fromString(a.get("--method"), config, T, keyCount);
    }
    return Method::parse(a.get("--temperature"), a.get("--qk"), a.get("--position"), config, T, keyCount);
}

std::vector<NamedMethod> methodList(const Args &a, const MethodDefaults &config, int64_t T)
{
    std::vector<std::string> names;
    auto take = [&](const std::string &option) {
        if (a.lists.count(option))
            for (const auto &v : a.lists.at(option))
                names.push_back(v);
    };
    take("--preset");
    if (a.has("--presets"))
        for (const auto &p : splitList(a.get("--presets")))
            names.push_back(p);
    take("--method");
    if (a.has("--methods"))
        for (const auto &p : splitList(a.get("--methods"), ';'))
            names.push_back(p);
    std::vector<NamedMethod> out;
    for (const auto &name : names) {
        if (name.empty())
            throw Error("--presets: empty method name");
        out.push_back({name, Method::fromString(name, config, T, a.get("--key-count"))});
    }
    return out;
}

std::vector<std::vector<int64_t>> readDocuments(const std::string &flag, const std::string &path,
                                                const AttentionModel &model, int64_t maxDocuments)
{
    const auto tokenizer = model.tokenizer();
    if (!tokenizer)
        throw Error(model.info().dir + ": no tokenizer to encode the documents");
    std::vector<std::vector<int64_t>> docs;
    for (const auto &line : splitDocuments(readTextFile(flag, path))) {
        if (maxDocuments >= 0 && static_cast<int64_t>(docs.size()) >= maxDocuments)
            break;
        auto ids = tokenizer->encode(line, false);
        if (!ids.empty())
            docs.push_back(std::move(ids));
    }
    if (docs.empty())
        throw Error(flag + ": " + path + " holds no documents");
    return docs;
}

std::vector<int64_t> inputTokens(const Args &a, const Checkpoint &ck)
{
    return inputTokens(a, ck.tokenizer.get(), ck.config.vocabSize, ck.dir);
}

std::vector<int64_t> inputTokens(const Args &a, const AttentionModel &model)
{
    const ModelInfo info = model.info();
    return inputTokens(a, model.tokenizer().get(), info.vocabSize, info.dir);
}

std::vector<int64_t> inputTokens(const Args &a, const Tokenizer *tokenizer, int64_t vocabSize, const std::string &dir)
{
    const int inputs = static_cast<int>(a.values.count("--text") + a.values.count("--text-file") + a.values.count("--ids"));
    if (inputs != 1)
        throw Error(inputs == 0 ? "input: give one of --text, --text-file or --ids"
                                : "input: give only one of --text, --text-file or --ids");
    std::vector<int64_t> tokens;
    if (a.has("--ids")) {
        tokens = parseIds(a.get("--ids"));
        for (auto id : tokens)
            if (id < 0 || id >= vocabSize)
                throw Error("--ids: id " + std::to_string(id) + " is outside the vocabulary (0.."
                            + std::to_string(vocabSize - 1) + ")");
        return tokens;
    }
    if (!tokenizer)
        throw Error(dir + ": no tokenizer (vocab.txt or *.model) to encode text; use --ids");
    const std::string flag = a.has("--text") ? "--text" : "--text-file";
    const std::string text = a.has("--text") ? a.get("--text") : readTextFile(flag, a.get("--text-file"));
    if (a.get("--fill") == "concat") {
        // METHODS.md §2: the documents (lines) one after the other from the first; one text = truncate.
        for (const auto &doc : splitDocuments(text)) {
            const auto ids = tokenizer->encode(doc, a.flags.count("--special-tokens") > 0);
            tokens.insert(tokens.end(), ids.begin(), ids.end());
        }
    } else {
        tokens = tokenizer->encode(text, a.flags.count("--special-tokens") > 0);
    }
    if (tokens.empty())
        throw Error(flag + ": the text gives no tokens");
    return tokens;
}

void checkMemory(const AttentionModel &model, int64_t n, const AnalysisRequest &req)
{
    try {
        checkAnalysisMemory(model, n, req);
    } catch (const Error &e) {
        throw Error(std::string("--length: ") + e.what());
    }
}

void checkMemory(const GauConfig &config, int64_t n, const AnalysisRequest &req)
{
    try {
        checkAnalysisMemory(config, n, req);
    } catch (const Error &e) {
        throw Error(std::string("--length: ") + e.what());
    }
}

int defaultThreads(int hardwareThreads, int localRanks)
{
    return std::max(1, std::max(1, hardwareThreads) / std::max(1, localRanks));
}

void setThreads(const Args &a)
{
    // N ranks on one host share its cores: each takes its part unless --threads says otherwise.
    int threads = defaultThreads(static_cast<int>(std::thread::hardware_concurrency()), localRanks());
    if (a.has("--threads")) {
        threads = static_cast<int>(parseInt("--threads", a.get("--threads")));
        if (threads < 1 || threads > 1024)
            throw Error("--threads: must be between 1 and 1024");
    }
    torch::set_num_threads(threads);
    // OpenBLAS (pthreads build) keeps its own pool, sized to the cores, whatever OpenMP is told.
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
        set(threads);
}

void warnIfSlowBlas()
{
    const auto &r = checkBlas();
    if (r.slow)
        std::cerr << "entroscope-cli: warning: " << r.warning << "\n";
}

CancelToken &interruptToken()
{
    static CancelToken token;
    return token;
}

void progressLine(const std::string &what, double fraction, const std::string &label)
{
    if (isatty(STDERR_FILENO))
        std::cerr << "\r" << what << ": " << static_cast<int>(fraction * 100) << "% " << label << "      " << std::flush;
    else
        std::cerr << what << ": " << static_cast<int>(fraction * 100) << "% " << label << "\n";
}

json metricsJson(const LayerMetrics &m)
{
    json j;
    j["layer"] = m.layer;
    j["head"] = m.head;
    j["entropy"] = m.entropy;
    for (const auto &metric : scalarMetrics()) {
        const auto v = metric.value(m);
        j[metric.name] = v ? json(*v) : json(nullptr);
    }
    j["distance_profile"] = m.distanceProfile;
    return j;
}

json methodJson(const MethodSpec &m)
{
    json j = {{"temperature", m.temperature}, {"qk", m.qk}, {"position", m.position}};
    if (!m.keyCount.empty())
        j["key_count"] = m.keyCount;
    return j;
}

void writeJsonFile(const fs::path &path, const json &j)
{
    std::ofstream out(path, std::ios::binary);
    out << j.dump(1) << "\n";
    out.flush();
    if (!out)
        throw Error(path.string() + ": write failed (disk full?)");
}

void writeTextFileAtomically(const fs::path &path, const std::string &text)
{
    writeFileAtomically(path, text);
}

StagedOutput::StagedOutput(const std::string &out, bool overwrite)
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
    const fs::path parent = fs::absolute(m_final).parent_path();
    if (!fs::is_directory(parent, ec))
        throw Error("--out: the parent folder " + parent.string() + " does not exist");
    m_stage = parent / (m_final.filename().string() + ".partial-" + std::to_string(::getpid()));
    fs::remove_all(m_stage, ec);
    if (!fs::create_directory(m_stage, ec))
        throw Error("--out: cannot create " + m_stage.string() + " (" + ec.message() + ")");
}

StagedOutput::~StagedOutput()
{
    if (!m_committed) {
        std::error_code ec;
        fs::remove_all(m_stage, ec);
    }
}

void StagedOutput::commit()
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

std::map<std::string, Command> &commands()
{
    static std::map<std::string, Command> registry;
    return registry;
}

Registration::Registration(const std::string &name, const std::string &summary, CommandFn fn)
{
    commands()[name] = Command{summary, std::move(fn)};
}

} // namespace entroscope::cli
