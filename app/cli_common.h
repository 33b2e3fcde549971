// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Shared pieces of entroscope-cli's commands: argument parsing, the staged output folder,
// JSON helpers and the command registry (each cli_*.cpp registers its command).

#include "errors.h"
#include "model/gau_model.h"
#include "model/method.h"
#include "analysis/metrics_table.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace entroscope::cli {

struct Args
{
    std::string command;
    std::map<std::string, std::string> values;          ///< single-valued options
    std::map<std::string, std::vector<std::string>> lists; ///< repeatable options
    std::set<std::string> flags;
    std::vector<std::string> positional; ///< arguments that are not options (only where allowed)
    bool has(const std::string &k) const { return values.count(k) > 0; }
    std::string get(const std::string &k, const std::string &fallback = {}) const
    {
        auto it = values.find(k);
        return it == values.end() ? fallback : it->second;
    }
};

/// Parses argv[1..] (argv[0] is the command). Options in `repeatable` may be given several times;
/// arguments not starting with "--" are collected in `positional` when `allowPositional`.
/// Throws Error naming the unknown or incomplete option.
Args parseArgs(const std::vector<std::string> &argv, const std::set<std::string> &valueOptions,
               const std::set<std::string> &flagOptions, const std::set<std::string> &repeatable = {},
               bool allowPositional = false);

int64_t parseInt(const std::string &flag, const std::string &text);
double parseDouble(const std::string &flag, const std::string &text);
std::vector<int64_t> parseIds(const std::string &text);
/// --fill (default tile), checked against the engine's fill modes.
std::string checkedFill(const Args &a);
/// --length N, required and >= 1.
int64_t requiredLength(const Args &a);
std::vector<int64_t> parseLengths(const std::string &flag, const std::string &text);
std::vector<std::string> splitList(const std::string &text, char sep = ',');
std::string readTextFile(const std::string &flag, const std::string &path);

/// --model or $ENTROSCOPE_MODEL or the bundled demo model.
std::string modelDir(const Args &a);
/// --train-length, or modelT (the checkpoint's T) without it.
int64_t trainLength(const Args &a, int64_t modelT);
/// The method from --preset, --method (a preset or "temperature,qk,position") or the three axes (the
/// checkpoint's own for missing axes), with --key-count.
Method methodFromArgs(const Args &a, const MethodDefaults &config, int64_t T);
/// A method as given on the command line (its label in outputs) and resolved.
struct NamedMethod
{
    std::string name;
    Method method;
};
/// Every method of --preset (repeatable), --presets a,b, --method (repeatable) and --methods "m1;m2", in
/// that order, with --key-count; each a preset name or "temperature,qk,position".
std::vector<NamedMethod> methodList(const Args &a, const MethodDefaults &config, int64_t T);
/// The documents of a file (one per non-empty line), tokenised without special tokens, at most
/// maxDocuments (< 0: all). Error when none is left.
std::vector<std::vector<int64_t>> readDocuments(const std::string &flag, const std::string &path,
                                                const AttentionModel &model, int64_t maxDocuments = -1);
/// The token list from --ids, --text or --text-file (exactly one); --special-tokens adds [CLS]/[SEP].
std::vector<int64_t> inputTokens(const Args &a, const Checkpoint &ck);
std::vector<int64_t> inputTokens(const Args &a, const AttentionModel &model);
std::vector<int64_t> inputTokens(const Args &a, const Tokenizer *tokenizer, int64_t vocabSize, const std::string &dir);
/// Refuses a length whose estimated memory exceeds what the machine has available.
void checkMemory(const GauConfig &config, int64_t n, const AnalysisRequest &req);
void checkMemory(const AttentionModel &model, int64_t n, const AnalysisRequest &req);

/// --threads, or the host's hardware threads divided among the job's ranks on this host (at least 1);
/// sets LibTorch's (OpenMP) and OpenBLAS's thread counts.
void setThreads(const Args &a);
int defaultThreads(int hardwareThreads, int localRanks);
void warnIfSlowBlas();
/// Set by SIGINT/SIGTERM; long commands pass it to the engine.
CancelToken &interruptToken();
/// "\r"-style progress on stderr when it is a terminal, one line per step otherwise (for logs).
void progressLine(const std::string &what, double fraction, const std::string &label);

nlohmann::json metricsJson(const LayerMetrics &m);
nlohmann::json methodJson(const MethodSpec &m);
void writeJsonFile(const std::filesystem::path &path, const nlohmann::json &j);
void writeTextFileAtomically(const std::filesystem::path &path, const std::string &text);

/// An output folder written under a temporary sibling name and moved into place only when complete;
/// removed if the command fails. An existing non-empty folder is refused unless overwrite is set,
/// and is replaced only at commit().
class StagedOutput
{
public:
    StagedOutput(const std::string &out, bool overwrite);
    ~StagedOutput();
    std::filesystem::path path(const std::string &name) const { return m_stage / name; }
    std::filesystem::path stage() const { return m_stage; }
    void commit();

private:
    std::filesystem::path m_final;
    std::filesystem::path m_stage;
    bool m_committed = false;
};

/// Command registry: each cli_*.cpp defines `static const Registration r{"name", "summary", fn};`.
using CommandFn = std::function<int(const std::vector<std::string> &)>;
struct Registration
{
    Registration(const std::string &name, const std::string &summary, CommandFn fn);
};
struct Command
{
    std::string summary;
    CommandFn fn;
};
std::map<std::string, Command> &commands();

} // namespace entroscope::cli
