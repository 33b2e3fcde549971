// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "analysis_controller.h"

#include "errors.h"
#include "model/attention_model.h"
#include "text/inputs.h"
#include "text/tokenizer.h"
#include "model/method.h"
#include "analysis/metrics_table.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QPointer>
#include <QCoreApplication>
#include <QRegularExpression>
#include <QThreadPool>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <limits>
#include <list>
#include <map>

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace entroscope {

namespace {

// The cache keeps results up to this many bytes (maps dominate), least recently used out first.
constexpr size_t kCacheBudgetBytes = size_t(768) << 20;

size_t resultBytes(const AnalysisResult &r)
{
    size_t bytes = sizeof(AnalysisResult) + r.tokens.size() * 8;
    for (const auto &m : r.maps)
        bytes += m.data.size() * sizeof(float);
    for (const auto &l : r.layers)
        bytes += (l.entropy.size() + l.distanceProfile.size()) * sizeof(double);
    if (r.layerInputs)
        bytes += r.layerInputs->bytes();
    return bytes;
}

std::string tokensHash(const std::vector<int64_t> &tokens)
{
    // FNV-1a over the ids; the count goes into the key as well.
    uint64_t h = 1469598103934665603ull;
    for (int64_t t : tokens) {
        h ^= static_cast<uint64_t>(t);
        h *= 1099511628211ull;
    }
    return std::to_string(h) + ":" + std::to_string(tokens.size());
}

// A text of several lines is a file of documents (METHODS.md §2): each line is tokenised on its own and
// the documents follow one another, so that fill concat is what the CLI's --fill concat does.
std::vector<int64_t> encodeDocuments(const Tokenizer &tokenizer, const std::string &text)
{
    const auto docs = splitDocuments(text);
    if (docs.size() <= 1)
        return tokenizer.encode(text, false);
    std::vector<int64_t> ids;
    for (const auto &d : docs) {
        const auto part = tokenizer.encode(d, false);
        ids.insert(ids.end(), part.begin(), part.end());
    }
    return ids;
}

// The input of a model without a tokenizer: token ids separated by spaces, commas or new lines.
bool parseTokenIds(const QString &text, int64_t vocabSize, std::vector<int64_t> *ids, QString *error)
{
    const QStringList parts = text.split(QRegularExpression(QStringLiteral("[\\s,]+")), Qt::SkipEmptyParts);
    for (const QString &p : parts) {
        bool ok = false;
        const qlonglong id = p.toLongLong(&ok);
        if (!ok || id < 0 || (vocabSize > 0 && id >= vocabSize)) {
            if (error)
                *error = QCoreApplication::translate("AnalysisController",
                                                     "the model has no tokenizer: enter token ids 0 … %1 "
                                                     "separated by spaces (\"%2\" is not one)")
                             .arg(vocabSize - 1)
                             .arg(p.left(20));
            return false;
        }
        ids->push_back(id);
    }
    return true;
}

// The method string syntax (a preset or "temperature,qk,position[,visible]") is the engine's.
Method resolveMethod(const QString &method, const MethodDefaults &config, int64_t trainLength)
{
    return Method::fromString(method.toStdString(), config, trainLength);
}

// Mean over layers of a scalar metric of the metrics table (the dilution plot shows the model as a whole);
// NaN where a layer does not define it.
double meanOverLayers(const AnalysisResult &r, const char *metric)
{
    const auto &table = scalarMetrics();
    const auto it = std::find_if(table.begin(), table.end(), [&](const ScalarMetricInfo &m) { return m.name == metric; });
    if (r.layers.empty() || it == table.end())
        return std::numeric_limits<double>::quiet_NaN();
    double sum = 0;
    for (const auto &l : r.layers) {
        const auto v = it->value(l);
        if (!v)
            return std::numeric_limits<double>::quiet_NaN();
        sum += *v;
    }
    return sum / double(r.layers.size());
}

// The three means a sweep point carries, in the order of sweepPoint's arguments.
#define ES_SWEEP_MEANS(r) meanOverLayers(r, "retained_mass_mean"), meanOverLayers(r, "entropy_mean"), \
                          meanOverLayers(r, "local_mass_mean")

/// The GUI thread shares two cores with the worker, LibTorch's OpenMP threads and OpenBLAS's threads.
/// At equal priority a redraw of 12 ms took 30-40 ms while a computation ran; at nice +5 the compute
/// threads yield the core to the GUI thread whenever it has work (and have the CPU to themselves when it
/// has none). Called in the worker before each job: it renices every thread but the GUI thread (OpenBLAS
/// starts its threads at load time; OpenMP's are created by the worker and inherit its nice value).
void deprioritiseComputeThreads()
{
#if defined(__linux__)
    constexpr int kComputeNice = 5;
    const pid_t gui = getpid(); // the main thread runs the event loop
    QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &name : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool ok = false;
        const pid_t tid = pid_t(name.toLongLong(&ok));
        if (!ok || tid == gui)
            continue;
        errno = 0;
        const int nice = getpriority(PRIO_PROCESS, id_t(tid));
        if (errno == 0 && nice < kComputeNice)
            setpriority(PRIO_PROCESS, id_t(tid), kComputeNice); // per thread on Linux; failure is harmless
    }
#endif
}

} // namespace

struct AnalysisController::Engine
{
    std::shared_ptr<const AttentionModel> model;
    ModelInfo info;
    std::shared_ptr<const Tokenizer> tokenizer;
    void set(std::shared_ptr<const AttentionModel> m)
    {
        model = std::move(m);
        info = model->info();
        tokenizer = model->tokenizer();
    }
    QString dir;
    quint64 modelSerial = 0;
    QThreadPool pool;

    struct Entry
    {
        std::shared_ptr<const AnalysisResult> result;
        size_t bytes = 0;
        quint64 used = 0;
    };
    std::map<std::string, Entry> cache;
    std::map<std::string, std::vector<double>> jsCache;
    size_t cacheBytes = 0;
    quint64 tick = 0;
    /// Bumped by every change of cache or jsCache: a plan made before may be stale.
    quint64 epoch = 0;

    std::shared_ptr<const AnalysisResult> find(const std::string &key)
    {
        auto it = cache.find(key);
        if (it == cache.end())
            return nullptr;
        it->second.used = ++tick;
        return it->second.result;
    }
    void insert(const std::string &key, std::shared_ptr<const AnalysisResult> r)
    {
        ++epoch;
        auto &e = cache[key];
        cacheBytes -= e.bytes;
        e.bytes = resultBytes(*r);
        e.result = std::move(r);
        e.used = ++tick;
        cacheBytes += e.bytes;
        while (cacheBytes > kCacheBudgetBytes && cache.size() > 1) {
            auto oldest = cache.begin();
            for (auto i = cache.begin(); i != cache.end(); ++i)
                if (i->second.used < oldest->second.used)
                    oldest = i;
            cacheBytes -= oldest->second.bytes;
            cache.erase(oldest);
        }
    }
};

/// One unit of worker work. Everything the worker reads is copied in at creation.
struct AnalysisController::Job
{
    enum class Kind { Load, View, Background, Rows };
    Kind kind = Kind::View;
    quint64 generation = 0;
    CancelToken cancel;

    QString dir; // Load

    ViewRequest request;
    std::string context; // model|tokens|fill|T
    std::vector<int64_t> tokens;
    int64_t trainLength = 0;
    std::vector<Method> methods;
    QStringList labels;
    bool maps = true; // Background: a precomputed stop (maps) or a sweep point (metrics only)

    using Task = ViewTask; // key = the cache key
    std::vector<Task> tasks;
    std::string jsKey;                                           // empty: no JS wanted
    bool jsNeeded = false;                                       // the JS pair is not cached yet
    std::vector<std::shared_ptr<const AnalysisResult>> known;    // cached results at n, per method
    // Pieces this job computed (GUI thread): the job's result never depends on what the cache evicted.
    std::map<std::string, std::shared_ptr<const AnalysisResult>> held;
    std::vector<double> js; // the JS pair once computed (GUI thread)

    // Rows: exact rows of `source`'s layer inputs under methods[0].
    std::shared_ptr<const AnalysisResult> source;
    int layer = 0;
    int64_t row0 = 0;
    int64_t rows = 0;
    bool region = false; // a zoomed region (columns col0 .. col0+cols-1), not whole rows
    int64_t col0 = 0;
    int64_t cols = 0;
    quint64 rowsId = 0;
};

struct AnalysisController::JobOutput
{
    QString error;
    bool cancelled = false;
    std::shared_ptr<const AttentionModel> model; // Load
    std::vector<std::pair<std::string, std::shared_ptr<const AnalysisResult>>> results;
    std::vector<double> js;
    std::vector<float> rows; // Rows
    double seconds = 0;
};

namespace {

std::string resultKey(const std::string &context, int64_t n, const MethodSpec &spec, bool maps)
{
    return context + "|" + std::to_string(n) + "|" + spec.label() + (maps ? "|view" : "|metrics");
}


} // namespace

AnalysisController::AnalysisController(QObject *parent)
    : QObject(parent)
    , m_engine(std::make_unique<Engine>())
{
    m_engine->pool.setMaxThreadCount(1);
    m_engine->pool.setExpiryTimeout(-1);
}

AnalysisController::~AnalysisController()
{
    m_background.clear();
    m_foreground.reset();
    if (m_running)
        m_running->cancel.cancel();
    m_engine->pool.waitForDone();
}

const std::vector<int64_t> &AnalysisController::lengthStops()
{
    static const std::vector<int64_t> stops = [] {
        std::vector<int64_t> s;
        for (int64_t p = 16; p <= 65536; p *= 2) {
            s.push_back(p);
            if (p < 65536)
                s.push_back(p * 3 / 2);
        }
        return s;
    }();
    return stops;
}

int AnalysisController::nearestStopIndex(int64_t n)
{
    const auto &s = lengthStops();
    const double x = std::log(double(std::max<int64_t>(n, 1)));
    int best = 0;
    for (size_t i = 0; i < s.size(); ++i)
        if (std::fabs(std::log(double(s[i])) - x) < std::fabs(std::log(double(s[size_t(best)])) - x))
            best = int(i);
    return best;
}

bool AnalysisController::hasModel() const { return bool(m_engine->model); }
QString AnalysisController::modelDir() const { return m_engine->dir; }
int AnalysisController::layerCount() const { return m_engine->model ? int(m_engine->info.numLayers) : 0; }
int AnalysisController::headCount() const { return m_engine->model ? int(m_engine->info.numHeads) : 0; }
int AnalysisController::kvHeadCount() const { return m_engine->model ? int(m_engine->info.numKvHeads) : 0; }
bool AnalysisController::isCausal() const { return m_engine->model && m_engine->info.causal; }
QString AnalysisController::modelFamily() const
{
    return m_engine->model ? QString::fromStdString(m_engine->info.family) : QString();
}
bool AnalysisController::hasLayerInputs() const
{
    return m_engine->model && keepsLayerInputs(m_engine->info, 1, m_layerInputsMax); // GAU-α: at every n
}

bool AnalysisController::jsAvailableAt(int64_t n) const
{
    return m_engine->model && jsAvailable(m_engine->info, n, m_layerInputsMax);
}

void AnalysisController::setLayerInputsMaxBytes(int64_t bytes)
{
    if (bytes == m_layerInputsMax)
        return;
    m_layerInputsMax = std::max<int64_t>(bytes, 0);
    clearCache();
}
bool AnalysisController::hasTokenizer() const { return bool(m_engine->tokenizer); }
std::shared_ptr<const AttentionModel> AnalysisController::model() const { return m_engine->model; }
int64_t AnalysisController::modelTrainLength() const { return m_engine->model ? m_engine->info.trainLength : 0; }

QString AnalysisController::modelSummary() const
{
    if (!m_engine->model)
        return tr("no model");
    const ModelInfo &c = m_engine->info;
    QString s = tr("%1 · %2 layers").arg(QFileInfo(m_engine->dir).fileName()).arg(c.numLayers);
    if (c.numHeads > 1)
        s += c.numKvHeads != c.numHeads ? tr(" × %1 heads (%2 kv)").arg(c.numHeads).arg(c.numKvHeads)
                                        : tr(" × %1 heads").arg(c.numHeads);
    s += tr(" · d = %1 · T = %2").arg(c.keySize).arg(c.trainLength);
    if (c.family != "gau_alpha")
        s += tr(" · %1%2").arg(QString::fromStdString(c.family), c.causal ? tr(" (causal)") : QString());
    if (m_engine->tokenizer)
        s += tr(" · %1 %2").arg(QString::fromStdString(m_engine->tokenizer->kind())).arg(m_engine->tokenizer->vocabSize());
    else
        s += tr(" · no tokenizer (token ids)");
    return s;
}

bool AnalysisController::loadModelNow(const QString &dir, QString *error)
{
    try {
        auto model = loadAttentionModel(QDir(dir).absolutePath().toStdString());
        cancel();
        m_engine->set(std::move(model));
        m_engine->dir = QDir(dir).absolutePath();
        ++m_engine->modelSerial;
        clearCache();
        m_tokens.clear();
        m_haveLastRequest = false;
        Q_EMIT modelLoaded(m_engine->dir);
        return true;
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
}

quint64 AnalysisController::loadModel(const QString &dir)
{
    auto job = std::make_shared<Job>();
    job->kind = Job::Kind::Load;
    job->generation = ++m_generation;
    job->dir = QDir(dir).absolutePath();
    // A load replaces everything queued: views of the old model are meaningless now.
    m_background.clear();
    m_rowsJobs.clear();
    m_foreground = job;
    if (m_running)
        m_running->cancel.cancel();
    startNext();
    return job->generation;
}

int AnalysisController::setText(const QString &text, QString *error)
{
    m_tokens.clear();
    if (!m_engine->model) {
        if (error)
            *error = tr("no model loaded");
        return -1;
    }
    if (!m_engine->tokenizer) {
        // A folder without a tokenizer (the Llama fixtures) is driven by ids, as the CLI's --ids is.
        std::vector<int64_t> ids;
        if (!parseTokenIds(text, m_engine->info.vocabSize, &ids, error))
            return -1;
        m_tokens = std::move(ids);
        return int(m_tokens.size());
    }
    try {
        m_tokens = encodeDocuments(*m_engine->tokenizer, text.toStdString());
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return -1;
    }
    return int(m_tokens.size());
}

double AnalysisController::unknownShare() const
{
    if (m_tokens.empty() || !m_engine->tokenizer)
        return 0;
    const int64_t unk = m_engine->tokenizer->unkId();
    return double(std::count(m_tokens.begin(), m_tokens.end(), unk)) / double(m_tokens.size());
}

double AnalysisController::unknownShareOf(const QString &text) const
{
    if (!m_engine->tokenizer)
        return -1;
    try {
        const auto ids = encodeDocuments(*m_engine->tokenizer, text.toStdString());
        if (ids.empty())
            return 0;
        const int64_t unk = m_engine->tokenizer->unkId();
        return double(std::count(ids.begin(), ids.end(), unk)) / double(ids.size());
    } catch (const std::exception &) {
        return -1;
    }
}

QString AnalysisController::methodLabel(const QString &method)
{
    const QStringList parts = method.split(QLatin1Char(','));
    if (parts.size() == 3)
        return parts[0].trimmed() + QStringLiteral(" × ") + parts[1].trimmed() + QStringLiteral(" × ")
               + parts[2].trimmed();
    return method.trimmed();
}

MethodSpec AnalysisController::resolveSpec(const QString &method, int64_t trainLength, QString *error) const
{
    if (!m_engine->model) {
        if (error)
            *error = tr("no model loaded");
        return {};
    }
    try {
        const int64_t T = trainLength > 0 ? trainLength : m_engine->info.trainLength;
        return resolveMethod(method, m_engine->model->methodDefaults(), T).spec();
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return {};
    }
}

QStringList AnalysisController::methodFormulas(const QString &method, int64_t length, int64_t trainLength,
                                               QStringList *untrained) const
{
    QStringList out;
    if (untrained)
        untrained->clear();
    if (!m_engine->model)
        return out;
    try {
        const auto &config = m_engine->model->methodDefaults();
        const int64_t T = trainLength > 0 ? trainLength : m_engine->info.trainLength;
        const Method m = resolveMethod(method, config, T);
        for (const auto &line : entroscope::methodFormulas(m, std::max<int64_t>(length, 1), m_engine->info.keySize, T))
            out << QString::fromStdString(line);
        if (untrained)
            for (const auto &line : untrainedAxes(m, config))
                *untrained << QString::fromStdString(line);
    } catch (const std::exception &) {
        out.clear();
    }
    return out;
}

size_t AnalysisController::cacheBytes() const { return m_engine->cacheBytes; }

bool AnalysisController::isLoadingModel() const
{
    return (m_foreground && m_foreground->kind == Job::Kind::Load) || (m_running && m_running->kind == Job::Kind::Load);
}

void AnalysisController::clearCache()
{
    m_engine->cache.clear();
    m_engine->jsCache.clear();
    m_engine->cacheBytes = 0;
    ++m_engine->epoch;
}

std::shared_ptr<AnalysisController::Job> AnalysisController::makeViewJob(const ViewRequest &req, QString *error) const
{
    auto refuse = [error](const QString &message) {
        *error = message;
        return nullptr;
    };
    // A pending model load goes first; this request then refers to the old model and is dropped.
    if (m_foreground && m_foreground->kind == Job::Kind::Load)
        return refuse(tr("a model is being loaded"));
    if (!m_engine->model)
        return refuse(tr("no model loaded"));
    if (m_tokens.empty())
        return refuse(tr("the text has no tokens"));
    if (req.methods.isEmpty())
        return refuse(tr("no method selected"));
    if (req.length < 1)
        return refuse(tr("the length must be at least 1"));
    auto job = std::make_shared<Job>();
    job->kind = Job::Kind::View;
    job->request = req;
    job->tokens = m_tokens;
    job->trainLength = req.trainLength > 0 ? req.trainLength : m_engine->info.trainLength;
    job->context = contextKey(req);
    try {
        for (const QString &m : req.methods.mid(0, 4)) {
            job->methods.push_back(resolveMethod(m, m_engine->model->methodDefaults(), job->trainLength));
            job->labels << methodLabel(m);
        }
    } catch (const std::exception &e) {
        return refuse(QString::fromStdString(e.what()));
    }
    return job;
}

std::shared_ptr<AnalysisController::Job> AnalysisController::planView(const ViewRequest &req,
                                                                      std::shared_ptr<ViewResult> *done, QString *error)
{
    if (m_planned.job && m_planned.epoch == m_engine->epoch && m_planned.job->request == req
        && m_planned.context == contextKey(req) && !(m_foreground && m_foreground->kind == Job::Kind::Load)) {
        *done = m_planned.done;
        return m_planned.job;
    }
    auto job = makeViewJob(req, error);
    if (!job)
        return nullptr;
    ++m_plans;
    *done = planFromCache(job, -1);
    m_planned = {job, *done, job->context, m_engine->epoch};
    return job;
}

quint64 AnalysisController::request(const ViewRequest &req)
{
    const quint64 generation = ++m_generation;
    auto fail = [this, generation](const QString &message) {
        QMetaObject::invokeMethod(
            this, [this, generation, message] { Q_EMIT errorOccurred(generation, message); }, Qt::QueuedConnection);
        return generation;
    };
    QString error;
    std::shared_ptr<ViewResult> done;
    auto job = planView(req, &done, &error);
    m_planned = {}; // this request takes the plan: a later one plans again
    if (!job)
        return fail(error);
    job->generation = generation;

    m_lastRequest = req;
    m_haveLastRequest = true;
    // Newer request: cancel whatever runs (except a model load) and forget queued work.
    m_background.clear();
    m_rowsJobs.clear();
    if (m_running && m_running->kind != Job::Kind::Load)
        m_running->cancel.cancel();

    if (done) {
        done->generation = generation;
        serve(job, std::move(done));
        m_foreground.reset();
        ++m_cacheHits;
        return generation;
    }
    m_foreground = job;
    startNext();
    return generation;
}

quint64 AnalysisController::requestExactRows(int layer, int64_t row0, int64_t rows, int64_t col0, int64_t cols)
{
    const quint64 id = ++m_rowsSerial;
    auto fail = [this, id](const QString &message) {
        QMetaObject::invokeMethod(this, [this, id, message] { Q_EMIT exactRowsFailed(id, message); }, Qt::QueuedConnection);
        return id;
    };
    if (!m_last || m_last->results.empty() || !m_last->results[0] || !m_engine->model)
        return fail(tr("no result is shown"));
    const auto &source = m_last->results[0];
    if (!source->layerInputs)
        return fail(hasLayerInputs() || source->length <= kFullMapMaxLength
                        ? tr("the shown analysis kept no layer inputs")
                        : tr("the layer inputs of this model at n = %1 would take more than %2, so they are not kept")
                              .arg(source->length)
                              .arg(QString::fromStdString(formatBytes(double(m_layerInputsMax)))));
    auto job = std::make_shared<Job>();
    job->kind = Job::Kind::Rows;
    job->generation = m_generation; // a view request made later makes these rows stale: they are dropped
    job->rowsId = id;
    job->request = m_last->request;
    job->trainLength = m_last->trainLength;
    job->source = source;
    job->layer = layer;
    job->row0 = row0;
    job->rows = rows;
    job->region = cols >= 0;
    job->col0 = job->region ? col0 : 0;
    job->cols = job->region ? cols : source->length;
    if (job->region && (col0 < 0 || cols < 1 || col0 + cols > source->length))
        return fail(tr("key columns %1–%2 are outside 0–%3").arg(col0).arg(col0 + cols - 1).arg(source->length - 1));
    try {
        job->methods.push_back(resolveMethod(m_last->request.methods.value(0), m_engine->model->methodDefaults(), job->trainLength));
    } catch (const std::exception &e) {
        return fail(QString::fromStdString(e.what()));
    }
    // A newer ask replaces an older one of its kind that has not started.
    m_rowsJobs.erase(std::remove_if(m_rowsJobs.begin(), m_rowsJobs.end(),
                                    [&](const std::shared_ptr<Job> &queued) { return queued->region == job->region; }),
                     m_rowsJobs.end());
    m_rowsJobs.push_back(job);
    if (m_running && m_running->kind == Job::Kind::Background)
        m_running->cancel.cancel(); // the rows go first; the background work is queued again afterwards
    startNext();
    return id;
}

bool AnalysisController::isCached(const ViewRequest &req)
{
    QString error;
    std::shared_ptr<ViewResult> done;
    return planView(req, &done, &error) && done;
}

void AnalysisController::cancel()
{
    m_background.clear();
    m_rowsJobs.clear();
    if (m_foreground) {
        const quint64 g = m_foreground->generation;
        m_foreground.reset();
        QMetaObject::invokeMethod(this, [this, g] { Q_EMIT cancelled(g); }, Qt::QueuedConnection);
    }
    if (m_running) {
        m_running->cancel.cancel();
        if (m_running->kind == Job::Kind::View && m_running->generation == m_generation) {
            const quint64 g = m_running->generation;
            ++m_generation; // its result, if it still arrives, is stale
            QMetaObject::invokeMethod(this, [this, g] { Q_EMIT cancelled(g); }, Qt::QueuedConnection);
        }
    }
}

// Fills job->tasks with what is missing; returns true (and emits the result) when nothing is.
bool AnalysisController::tryServeFromCache(const std::shared_ptr<Job> &job, double seconds)
{
    auto result = planFromCache(job, seconds);
    if (!result)
        return false;
    serve(job, std::move(result));
    return true;
}

void AnalysisController::serve(const std::shared_ptr<Job> &job, std::shared_ptr<const ViewResult> done)
{
    const quint64 g = job->generation;
    QMetaObject::invokeMethod(
        this,
        [this, g, done] {
            if (g != m_generation)
                return; // a newer request arrived meanwhile
            m_last = done;
            Q_EMIT resultReady(g);
            queueBackground();
            startNext();
            updateBusy();
        },
        Qt::QueuedConnection);
}

struct AnalysisController::Missing
{
    std::vector<Job::Task> tasks;
    std::string jsKey;
    bool jsNeeded = false;
};

std::shared_ptr<ViewResult> AnalysisController::partialResult(const Job &jobRef, double seconds, Missing *missing) const
{
    Engine &e = *m_engine;
    const Job *job = &jobRef;
    const int64_t n = job->request.length;
    const int64_t T = job->trainLength;
    Missing scratch;
    Missing &miss = missing ? *missing : scratch;
    auto lookup = [&](const std::string &key) -> std::shared_ptr<const AnalysisResult> {
        auto it = job->held.find(key);
        return it != job->held.end() ? it->second : e.find(key);
    };
    auto result = std::make_shared<ViewResult>();
    result->generation = job->generation;
    result->request = job->request;
    result->trainLength = T;
    result->labels = job->labels;
    result->fromCache = seconds < 0;
    result->seconds = std::max(0.0, seconds);
    for (size_t i = 0; i < job->methods.size(); ++i) {
        const MethodSpec spec = job->methods[i].spec();
        const std::string key = resultKey(job->context, n, spec, true);
        auto r = lookup(key);
        if (!r) {
            miss.tasks.push_back({key, i, n, true});
            result->pending << job->labels.value(int(i));
        }
        result->results.push_back(r);
        // The reference at T: any cached result at T will do (metrics are the same).
        auto rt = lookup(resultKey(job->context, T, spec, true));
        if (!rt)
            rt = lookup(resultKey(job->context, T, spec, false));
        if (!rt && T == n)
            rt = r;
        if (!rt && T != n)
            miss.tasks.push_back({resultKey(job->context, T, spec, false), i, T, false});
        std::vector<double> et;
        if (rt)
            for (const auto &l : rt->layers) // layer-major, heads inner (one entry per layer for GAU-α)
                et.push_back(l.entropyMean);
        result->entropyAtT.push_back(et);
    }
    // The JS divergence: from both analyses' layer inputs where they keep them, else (other families up to
    // kFullMapMaxLength) from the full maps of every (layer, head).
    if (job->methods.size() >= 2 && jsAvailable(e.info, n, m_layerInputsMax)) {
        miss.jsKey = job->context + "|" + std::to_string(n) + "|" + job->methods[0].spec().label() + "|"
                     + job->methods[1].spec().label() + "|js";
        auto it = e.jsCache.find(miss.jsKey);
        if (!job->js.empty()) {
            result->jsPerLayer = job->js;
        } else if (it != e.jsCache.end()) {
            result->jsPerLayer = it->second;
        } else {
            miss.jsNeeded = true;
            result->pending << tr("JS divergence");
        }
    }
    result->complete = result->pending.isEmpty() && miss.tasks.empty();
    if (!result->results.empty() && !result->results[0])
        return nullptr;
    return result;
}

std::shared_ptr<ViewResult> AnalysisController::planFromCache(const std::shared_ptr<Job> &job, double seconds)
{
    Missing missing;
    auto result = partialResult(*job, seconds, &missing);
    job->tasks = std::move(missing.tasks);
    job->jsKey = missing.jsKey;
    job->jsNeeded = missing.jsNeeded;
    job->known.clear();
    for (size_t i = 0; i < job->methods.size(); ++i) {
        const std::string key = resultKey(job->context, job->request.length, job->methods[i].spec(), true);
        auto it = job->held.find(key);
        job->known.push_back(it != job->held.end() ? it->second : m_engine->find(key));
    }
    if (!result || !result->complete)
        return nullptr;
    return result;
}

void AnalysisController::takePiece(const std::shared_ptr<Job> &job, const std::string &key,
                                   const std::shared_ptr<const AnalysisResult> &result, double seconds)
{
    m_engine->insert(key, result);
    job->held[key] = result;
    if (job->kind != Job::Kind::View || job->generation != m_generation || seconds < m_progressiveAfter)
        return;
    auto res = partialResult(*job, seconds); // reads the job only: the worker is still running it
    if (!res || res->complete)
        return; // the whole result comes with finishJob
    m_last = res;
    Q_EMIT resultUpdated(job->generation);
}

void AnalysisController::setBusy(bool busy)
{
    if (busy == m_busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

void AnalysisController::startNext()
{
    if (m_running)
        return;
    std::shared_ptr<Job> job;
    if (m_foreground) {
        job = std::move(m_foreground);
        m_foreground.reset();
    } else if (!m_rowsJobs.empty()) {
        job = std::move(m_rowsJobs.front());
        m_rowsJobs.pop_front();
    } else {
        while (!m_background.empty() && !job) {
            job = m_background.front();
            m_background.erase(m_background.begin());
            if (job->maps) {
                // A precomputed stop: every method at n (maps) plus the JS pair, like a view.
                if (auto done = planFromCache(job, -1)) {
                    for (size_t i = 0; i < done->results.size(); ++i)
                        Q_EMIT sweepPoint(done->labels.value(int(i)), job->request.length,
                                          ES_SWEEP_MEANS(*done->results[i]));
                    job.reset();
                }
                continue;
            }
            // A sweep point: metrics only, skipped when they became cached since it was queued.
            const MethodSpec spec = job->methods[0].spec();
            auto r = m_engine->find(resultKey(job->context, job->request.length, spec, true));
            if (!r)
                r = m_engine->find(resultKey(job->context, job->request.length, spec, false));
            if (r) {
                Q_EMIT sweepPoint(job->labels[0], job->request.length, ES_SWEEP_MEANS(*r));
                job.reset();
            } else {
                job->tasks = {{resultKey(job->context, job->request.length, spec, false), 0, job->request.length,
                               false}};
            }
        }
        if (!job) {
            setBusy(false);
            return;
        }
    }
    m_running = job;
    ++m_workerJobs;
    if (job->kind != Job::Kind::Background)
        setBusy(true);

    std::shared_ptr<const AttentionModel> model = m_engine->model;
    const bool reportProgress = job->kind != Job::Kind::Background;
    const int64_t layerInputsMax = m_layerInputsMax;
    m_engine->pool.start([this, job, model, reportProgress, layerInputsMax] {
        deprioritiseComputeThreads();
        auto out = std::make_shared<JobOutput>();
        QElapsedTimer timer;
        timer.start();
        auto lastReport = std::chrono::steady_clock::now() - std::chrono::seconds(1);
        ProgressFn progress = [&](double f, const std::string &label) {
            if (!reportProgress)
                return;
            const auto now = std::chrono::steady_clock::now();
            if (now - lastReport < std::chrono::milliseconds(50) && f < 1.0)
                return;
            lastReport = now;
            const QString text = QString::fromStdString(label);
            QMetaObject::invokeMethod(this, [this, f, text] { Q_EMIT progressChanged(f, text); }, Qt::QueuedConnection);
        };
        try {
            if (job->kind == Job::Kind::Load) {
                out->model = loadAttentionModel(job->dir.toStdString());
            } else if (job->kind == Job::Kind::Rows) {
                // Says what runs now (the bar would otherwise keep the last analysis's text at 0 %).
                progress(0.0, (job->region ? "exact weights of a region, layer " : "exact row, layer ")
                                  + std::to_string(job->layer));
                out->rows = exactRowWindow(*model, *job->source->layerInputs, job->layer, job->methods[0],
                                           job->trainLength, job->row0, job->rows, job->col0, job->cols,
                                           model->info().numHeads, &job->cancel);
            } else {
                ViewTasks in;
                in.tokens = job->tokens;
                in.fill = job->request.fill.toStdString();
                in.methods = job->methods;
                in.trainLength = job->trainLength;
                in.length = job->request.length;
                in.tasks = job->tasks;
                for (size_t i = 0; i < 2 && i < job->known.size(); ++i)
                    in.known[i] = job->known[i];
                in.jsNeeded = job->jsNeeded;
                in.layerInputsMaxBytes = layerInputsMax;
                // Each piece is shown as soon as it exists (progressive results).
                auto piece = [&](const ViewTask &task, std::shared_ptr<const AnalysisResult> r) {
                    out->results.emplace_back(task.key, r);
                    const double seconds = timer.nsecsElapsed() * 1e-9;
                    QMetaObject::invokeMethod(
                        this, [this, job, key = task.key, r, seconds] { takePiece(job, key, r, seconds); },
                        Qt::QueuedConnection);
                };
                out->js = runViewTasks(*model, in, progress, piece, &job->cancel);
            }
        } catch (const Cancelled &) {
            out->cancelled = true;
        } catch (const std::exception &e) {
            out->error = QString::fromStdString(e.what());
        } catch (...) {
            out->error = QStringLiteral("unknown error");
        }
        out->seconds = timer.nsecsElapsed() * 1e-9;
        QMetaObject::invokeMethod(this, [this, job, out] { finishJob(job, out); }, Qt::QueuedConnection);
    });
}

void AnalysisController::finishJob(const std::shared_ptr<Job> &job, const std::shared_ptr<JobOutput> &out)
{
    m_running.reset();
    Engine &e = *m_engine;

    if (job->kind == Job::Kind::Load) {
        if (out->model) {
            e.set(out->model);
            e.dir = job->dir;
            ++e.modelSerial;
            clearCache();
            m_tokens.clear();
            m_haveLastRequest = false;
            Q_EMIT modelLoaded(job->dir);
        } else if (!out->cancelled) {
            Q_EMIT modelLoadFailed(job->dir, out->error);
        }
        if (m_foreground && m_foreground->kind == Job::Kind::View && out->model)
            m_foreground.reset(); // asked for with the old model's tokens
        startNext();
        updateBusy();
        return;
    }

    if (job->kind == Job::Kind::Rows) {
        const quint64 id = job->rowsId;
        if (job->generation == m_generation) { // the result they belong to is still the shown one
            if (!out->error.isEmpty()) {
                Q_EMIT exactRowsFailed(id, out->error);
            } else if (!out->cancelled) {
                auto rows = std::make_shared<ExactRows>();
                rows->id = id;
                rows->source = job->source;
                rows->layer = job->layer;
                rows->row0 = job->row0;
                rows->rows = job->rows;
                rows->length = job->source->length;
                rows->col0 = job->col0;
                rows->cols = job->cols;
                rows->heads = int(m_engine->info.numHeads);
                rows->data = std::move(out->rows);
                rows->seconds = out->seconds;
                m_exactRows = rows;
                Q_EMIT exactRowsReady(id);
            }
        }
        queueBackground(); // what the rows interrupted (skipping what is cached)
        startNext();
        updateBusy();
        return;
    }

    // Complete results are valid whatever their generation: keep them.
    for (const auto &[key, r] : out->results)
        e.insert(key, r);
    if (!out->js.empty() && !job->jsKey.empty()) {
        e.jsCache[job->jsKey] = out->js;
        ++e.epoch;
        job->js = out->js;
    }
    for (const auto &[key, r] : out->results)
        job->held[key] = r;

    if (job->kind == Job::Kind::Background) {
        if (job->context == m_sweepContextKey)
            for (size_t i = 0; i < out->results.size(); ++i) {
                const auto &task = job->tasks[i];
                const auto &r = *out->results[i].second;
                Q_EMIT sweepPoint(job->labels.value(int(task.method)), task.length, ES_SWEEP_MEANS(r));
            }
        startNext();
        if (!m_running && m_background.empty() && !m_foreground)
            Q_EMIT backgroundFinished();
        return;
    }

    const bool stale = job->generation != m_generation;
    if (!stale) {
        if (out->cancelled) {
            Q_EMIT cancelled(job->generation);
        } else if (!out->error.isEmpty()) {
            Q_EMIT errorOccurred(job->generation, out->error);
        } else {
            // Everything is cached now; assemble the view result from the cache.
            if (!tryServeFromCache(job, out->seconds))
                Q_EMIT errorOccurred(job->generation, tr("internal: result not in the cache"));
        }
    }
    startNext();
    updateBusy();
}

void AnalysisController::updateBusy()
{
    setBusy((m_running && m_running->kind != Job::Kind::Background) || m_foreground || !m_rowsJobs.empty());
}

std::string AnalysisController::contextKey(const ViewRequest &req) const
{
    const int64_t T = req.trainLength > 0 ? req.trainLength : m_engine->info.trainLength;
    return std::to_string(m_engine->modelSerial) + "|" + tokensHash(m_tokens) + "|" + req.fill.toStdString() + "|"
           + std::to_string(T);
}

void AnalysisController::queueBackground()
{
    if (!m_haveLastRequest || !m_engine->model || m_tokens.empty())
        return;
    m_background.clear();
    const ViewRequest &req = m_lastRequest;
    const int64_t T = req.trainLength > 0 ? req.trainLength : m_engine->info.trainLength;
    const std::string context = contextKey(req);
    const QStringList methods = req.methods.mid(0, 4);
    const std::string sweepKey = context + "|" + methods.join(QLatin1Char(';')).toStdString();
    const bool reset = sweepKey != m_sweepKey;
    m_sweepKey = sweepKey;
    m_sweepContextKey = context;
    if (reset)
        Q_EMIT sweepReset();

    std::vector<int64_t> stops;
    for (int64_t s : lengthStops())
        if (s <= std::max(m_precomputeMax, m_sweepMax))
            stops.push_back(s);
    if (std::find(stops.begin(), stops.end(), req.length) == stops.end())
        stops.push_back(req.length);
    if (req.fill == QLatin1String("truncate"))
        stops.erase(std::remove_if(stops.begin(), stops.end(),
                                   [this](int64_t s) { return s > int64_t(m_tokens.size()); }),
                    stops.end());
    // Precomputed stops nearest to the current length first, then the rest of the sweep upwards.
    const double here = std::log(double(req.length));
    std::vector<int64_t> near, far;
    for (int64_t s : stops)
        (s <= m_precomputeMax || s == req.length ? near : far).push_back(s);
    std::stable_sort(near.begin(), near.end(), [here](int64_t a, int64_t b) {
        return std::fabs(std::log(double(a)) - here) < std::fabs(std::log(double(b)) - here);
    });
    std::sort(far.begin(), far.end());
    std::vector<Method> resolved;
    QStringList labels;
    for (const QString &m : methods) {
        try {
            resolved.push_back(resolveMethod(m, m_engine->model->methodDefaults(), T));
            labels << methodLabel(m);
        } catch (const std::exception &) {
        }
    }
    auto makeJob = [&](int64_t n, bool maps) {
        auto job = std::make_shared<Job>();
        job->kind = Job::Kind::Background;
        job->generation = m_generation;
        job->request = req;
        job->request.length = n;
        job->tokens = m_tokens;
        job->trainLength = T;
        job->context = context;
        job->maps = maps;
        return job;
    };
    auto add = [&](int64_t n, bool maps) {
        if (maps) {
            auto job = makeJob(n, true);
            job->methods = resolved;
            job->labels = labels;
            if (auto done = planFromCache(job, -1)) {
                for (size_t i = 0; i < done->results.size(); ++i)
                    Q_EMIT sweepPoint(labels.value(int(i)), n, ES_SWEEP_MEANS(*done->results[i]));
            } else if (m_backgroundEnabled) {
                // Emit what is known now; the rest comes when the job has run.
                for (size_t i = 0; i < job->known.size(); ++i)
                    if (job->known[i])
                        Q_EMIT sweepPoint(labels.value(int(i)), n, ES_SWEEP_MEANS(*job->known[i]));
                m_background.push_back(job);
            }
            return;
        }
        for (size_t i = 0; i < resolved.size(); ++i) {
            const MethodSpec spec = resolved[i].spec();
            auto r = m_engine->find(resultKey(context, n, spec, true));
            if (!r)
                r = m_engine->find(resultKey(context, n, spec, false));
            if (r) {
                Q_EMIT sweepPoint(labels.value(int(i)), n, ES_SWEEP_MEANS(*r));
                continue;
            }
            if (!m_backgroundEnabled)
                continue;
            auto job = makeJob(n, false);
            job->methods = {resolved[i]};
            job->labels = {labels.value(int(i))};
            m_background.push_back(job);
        }
    };
    for (int64_t s : near)
        add(s, true);
    for (int64_t s : far)
        add(s, false);
    if (m_background.empty() && !m_running)
        Q_EMIT backgroundFinished();
}

} // namespace entroscope
