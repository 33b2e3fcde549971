// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// AnalysisController: the one place where the GUI meets the engine.
//
// Threading contract. The controller lives in the GUI thread and owns ONE worker thread (a QThreadPool
// with maxThreadCount 1). Every engine call (loading a checkpoint, analyses, sweeps, comparisons) runs
// there; the GUI thread never waits for it. Results come back to the GUI thread as queued calls and are
// announced with signals, so every signal is emitted in the GUI thread.
//
// Progressive results. A request's pieces are computed primary first: its analysis at n, then its
// reference at T, then each compared method, then the JS divergence (recomputed block by block from the
// two analyses' kept layer inputs: no second run, no scratch file). Each finished piece of the current
// request is announced with resultUpdated (lastResult() then has complete = false and the missing
// results nullptr, from the primary's piece on) once the job has run setProgressiveAfter() seconds
// (0.25 s: short requests redraw once); the whole result comes with resultReady.
//
// Requests. request() returns a generation number. A newer request cancels the running job (through its
// CancelToken) and any result of an older generation is dropped, never emitted. Results are cached by
// (model, text tokens, length, fill, method, T); a request whose pieces are all cached is answered without
// the worker (workerJobCount() does not move, cacheHitCount() does) through a queued call, so
// resultReady always comes after request() returns.
//
// Background work (lowest priority, after the current view has been served): the slider's stops for the
// current text and methods (view results, n <= precomputeMaxLength()) and the dilution sweep (metrics only,
// n <= sweepMaxLength()). Each finished length is announced with sweepPoint. A new request cancels it;
// it restarts, skipping what is cached, once the new view is served.
//
// Errors. Engine exceptions are caught in the worker and become errorOccurred (requests) or
// modelLoadFailed (a model that fails to load; the current model stays). The controller shows no dialog.
//
// Model families. Any folder loadAttentionModel opens (GAU-α, llama, mistral, qwen2) is analysed through
// AttentionModel::analyze; results then hold one LayerMetrics and one map per (layer, head), layer-major.
// Exact rows of a pooled map come from the layer inputs an analysis keeps: GAU-α's always, the other
// families' above kFullMapMaxLength when they fit layerInputsMaxBytes() (requestExactRows otherwise fails
// with the reason). A comparison's jsPerLayer comes from the layer inputs where they are kept (inside the
// second analysis), else from the full maps of every (layer, head), so for the other families not above
// kFullMapMaxLength when the layer inputs do not fit (jsAvailableAt). What is computed for a view, and how,
// is the engine's (analysis/view_analysis.h); the controller plans against its cache and schedules.
// A folder without a tokenizer takes its input as token ids (setText).
//
// Shutdown: the destructor cancels the running job and waits for the worker.
//
// No LibTorch in this header: engine objects are behind a pimpl.

#include "analysis/result_types.h"
#include "analysis/view_analysis.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace entroscope {

class AttentionModel;
struct ModelInfo;

/// What one view request asks for.
struct ViewRequest
{
    int64_t length = 64;
    QString fill = QStringLiteral("tile"); ///< "tile" | "truncate"
    /// Methods, first = primary. Each is a preset name ("infoscale") or three comma-separated axis
    /// strings ("infoscale,cosscale:8,rerope:16"). At most 4 are used.
    QStringList methods;
    int64_t trainLength = 0; ///< 0 = the model's T

    bool operator==(const ViewRequest &o) const
    {
        return length == o.length && fill == o.fill && methods == o.methods && trainLength == o.trainLength;
    }
};

/// What the views show for one request. Results are shared (immutable) with the cache.
struct ViewResult
{
    quint64 generation = 0;
    ViewRequest request;
    int64_t trainLength = 0; ///< resolved T
    QStringList labels;      ///< display label per method (same order as results)
    std::vector<std::shared_ptr<const AnalysisResult>> results; ///< per method, at n: metrics + maps
    /// Per method, entropy_mean per (layer, head) at length T (same input; layer-major, heads inner, so one
    /// per layer for a one-head model), for the reference lines.
    std::vector<std::vector<double>> entropyAtT;
    /// JS divergence (nats) per (layer, head), layer-major (one per layer for GAU-α), methods[0] vs
    /// methods[1]; empty with < 2 methods, or for a model without layer inputs (not GAU-α) above
    /// kFullMapMaxLength, where it is computed from the full maps.
    std::vector<double> jsPerLayer;
    double seconds = 0;             ///< worker time of this request (0 when served from the cache)
    bool fromCache = false;
    /// False for a progressive result (resultUpdated): the primary method is there, and `pending` names
    /// the compared methods (and "JS divergence") still being computed; their results are nullptr.
    bool complete = true;
    QStringList pending;
};

/// Exact attention rows of the shown result's primary method, every head of the layer, recomputed on demand
/// (requestExactRows).
struct ExactRows
{
    quint64 id = 0;
    std::shared_ptr<const AnalysisResult> source; ///< the analysis they belong to
    int layer = 0;
    int64_t row0 = 0;
    int64_t rows = 0;
    int64_t length = 0;       ///< n
    int64_t col0 = 0;         ///< first key column kept
    int64_t cols = 0;         ///< key columns kept (n for whole rows)
    int heads = 1;            ///< attention maps per layer (GAU-α: 1)
    std::vector<float> data;  ///< [heads, rows, cols] row-major, as applied to the values
    double seconds = 0;
};

class AnalysisController : public QObject
{
    Q_OBJECT
public:
    explicit AnalysisController(QObject *parent = nullptr);
    ~AnalysisController() override;

    /// Starts loading a model folder in the worker (cancels running work). modelLoaded / modelLoadFailed
    /// follow. Returns the job's generation.
    quint64 loadModel(const QString &dir);
    /// Loads synchronously in the calling thread (start-up, tests). Returns false and sets *error on failure.
    bool loadModelNow(const QString &dir, QString *error = nullptr);
    bool hasModel() const;
    QString modelDir() const;
    /// A one-line description ("tiny-neko · 3 layers · d = 16 · T = 16 · wordpiece 12000").
    QString modelSummary() const;
    int layerCount() const;
    /// Attention heads per layer (1 for GAU-α), key/value heads, causal visibility, the family name.
    int headCount() const;
    int kvHeadCount() const;
    bool isCausal() const;
    QString modelFamily() const;
    /// Whether every view analysis keeps its layer inputs, at any n (GAU-α). The other families keep them
    /// only above kFullMapMaxLength while they fit layerInputsMaxBytes() (keepsLayerInputs).
    bool hasLayerInputs() const;
    /// The cap on the layer inputs a non-GAU view analysis keeps (L · n · H floats); by default
    /// defaultLayerInputsMaxBytes() (a sixteenth of physical memory, at least 512 MB). Setting it empties the
    /// cache, whose results were made under the old cap.
    int64_t layerInputsMaxBytes() const { return m_layerInputsMax; }
    void setLayerInputsMaxBytes(int64_t bytes);
    /// Whether a comparison at length n gets its JS divergence (from layer inputs or from full maps).
    bool jsAvailableAt(int64_t n) const;
    bool hasTokenizer() const;
    /// The loaded model (tests compare against it); nullptr without one.
    std::shared_ptr<const AttentionModel> model() const;
    int64_t modelTrainLength() const;

    /// Tokenises the text with the model's tokenizer (GUI thread; linear and fast). Returns the token count;
    /// -1 and *error when the text cannot be encoded. A model without a tokenizer reads the text as token ids
    /// separated by spaces or commas (-1 and *error naming the first one that is not an id of its vocabulary).
    int setText(const QString &text, QString *error = nullptr);
    int tokenCount() const { return int(m_tokens.size()); }
    /// Share of the current tokens that are the tokenizer's unknown piece ([UNK]); 0 without tokens.
    double unknownShare() const;
    /// The unknown share `text` would have under the loaded model's tokenizer (-1 without one).
    double unknownShareOf(const QString &text) const;
    const std::vector<int64_t> &tokens() const { return m_tokens; }

    /// Queues a view request (see the class comment). Returns its generation.
    quint64 request(const ViewRequest &request);
    /// Computes the exact rows row0 .. row0+rows-1 of `layer` of the shown result's primary method (from
    /// the layer inputs its analysis kept; the other layers are not run) ahead of background work.
    /// exactRowsReady(id) or exactRowsFailed(id, message) follows; nothing when a newer view request came
    /// meanwhile (the rows would belong to a result no longer shown). Returns the id.
    /// cols ≥ 0 keeps only the key columns col0 .. col0+cols-1 of each row (a zoomed region: the rows are
    /// computed a few at a time and cropped, so that memory stays a few tens of MB at n = 65536); cols < 0
    /// keeps whole rows. A region and a whole-row ask are queued apart: each replaces only an older one of
    /// its own kind that has not started.
    quint64 requestExactRows(int layer, int64_t row0, int64_t rows, int64_t col0 = 0, int64_t cols = -1);
    /// The rows last delivered with exactRowsReady (empty until then).
    const std::shared_ptr<const ExactRows> &lastExactRows() const { return m_exactRows; }

    /// Cancels the running job and drops queued work; cancelled is emitted for a pending request.
    void cancel();
    bool isBusy() const { return bool(m_running); }
    /// True from openModel() until modelLoaded/modelLoadFailed: a request made meanwhile would refer to the
    /// old model and is refused (errorOccurred), so callers wait for modelLoaded instead.
    bool isLoadingModel() const;
    bool isBackgroundIdle() const { return !m_running && m_background.empty() && !m_foreground && m_rowsJobs.empty(); }

    /// The last result emitted with resultReady (empty until then).
    const std::shared_ptr<const ViewResult> &lastResult() const { return m_last; }
    quint64 lastGeneration() const { return m_generation; }

    /// Display label of a method string: the preset name, or "temperature × qk × position".
    static QString methodLabel(const QString &method);
    /// Canonical axis strings of a method string for the loaded model and T (empty spec + *error on failure).
    MethodSpec resolveSpec(const QString &method, int64_t trainLength, QString *error = nullptr) const;
    /// The method's active formulas at length n (methodFormulas) and, in *untrained, where it departs from
    /// how the checkpoint was trained (untrainedAxes). Empty without a model or for a bad method.
    QStringList methodFormulas(const QString &method, int64_t length, int64_t trainLength,
                               QStringList *untrained = nullptr) const;

    int workerJobCount() const { return m_workerJobs; }
    int cacheHitCount() const { return m_cacheHits; }
    /// Bytes the result cache holds now (bounded by a 768 MiB budget). GUI thread only.
    size_t cacheBytes() const;
    /// Whether request(req) would be answered from the cache alone (no worker job). GUI thread only. Its
    /// plan is kept: a request(req) that follows while the text, the model and the cache are unchanged
    /// uses it instead of planning again.
    bool isCached(const ViewRequest &req);
    /// How often a view request was planned against the cache (isCached and request together).
    int planCount() const { return m_plans; }
    void clearCache();

    void setBackgroundEnabled(bool on) { m_backgroundEnabled = on; }
    /// Pieces finished earlier than this after their job started are not shown on their own (a short
    /// request then redraws once, as before); 0 shows every piece. Default 0.25 s.
    void setProgressiveAfter(double seconds) { m_progressiveAfter = seconds; }
    void setPrecomputeMaxLength(int64_t n) { m_precomputeMax = n; }
    int64_t precomputeMaxLength() const { return m_precomputeMax; }
    void setSweepMaxLength(int64_t n) { m_sweepMax = n; }
    int64_t sweepMaxLength() const { return m_sweepMax; }
    /// Largest length a full map is kept for; above it the views get the pooled max map.
    static constexpr int64_t kFullMapMaxLength = entroscope::kFullMapMaxLength;

    /// The slider's stops: log-spaced 16, 24, 32, 48, … 65536.
    static const std::vector<int64_t> &lengthStops();
    /// Index of the stop nearest to n on a log scale (the slider's position for a typed length).
    static int nearestStopIndex(int64_t n);

Q_SIGNALS:
    void modelLoaded(const QString &dir);
    void modelLoadFailed(const QString &dir, const QString &message);
    void resultReady(quint64 generation);
    /// A progressive result of the current request (lastResult()->complete is false).
    void resultUpdated(quint64 generation);
    /// The rows of requestExactRows(…) that returned `id` are in lastExactRows().
    void exactRowsReady(quint64 id);
    void exactRowsFailed(quint64 id, const QString &message);
    void errorOccurred(quint64 generation, const QString &message);
    void cancelled(quint64 generation);
    void progressChanged(double fraction, const QString &label);
    void busyChanged(bool busy);
    /// A length of the dilution sweep for the current context is known (retained may be NaN when n < T).
    void sweepPoint(const QString &methodLabel, qint64 length, double retainedMassMean, double entropyMean,
                    double localMassMean);
    /// The sweep's context (model, text, fill, T or the method list) changed: earlier points are void.
    void sweepReset();
    /// All background work (stops + sweep) of the current context is done.
    void backgroundFinished();

private:
    struct Engine;
    struct Job;
    struct JobOutput;

    void startNext();
    void finishJob(const std::shared_ptr<Job> &job, const std::shared_ptr<JobOutput> &out);
    /// A piece of a running job (GUI thread): cached, held by the job, and shown when the job is current.
    void takePiece(const std::shared_ptr<Job> &job, const std::string &key,
                   const std::shared_ptr<const AnalysisResult> &result, double seconds);
    void queueBackground();
    /// Fills job->tasks with what is missing; when nothing is, posts the result (seconds < 0: from the
    /// cache) and returns true.
    bool tryServeFromCache(const std::shared_ptr<Job> &job, double seconds);
    /// Posts a complete result of `job` (resultReady when it is still the current generation).
    void serve(const std::shared_ptr<Job> &job, std::shared_ptr<const ViewResult> done);
    /// The view job of `req` (methods resolved, labels), or null and *error when it cannot be made now.
    std::shared_ptr<Job> makeViewJob(const ViewRequest &req, QString *error) const;
    /// makeViewJob + planFromCache, or the plan isCached kept for the same request while it is valid (same
    /// context key, no cache change since). *done: the complete result when nothing is missing.
    std::shared_ptr<Job> planView(const ViewRequest &req, std::shared_ptr<ViewResult> *done, QString *error);
    struct Planned
    {
        std::shared_ptr<Job> job;
        std::shared_ptr<ViewResult> done;
        std::string context;
        quint64 epoch = 0;
    };
    Planned m_planned;
    int m_plans = 0;
    /// The planning half of tryServeFromCache: the assembled result, or nullptr with job->tasks set.
    std::shared_ptr<ViewResult> planFromCache(const std::shared_ptr<Job> &job, double seconds);
    /// The view result of what is known now (held by the job or cached), missing pieces nullptr; nullptr
    /// while the primary's result at n is not known. Reads the job only (the worker may be running it);
    /// what is missing goes to *missing and *jsNeeded when given.
    struct Missing;
    std::shared_ptr<ViewResult> partialResult(const Job &job, double seconds, Missing *missing = nullptr) const;
    void setBusy(bool busy);
    void updateBusy();
    std::string contextKey(const ViewRequest &req) const;

    std::unique_ptr<Engine> m_engine;
    std::vector<int64_t> m_tokens;
    quint64 m_generation = 0;
    std::shared_ptr<Job> m_running;
    std::shared_ptr<Job> m_foreground;
    /// Exact rows asked for (at most one region and one whole-row ask), served after m_foreground, before
    /// background work.
    std::deque<std::shared_ptr<Job>> m_rowsJobs;
    std::shared_ptr<const ExactRows> m_exactRows;
    quint64 m_rowsSerial = 0;
    std::vector<std::shared_ptr<Job>> m_background;
    std::shared_ptr<const ViewResult> m_last;
    ViewRequest m_lastRequest;
    bool m_haveLastRequest = false;
    bool m_busy = false;
    std::string m_sweepKey;
    std::string m_sweepContextKey;
    bool m_backgroundEnabled = true;
    double m_progressiveAfter = 0.25;
    int64_t m_precomputeMax = 1024;
    int64_t m_sweepMax = 4096;
    int m_workerJobs = 0;
    int m_cacheHits = 0;
    int64_t m_layerInputsMax = defaultLayerInputsMaxBytes();
};

} // namespace entroscope
