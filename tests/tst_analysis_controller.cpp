// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// AnalysisController: stale results dropped, cancel, cache hits without the worker, errors as signals,
// a failed model load keeps the current model, the background sweep reports points.

#include "analysis_controller.h"
#include "io/checkpoint.h"
#include "model/gau_model.h"
#include "model/method.h"

#include <QDir>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <map>

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

using namespace entroscope;

namespace {
const QString kNeko = QStringLiteral(ENTROSCOPE_TEST_DATA "/models/tiny-neko");
const QString kJunnyu = QStringLiteral(ENTROSCOPE_TEST_DATA "/models/tiny-junnyu");
const QString kText = QStringLiteral("今天天气很好，我要去公园玩。公园里有很多人，有的在跑步，有的在唱歌。");

ViewRequest makeRequest(int64_t n, QStringList methods = {QStringLiteral("native")})
{
    ViewRequest r;
    r.length = n;
    r.methods = methods;
    return r;
}
} // namespace

class TestAnalysisController : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void resultHasWhatTheViewsNeed_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<qint64>("length");
        QTest::addColumn<QStringList>("methods");
        QTest::addColumn<int>("expectedPool");
        QTest::newRow("neko n=32 one method") << kNeko << qint64(32) << QStringList{"native"} << 1;
        QTest::newRow("neko n=48 two methods") << kNeko << qint64(48) << QStringList{"native", "infoscale"} << 1;
        QTest::newRow("junnyu n=64 custom") << kJunnyu << qint64(64)
                                            << QStringList{"infoscale,cosscale:8,rerope:8", "extrapolate"} << 1;
        QTest::newRow("neko n=2048 pooled") << kNeko << qint64(2048) << QStringList{"native", "log-n"} << 2;
    }
    void resultHasWhatTheViewsNeed()
    {
        QFETCH(QString, model);
        QFETCH(qint64, length);
        QFETCH(QStringList, methods);
        QFETCH(int, expectedPool);
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(model));
        QVERIFY(c.setText(kText) > 10);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        const quint64 g = c.request(makeRequest(length, methods));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
        QCOMPARE(ready.at(0).at(0).toULongLong(), g);
        const auto r = c.lastResult();
        QVERIFY(r);
        QCOMPARE(int(r->results.size()), int(methods.size()));
        QCOMPARE(r->results[0]->length, length);
        QCOMPARE(int(r->results[0]->layers.size()), c.layerCount());
        bool found = false;
        for (const auto &m : r->results[0]->maps)
            if (m.layer == 0 && m.pool == expectedPool && (expectedPool == 1 || m.pooling == AttentionMap::Pooling::Max))
                found = true;
        QVERIFY(found);
        QCOMPARE(int(r->entropyAtT.size()), int(methods.size()));
        QCOMPARE(int(r->entropyAtT[0].size()), c.layerCount());
        if (methods.size() >= 2) {
            QCOMPARE(int(r->jsPerLayer.size()), c.layerCount());
            for (double js : r->jsPerLayer)
                QVERIFY(js >= 0 && js <= std::log(2.0) + 1e-6);
        }
    }

    // The primary method's result is shown before the compared ones exist (resultUpdated, complete =
    // false, the pending methods named), the rest follows piece by piece, and the JS divergence of the
    // whole result equals the one of the full maps (computed here in double, from the rows the views get).
    void resultsArriveProgressively()
    {
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        struct Seen
        {
            int results = 0;
            QStringList pending;
            bool complete = true;
        };
        std::vector<Seen> updates;
        connect(&c, &AnalysisController::resultUpdated, this, [&](quint64) {
            const auto r = c.lastResult();
            Seen s;
            s.complete = r->complete;
            s.pending = r->pending;
            for (const auto &x : r->results)
                s.results += x ? 1 : 0;
            QVERIFY(r->results[0]); // never a result without the primary
            QCOMPARE(ready.count(), 0); // every update comes before the whole result
            updates.push_back(s);
        });
        c.setProgressiveAfter(0); // tiny-neko is fast: show every piece
        const QStringList methods{"native", "infoscale", "log-n"};
        c.request(makeRequest(512, methods));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
        QVERIFY(updates.size() >= 2);
        QCOMPARE(updates.front().results, 1);
        QVERIFY(!updates.front().complete);
        QVERIFY2(updates.front().pending.contains("infoscale") && updates.front().pending.contains("log-n")
                     && updates.front().pending.contains("JS divergence"),
                 qPrintable(updates.front().pending.join(", ")));
        for (size_t i = 1; i < updates.size(); ++i)
            QVERIFY(updates[i].results >= updates[i - 1].results);
        const auto r = c.lastResult();
        QVERIFY(r->complete && r->pending.isEmpty());
        QCOMPARE(int(r->jsPerLayer.size()), c.layerCount());
        for (int l = 0; l < c.layerCount(); ++l) {
            const AttentionMap *a = nullptr, *b = nullptr;
            for (const auto &m : r->results[0]->maps)
                if (m.layer == l && m.pool == 1)
                    a = &m;
            for (const auto &m : r->results[1]->maps)
                if (m.layer == l && m.pool == 1)
                    b = &m;
            QVERIFY(a && b);
            double sum = 0;
            for (int i = 0; i < a->rows; ++i) {
                double sa = 0, sb = 0;
                for (int j = 0; j < a->cols; ++j) {
                    sa += a->at(i, j);
                    sb += b->at(i, j);
                }
                double js = 0;
                for (int j = 0; j < a->cols; ++j) {
                    const double x = a->at(i, j) / sa, y = b->at(i, j) / sb, m = 0.5 * (x + y);
                    if (x > 0)
                        js += 0.5 * x * std::log(x / m);
                    if (y > 0)
                        js += 0.5 * y * std::log(y / m);
                }
                sum += js;
            }
            const double want = sum / a->rows;
            QVERIFY2(std::fabs(r->jsPerLayer[size_t(l)] - want) < 1e-6 + 1e-4 * want,
                     qPrintable(QString("layer %1: %2 vs %3").arg(l).arg(r->jsPerLayer[size_t(l)]).arg(want)));
        }
    }

    // The JS pair's divergence is accumulated inside the second method's analysis; when that result is
    // already cached, a separate pass over both kept layer inputs gives it instead. Both paths, pooled
    // (n = 2048), agree with each other and with the engine's jsDivergence on the same inputs.
    void jsDivergenceInThePassAndFromACachedResult()
    {
        const QStringList pairMethods{"native", "infoscale"};
        const int64_t n = 2048;
        std::vector<double> inPass, separate;
        {
            AnalysisController c;
            c.setBackgroundEnabled(false);
            QVERIFY(c.loadModelNow(kNeko));
            QVERIFY(c.setText(kText) > 0);
            QSignalSpy ready(&c, &AnalysisController::resultReady);
            c.request(makeRequest(n, pairMethods));
            QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
            inPass = c.lastResult()->jsPerLayer;
            const auto r = c.lastResult();
            QVERIFY(r->results[0]->layerInputs && r->results[1]->layerInputs);
            const auto model = std::dynamic_pointer_cast<const GauModel>(c.model());
            QVERIFY(model);
            const int64_t T = c.modelTrainLength();
            const auto want = model->jsDivergence(
                *r->results[0]->layerInputs, Method::preset("native", model->methodDefaults(), T),
                *r->results[1]->layerInputs, Method::preset("infoscale", model->methodDefaults(), T), T);
            QCOMPARE(inPass.size(), want.size());
            for (size_t l = 0; l < want.size(); ++l)
                QVERIFY2(std::fabs(inPass[l] - want[l]) < 1e-7 + 1e-5 * want[l],
                         qPrintable(QString("layer %1: %2 vs %3").arg(l).arg(inPass[l]).arg(want[l])));
        }
        {
            AnalysisController c;
            c.setBackgroundEnabled(false);
            QVERIFY(c.loadModelNow(kNeko));
            QVERIFY(c.setText(kText) > 0);
            QSignalSpy ready(&c, &AnalysisController::resultReady);
            c.request(makeRequest(n, {"infoscale"})); // the pair's second method first: cached below
            QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
            c.request(makeRequest(n, pairMethods));
            QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 2, 60000);
            separate = c.lastResult()->jsPerLayer;
        }
        QCOMPARE(separate.size(), inPass.size());
        QVERIFY(*std::max_element(inPass.begin(), inPass.end()) > 1e-4); // n > T: the methods differ
        for (size_t l = 0; l < inPass.size(); ++l)
            QVERIFY2(std::fabs(separate[l] - inPass[l]) < 1e-7 + 1e-5 * inPass[l],
                     qPrintable(QString("layer %1: %2 vs %3").arg(l).arg(separate[l]).arg(inPass[l])));
    }

    // Above n = 1024 the maps are pooled; the exact row of a query comes from the analysis's kept layer
    // inputs and equals the full map's row of an independent analysis of the same input.
    void exactRowOfAPooledResult()
    {
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        QSignalSpy rowsReady(&c, &AnalysisController::exactRowsReady);
        const int64_t n = 2048;
        c.request(makeRequest(n, {"infoscale"}));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
        const auto shown = c.lastResult();
        QVERIFY(shown->results[0]->layerInputs);
        const quint64 id = c.requestExactRows(1, 1500, 1);
        QTRY_COMPARE_WITH_TIMEOUT(rowsReady.count(), 1, 30000);
        QCOMPARE(rowsReady.at(0).at(0).toULongLong(), id);
        const auto rows = c.lastExactRows();
        QVERIFY(rows && rows->source == shown->results[0]);
        QCOMPARE(rows->length, n);
        QCOMPARE(rows->data.size(), size_t(n));

        auto ck = Checkpoint::load(kNeko.toStdString());
        const GauModel model(ck);
        AnalysisRequest req;
        req.method = Method::fromString("infoscale", ck->config.methodDefaults(), ck->config.trainLength());
        req.trainLength = ck->config.trainLength();
        req.mlmTop1 = false;
        req.fullMapLayers = {1};
        const auto full = model.analyze(shown->results[0]->tokens, req);
        double worst = 0, sum = 0;
        for (int64_t j = 0; j < n; ++j) {
            worst = std::max(worst, std::fabs(double(rows->data[size_t(j)]) - full.maps[0].at(1500, int(j))));
            sum += rows->data[size_t(j)];
        }
        QVERIFY2(worst < 1e-6, qPrintable(QString::number(worst)));
        QVERIFY(std::fabs(sum - 1) < 1e-4);

        // Rows asked for a result that a newer request replaced are dropped, never delivered.
        c.requestExactRows(0, 10, 1);
        c.request(makeRequest(64, {"infoscale"}));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 2, 30000);
        QTest::qWait(200);
        QCOMPARE(rowsReady.count(), 1);
    }

    // A zoomed region (rows × key columns) is the same crop of the full map as an independent analysis
    // gives; a whole-row ask queued meanwhile is served too (a region replaces only an older region).
    void exactRegionOfAPooledResult()
    {
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        QSignalSpy rowsReady(&c, &AnalysisController::exactRowsReady);
        QSignalSpy rowsFailed(&c, &AnalysisController::exactRowsFailed);
        const int64_t n = 1280;
        c.request(makeRequest(n, {"logn"}));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
        const auto shown = c.lastResult();
        std::map<quint64, std::shared_ptr<const ExactRows>> got;
        connect(&c, &AnalysisController::exactRowsReady, this, [&](quint64 id) { got[id] = c.lastExactRows(); });
        // The first ask starts at once; of the two regions queued behind it only the newer is computed.
        const quint64 first = c.requestExactRows(2, 3, 1);
        const quint64 stale = c.requestExactRows(2, 0, 40, 0, 40);
        const quint64 region = c.requestExactRows(2, 1100, 90, 1050, 120);
        const quint64 row = c.requestExactRows(2, 5, 1);
        QTRY_COMPARE_WITH_TIMEOUT(rowsReady.count(), 3, 30000);
        QTest::qWait(100);
        QCOMPARE(rowsReady.count(), 3);
        QVERIFY(got.count(first) && !got.count(stale));
        QVERIFY(got.count(region) && got.count(row));
        const auto &r = *got[region];
        QCOMPARE(r.row0, int64_t(1100));
        QCOMPARE(r.rows, int64_t(90));
        QCOMPARE(r.col0, int64_t(1050));
        QCOMPARE(r.cols, int64_t(120));
        QCOMPARE(r.data.size(), size_t(90 * 120));
        QCOMPARE(got[row]->cols, n);

        auto ck = Checkpoint::load(kNeko.toStdString());
        const GauModel model(ck);
        AnalysisRequest req;
        req.method = Method::fromString("logn", ck->config.methodDefaults(), ck->config.trainLength());
        req.trainLength = ck->config.trainLength();
        req.mlmTop1 = false;
        req.fullMapLayers = {2};
        const auto full = model.analyze(shown->results[0]->tokens, req);
        double worst = 0;
        for (int64_t i = 0; i < r.rows; ++i)
            for (int64_t j = 0; j < r.cols; ++j)
                worst = std::max(worst, std::fabs(double(r.data[size_t(i * r.cols + j)])
                                                  - full.maps[0].at(int(r.row0 + i), int(r.col0 + j))));
        QVERIFY2(worst < 1e-6, qPrintable(QString::number(worst)));

        // A window outside the map is refused with a message, not computed.
        c.requestExactRows(2, 0, 10, n - 5, 10);
        QTRY_COMPARE_WITH_TIMEOUT(rowsFailed.count(), 1, 5000);
        QVERIFY(rowsFailed.at(0).at(1).toString().contains(QStringLiteral("outside")));
    }

    // A request that finishes within setProgressiveAfter (0.25 s by default) is shown once, whole.
    void quickRequestsAreShownOnce()
    {
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        QSignalSpy updated(&c, &AnalysisController::resultUpdated);
        c.request(makeRequest(32, {"native", "infoscale"}));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
        QCOMPARE(updated.count(), 0);
        QVERIFY(c.lastResult()->complete);
    }

    void computeThreadsYieldToTheGuiThread()
    {
#if defined(__linux__)
        errno = 0;
        const int guiNice = getpriority(PRIO_PROCESS, id_t(getpid()));
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        c.request(makeRequest(128, {"native", "infoscale"}));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 20000);
        // The worker, OpenMP's and OpenBLAS's threads run below the GUI thread's priority; the GUI
        // thread keeps its own.
        QCOMPARE(getpriority(PRIO_PROCESS, id_t(getpid())), guiNice);
        int others = 0;
        for (const QString &name : QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            const pid_t tid = pid_t(name.toLongLong());
            if (tid == getpid())
                continue;
            errno = 0;
            const int nice = getpriority(PRIO_PROCESS, id_t(tid));
            if (errno != 0)
                continue; // the thread ended meanwhile
            ++others;
            QVERIFY2(nice >= std::max(5, guiNice), qPrintable(QStringLiteral("thread %1 at nice %2").arg(tid).arg(nice)));
        }
        QVERIFY(others >= 1); // at least the worker
#else
        QSKIP("thread priorities are set on Linux only");
#endif
    }

    void cacheHitServedWithoutWorker()
    {
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        c.request(makeRequest(64, {"native", "infoscale"}));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 20000);
        QVERIFY(!c.lastResult()->fromCache);
        const int jobs = c.workerJobCount();
        QCOMPARE(c.cacheHitCount(), 0);
        const quint64 g2 = c.request(makeRequest(64, {"native", "infoscale"}));
        QVERIFY(!c.isBusy()); // nothing went to the worker
        QTRY_COMPARE(ready.count(), 2);
        QCOMPARE(ready.at(1).at(0).toULongLong(), g2);
        QCOMPARE(c.workerJobCount(), jobs);
        QCOMPARE(c.cacheHitCount(), 1);
        QVERIFY(c.lastResult()->fromCache);
        // A different length is not a hit.
        c.request(makeRequest(96, {"native", "infoscale"}));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 3, 20000);
        QCOMPARE(c.workerJobCount(), jobs + 1);
        QCOMPARE(c.cacheHitCount(), 1);
    }

    void oneRequestIsPlannedOnce()
    {
        // The window asks isCached (to skip the debounce) and then request with the same values: one plan.
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        const ViewRequest r64 = makeRequest(64, {"native", "infoscale"});
        QVERIFY(!c.isCached(r64));
        QCOMPARE(c.planCount(), 1);
        c.request(r64);
        QCOMPARE(c.planCount(), 1); // the uncached plan's tasks were reused
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 20000);
        QVERIFY(!c.lastResult()->fromCache);
        QCOMPARE(c.lastResult()->results.size(), size_t(2));
        QVERIFY(c.isCached(r64));
        c.request(r64);
        QCOMPARE(c.planCount(), 2);
        QTRY_COMPARE(ready.count(), 2);
        QVERIFY(c.lastResult()->fromCache);
        QCOMPARE(c.lastResult()->generation, c.lastGeneration()); // the reused plan's result is this request's
        // A plan is used once: the next request plans again.
        c.request(r64);
        QCOMPARE(c.planCount(), 3);
        QTRY_COMPARE(ready.count(), 3);
        // A plan made before the cache changed is not reused: r96 was uncached when planned, computed since.
        const ViewRequest r96 = makeRequest(96, {"native"});
        QVERIFY(!c.isCached(r96));
        c.request(makeRequest(96, {"native"}));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 4, 20000);
        const int plans = c.planCount();
        QVERIFY(!c.isCached(makeRequest(128, {"native"})));
        c.request(r96); // another request than the planned one
        QCOMPARE(c.planCount(), plans + 2);
        QTRY_COMPARE(ready.count(), 5);
        QVERIFY(c.lastResult()->fromCache);
        // … nor one made before the cache was emptied.
        QVERIFY(c.isCached(r96));
        c.clearCache();
        c.request(r96);
        QCOMPARE(c.planCount(), plans + 4);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 6, 20000);
        QVERIFY(!c.lastResult()->fromCache);
        // … nor one made for another text.
        QVERIFY(c.isCached(r96));
        QVERIFY(c.setText(kText + kText) > 0);
        const int before = c.planCount();
        c.request(r96);
        QCOMPARE(c.planCount(), before + 1);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 7, 20000);
        QVERIFY(!c.lastResult()->fromCache);
    }

    void staleResultsDropped()
    {
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        QSignalSpy errors(&c, &AnalysisController::errorOccurred);
        const quint64 g1 = c.request(makeRequest(4096));
        const quint64 g2 = c.request(makeRequest(512));
        const quint64 g3 = c.request(makeRequest(32));
        QVERIFY(g1 < g2 && g2 < g3);
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 30000);
        QTest::qWait(300); // nothing older may arrive afterwards
        QCOMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(0).toULongLong(), g3);
        QCOMPARE(c.lastResult()->request.length, qint64(32));
        QCOMPARE(errors.count(), 0);
        QTRY_VERIFY(!c.isBusy());
    }

    void cancelStopsTheWorker()
    {
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        QSignalSpy cancelled(&c, &AnalysisController::cancelled);
        QSignalSpy busy(&c, &AnalysisController::busyChanged);
        const quint64 g = c.request(makeRequest(8192, {"native", "infoscale"}));
        QVERIFY(c.isBusy());
        QTest::qWait(50);
        c.cancel();
        QTRY_COMPARE(cancelled.count(), 1);
        QCOMPARE(cancelled.at(0).at(0).toULongLong(), g);
        QTRY_VERIFY_WITH_TIMEOUT(!c.isBusy(), 20000);
        QTest::qWait(100);
        QCOMPARE(ready.count(), 0);
        QVERIFY(busy.count() >= 2);
        QCOMPARE(busy.last().at(0).toBool(), false);
        // The controller still works afterwards.
        c.request(makeRequest(16));
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 20000);
    }

    void errorsBecomeSignals_data()
    {
        QTest::addColumn<QString>("fill");
        QTest::addColumn<qint64>("length");
        QTest::addColumn<QString>("method");
        QTest::newRow("truncate beyond the text") << "truncate" << qint64(5000) << "native";
        QTest::newRow("unknown preset") << "tile" << qint64(32) << "no-such-preset";
        QTest::newRow("bad axis parameter") << "tile" << qint64(32) << "softmax,plain,rerope:-3";
        QTest::newRow("absurd length") << "tile" << qint64(1) << "native";
    }
    void errorsBecomeSignals()
    {
        QFETCH(QString, fill);
        QFETCH(qint64, length);
        QFETCH(QString, method);
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        QSignalSpy errors(&c, &AnalysisController::errorOccurred);
        ViewRequest r = makeRequest(length, {method});
        r.fill = fill;
        if (QTest::currentDataTag() == QLatin1String("absurd length"))
            r.length = 0;
        const quint64 g = c.request(r);
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 20000);
        QCOMPARE(errors.at(0).at(0).toULongLong(), g);
        QVERIFY(!errors.at(0).at(1).toString().isEmpty());
        QCOMPARE(ready.count(), 0);
        QTRY_VERIFY(!c.isBusy());
    }

    void failedLoadKeepsModel()
    {
        AnalysisController c;
        QVERIFY(c.loadModelNow(kNeko));
        QSignalSpy failed(&c, &AnalysisController::modelLoadFailed);
        QSignalSpy loaded(&c, &AnalysisController::modelLoaded);
        c.loadModel(QStringLiteral(ENTROSCOPE_TEST_DATA "/bad/nan-weights"));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 20000);
        QCOMPARE(loaded.count(), 0);
        const QString message = failed.at(0).at(1).toString();
        QVERIFY2(!message.isEmpty() && !message.contains(QLatin1Char('\n')), qPrintable(message));
        QVERIFY(c.modelDir().endsWith(QLatin1String("tiny-neko")));
        QVERIFY(c.hasModel());
        c.loadModel(kJunnyu);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 20000);
        QVERIFY(c.modelDir().endsWith(QLatin1String("tiny-junnyu")));
    }

    void sweepReportsEveryStop()
    {
        AnalysisController c;
        c.setPrecomputeMaxLength(128);
        c.setSweepMaxLength(256);
        QVERIFY(c.loadModelNow(kNeko));
        QVERIFY(c.setText(kText) > 0);
        QSignalSpy points(&c, &AnalysisController::sweepPoint);
        QSignalSpy finished(&c, &AnalysisController::backgroundFinished);
        QSignalSpy ready(&c, &AnalysisController::resultReady);
        c.request(makeRequest(64, {"native", "infoscale"}));
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() >= 1, 60000);
        int stops = 0;
        for (int64_t s : AnalysisController::lengthStops())
            stops += s <= 256;
        QSet<QString> seen;
        for (const auto &p : points) {
            seen.insert(p.at(0).toString() + QLatin1Char('@') + QString::number(p.at(1).toLongLong()));
            const double retained = p.at(2).toDouble();
            QVERIFY(std::isnan(retained) || (retained > 0 && retained <= 1 + 1e-6));
            QVERIFY(p.at(3).toDouble() > 0);
        }
        QCOMPARE(seen.size(), 2 * stops);
        // Precomputed stops are now served from the cache.
        const int jobs = c.workerJobCount();
        c.request(makeRequest(96, {"native", "infoscale"}));
        QTRY_COMPARE(ready.count(), 2);
        QCOMPARE(c.workerJobCount(), jobs);
        QVERIFY(c.lastResult()->fromCache);
    }
};

QTEST_MAIN(TestAnalysisController)
#include "tst_analysis_controller.moc"
