// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Multi-head (Llama-family) models in the workbench: the controller's per-head results against
// AttentionModel::analyze run directly, the layer × head heatmap's cells and clicks, the head selector and
// its shortcuts, the compare view per head, the bundled-models list, and GAU-α's one-head views unchanged.
// Every expected value comes from the engine API, never from numbers written here.

#include "analysis_controller.h"
#include "attention_map_view.h"
#include "compare_view.h"
#include "entropy_view.h"
#include "head_heatmap_view.h"
#include "head_selection.h"
#include "layer_overview.h"
#include "main_window.h"
#include "model/attention_model.h"
#include "model/method.h"
#include "session_state.h"
#include "token_inspector_view.h"
#include "text/inputs.h"
#include "qcustomplot_compat.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QImage>
#include <QJsonObject>
#include <QMenu>
#include <QMenuBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>

#include <cmath>

using namespace entroscope;

namespace {
const QString kLlama = QStringLiteral(ENTROSCOPE_TEST_DATA "/llama/models/llama-gqa2");
const QString kNeko = QStringLiteral(ENTROSCOPE_TEST_DATA "/models/tiny-neko");
// The Llama fixtures have no tokenizer: the workbench takes their input as ids.
const QString kIds = QStringLiteral("1 5 9 13 17 21 25 29 33 37 41 45 3 7 11");

std::vector<int64_t> parseIds(const QString &text)
{
    std::vector<int64_t> ids;
    for (const QString &p : text.split(QLatin1Char(' '), Qt::SkipEmptyParts))
        ids.push_back(p.toLongLong());
    return ids;
}

// The analysis the views should show, computed straight through the engine's model interface.
AnalysisResult direct(const QString &dir, const std::string &method, int64_t n)
{
    const auto model = loadAttentionModel(dir.toStdString());
    const ModelInfo info = model->info();
    AnalysisRequest req;
    req.method = Method::fromString(method, model->methodDefaults(), info.trainLength);
    req.trainLength = info.trainLength;
    req.mlmTop1 = false;
    for (int l = 0; l < info.numLayers; ++l)
        req.fullMapLayers.push_back(l);
    return model->analyze(fillToLength(parseIds(kIds), n, "tile"), req);
}

const AttentionMap *fullMap(const AnalysisResult &r, int layer, int head)
{
    for (const auto &m : r.maps)
        if (m.layer == layer && m.head == head && m.pool == 1)
            return &m;
    return nullptr;
}

double maxDiff(const std::vector<float> &a, const std::vector<float> &b)
{
    if (a.size() != b.size())
        return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
    return worst;
}

// Jensen–Shannon divergence (nats) of two rows, each normalised by its sum, in plain double loops.
double jsRows(const float *a, const float *b, int n)
{
    double sa = 0, sb = 0;
    for (int j = 0; j < n; ++j) {
        sa += a[j];
        sb += b[j];
    }
    double js = 0;
    for (int j = 0; j < n; ++j) {
        const double x = a[j] / sa, y = b[j] / sb, m = 0.5 * (x + y);
        if (x > 0)
            js += 0.5 * x * std::log(x / m);
        if (y > 0)
            js += 0.5 * y * std::log(y / m);
    }
    return js;
}

// Mean over query rows of the JS divergence of (layer, head) between two direct analyses.
double meanJs(const AnalysisResult &a, const AnalysisResult &b, int layer, int head)
{
    const AttentionMap *x = fullMap(a, layer, head), *y = fullMap(b, layer, head);
    double sum = 0;
    for (int r = 0; r < x->rows; ++r)
        sum += jsRows(x->data.data() + size_t(r) * size_t(x->cols), y->data.data() + size_t(r) * size_t(y->cols), x->cols);
    return sum / x->rows;
}

void openLlama(MainWindow &w, qint64 n, QStringList compare = {})
{
    SessionState s;
    s.modelDir = kLlama;
    s.text = kIds;
    s.length = n;
    s.method = QStringLiteral("native");
    s.compareMethods = compare;
    w.applyState(s);
    QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->headCount() == 4, 60000);
}
} // namespace

class TestWorkbenchHeads : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("EntroScopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("EntroScopeHeadsTest"));
    }

    void controllerGivesPerHeadResults()
    {
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QString error;
        QVERIFY2(c.loadModelNow(kLlama, &error), qPrintable(error));
        const auto model = loadAttentionModel(kLlama.toStdString());
        QCOMPARE(c.headCount(), int(model->info().numHeads));
        QCOMPARE(c.kvHeadCount(), int(model->info().numKvHeads));
        QCOMPARE(c.layerCount(), int(model->info().numLayers));
        QVERIFY(c.isCausal());
        QVERIFY(!c.hasLayerInputs());
        QVERIFY(c.modelSummary().contains(QLatin1String("heads")));

        // No tokenizer: ids, with one clear error for what is not an id of the vocabulary.
        QCOMPARE(c.setText(QStringLiteral("1 2 x")), -1);
        QVERIFY(c.setText(QStringLiteral("1 2 99999"), &error) < 0);
        QVERIFY2(error.contains(QLatin1String("token ids")), qPrintable(error));
        QCOMPARE(c.setText(kIds), int(parseIds(kIds).size()));

        QSignalSpy ready(&c, &AnalysisController::resultReady);
        const int64_t n = 40;
        c.request([&] {
            ViewRequest r;
            r.length = n;
            r.methods = {QStringLiteral("native"), QStringLiteral("infoscale")};
            return r;
        }());
        QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 60000);
        const auto res = c.lastResult();
        QVERIFY(res && res->complete);
        const char *methods[] = {"native", "infoscale"};
        // The JS divergence per (layer, head), layer-major, from the full maps: against plain loops.
        {
            const AnalysisResult a = direct(kLlama, "native", n), b = direct(kLlama, "infoscale", n);
            QCOMPARE(int(res->jsPerLayer.size()), c.layerCount() * c.headCount());
            for (int l = 0; l < c.layerCount(); ++l)
                for (int h = 0; h < c.headCount(); ++h) {
                    const double want = meanJs(a, b, l, h), got = res->jsPerLayer[size_t(l * c.headCount() + h)];
                    QVERIFY2(std::fabs(got - want) < 1e-6 * std::max(1.0, want),
                             qPrintable(QStringLiteral("layer %1 head %2: %3 vs %4").arg(l).arg(h).arg(got).arg(want)));
                }
            // n > T: InfoScale's temperature differs from native's, so the rows do somewhere.
            QVERIFY(c.modelTrainLength() < n);
            QVERIFY(*std::max_element(res->jsPerLayer.begin(), res->jsPerLayer.end()) > 1e-6);
        }
        for (int mi = 0; mi < 2; ++mi) {
            const AnalysisResult want = direct(kLlama, methods[mi], n);
            const AnalysisResult &got = *res->results[size_t(mi)];
            QCOMPARE(got.layers.size(), want.layers.size());
            QCOMPARE(int(got.layers.size()), c.layerCount() * c.headCount());
            for (size_t i = 0; i < want.layers.size(); ++i) {
                QCOMPARE(got.layers[i].layer, want.layers[i].layer);
                QCOMPARE(got.layers[i].head, want.layers[i].head);
                QCOMPARE(got.layers[i].entropyMean, want.layers[i].entropyMean);
                QCOMPARE(got.layers[i].sinkMassMean, want.layers[i].sinkMassMean);
                QCOMPARE(got.layers[i].localMassMean, want.layers[i].localMassMean);
                QCOMPARE(got.layers[i].entropy, want.layers[i].entropy);
            }
            for (int l = 0; l < c.layerCount(); ++l)
                for (int h = 0; h < c.headCount(); ++h) {
                    const AttentionMap *a = fullMap(got, l, h), *b = fullMap(want, l, h);
                    QVERIFY(a && b);
                    QCOMPARE(maxDiff(a->data, b->data), 0.0);
                }
            // The reference entropies at T: one per (layer, head).
            QCOMPARE(res->entropyAtT[size_t(mi)].size(), want.layers.size());
        }
        // Up to the full-map length the maps are full and no layer inputs are kept: exact rows are refused.
        QSignalSpy failed(&c, &AnalysisController::exactRowsFailed);
        c.requestExactRows(0, 3, 1);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QVERIFY(failed.at(0).at(1).toString().contains(QLatin1String("layer inputs")));
    }

    void exactRowsOfAPooledHeadMap()
    {
        // Above n = 1024 the maps are pooled and the analysis keeps the layer inputs; a query's exact row is
        // recomputed from them (one layer, every head) and equals the full map's row of a direct analysis, and
        // the comparison's JS divergence comes from them too.
        const int64_t n = 1536, query = 1200;
        const AnalysisResult want = direct(kLlama, "native", n); // full maps of every (layer, head)
        {
            AnalysisController c;
            c.setBackgroundEnabled(false);
            QString error;
            QVERIFY2(c.loadModelNow(kLlama, &error), qPrintable(error));
            QCOMPARE(c.setText(kIds), int(parseIds(kIds).size()));
            c.request([&] {
                ViewRequest r;
                r.length = n;
                r.methods = {QStringLiteral("native"), QStringLiteral("infoscale")};
                return r;
            }());
            QTRY_VERIFY_WITH_TIMEOUT(c.lastResult() && c.lastResult()->complete, 120000);
            QVERIFY(c.lastResult()->results[0]->layerInputs);
            // The JS divergence per (layer, head) above the full-map length, from both analyses' layer inputs:
            // against plain loops over a direct analysis's full maps.
            {
                const AnalysisResult b = direct(kLlama, "infoscale", n);
                const auto &js = c.lastResult()->jsPerLayer;
                QCOMPARE(int(js.size()), c.layerCount() * c.headCount());
                for (int l = 0; l < c.layerCount(); ++l)
                    for (int h = 0; h < c.headCount(); ++h) {
                        const double wantJs = meanJs(want, b, l, h), got = js[size_t(l * c.headCount() + h)];
                        QVERIFY2(std::fabs(got - wantJs) < 1e-6 + 1e-4 * wantJs,
                                 qPrintable(QStringLiteral("layer %1 head %2: %3 vs %4").arg(l).arg(h).arg(got).arg(wantJs)));
                    }
                QVERIFY(*std::max_element(js.begin(), js.end()) > 1e-4); // n = 1536 ≫ T: the methods differ
            }
            QSignalSpy rowsReady(&c, &AnalysisController::exactRowsReady);
            c.requestExactRows(1, query, 1);
            QTRY_COMPARE_WITH_TIMEOUT(rowsReady.count(), 1, 30000);
            const auto &rows = c.lastExactRows();
            QCOMPARE(rows->heads, 4);
            QCOMPARE(rows->data.size(), size_t(4 * n));
            double worst = 0;
            for (int h = 0; h < 4; ++h) {
                const AttentionMap *m = fullMap(want, 1, h);
                QVERIFY(m);
                for (int64_t j = 0; j < n; ++j)
                    worst = std::max(worst, double(std::fabs(rows->data[size_t(h * n + j)] - m->at(int(query), int(j)))));
            }
            QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
        }
        // In the window: the token view turns exact, for a head and for the mean of the heads; its text pane's
        // highlights are that row's weights over the row's largest.
        MainWindow w;
        w.controller()->setSweepMaxLength(64);
        w.show();
        openLlama(w, n);
        w.setLayer(1);
        w.setCurrentView(MainWindow::TokenTab);
        auto *token = qobject_cast<TokenInspectorView *>(w.view(MainWindow::TokenTab));
        QVERIFY(token);
        for (const int head : {2, kHeadMean}) {
            w.setHead(head);
            w.inspectQuery(query);
            QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && token->isExact(), 30000);
            std::vector<double> row(size_t(n), 0.0);
            for (int h = 0; h < 4; ++h)
                if (head == kHeadMean || h == head)
                    for (int64_t j = 0; j < n; ++j)
                        row[size_t(j)] += fullMap(want, 1, h)->at(int(query), int(j)) / (head == kHeadMean ? 4.0 : 1.0);
            // The view redraws from a timer after the head changes: wait until it shows this head's row.
            auto worstKey = [&]() {
                const auto [first, last] = token->textWindow();
                if (first > query || query >= last)
                    return 1.0;
                const double top = *std::max_element(row.begin(), row.end()); // the whole row's largest weight
                double worst = 0;
                for (int64_t j = first; j < last; ++j)
                    worst = std::max(worst, std::fabs(token->highlightOf(j) - row[size_t(j)] / top));
                return worst;
            };
            QTRY_VERIFY2_WITH_TIMEOUT(worstKey() < 1e-4, qPrintable(QStringLiteral("head %1: %2").arg(head).arg(worstKey())),
                                      10000);
        }
        // Zooming into the pooled map with the wheel brings the exact weights of the region around the view,
        // for the selected head and, after a switch, for the mean of the heads (from the same rows).
        w.setCurrentView(MainWindow::AttentionTab);
        auto *map = qobject_cast<AttentionMapView *>(w.view(MainWindow::AttentionTab));
        QVERIFY(map);
        w.setHead(1);
        QTRY_VERIFY_WITH_TIMEOUT(map->title().contains(QStringLiteral("head 1")) && map->map().pool > 1, 10000);
        const QPointF centre = map->plot()->axisRect()->rect().center();
        for (int k = 0; k < 16; ++k) {
            QWheelEvent wheel(centre, map->plot()->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton,
                              Qt::NoModifier, Qt::NoScrollPhase, false);
            QApplication::sendEvent(map->plot(), &wheel);
        }
        QTRY_VERIFY_WITH_TIMEOUT(!map->exactRegion().empty(), 30000);
        QVERIFY(map->title().contains(QStringLiteral("exact rows")));
        for (const int head : {1, kHeadMean}) {
            if (head != 1) {
                w.setHead(head);
                QTRY_VERIFY_WITH_TIMEOUT(!map->exactRegion().empty() && map->title().contains(QStringLiteral("mean of")),
                                         10000);
            }
            const AttentionMapView::Region r = map->exactRegion();
            double worst = 0;
            for (int64_t i = r.row0; i < r.row0 + r.rows; i += 7)
                for (int64_t j = r.col0; j < r.col0 + r.cols; j += 5) {
                    double expected = 0;
                    for (int h = 0; h < 4; ++h)
                        if (head == kHeadMean || h == head)
                            expected += fullMap(want, 1, h)->at(int(i), int(j)) / (head == kHeadMean ? 4.0 : 1.0);
                    worst = std::max(worst, std::fabs(map->exactWeight(i, j) - expected));
                }
            QVERIFY2(worst < 1e-5, qPrintable(QStringLiteral("head %1: %2").arg(head).arg(worst)));
        }
    }

    void layerInputsCapDecidesExactRowsAndJs()
    {
        // Above n = 1024 a Llama-family view analysis keeps its layer inputs while they fit the cap (by default a
        // sixteenth of the machine's memory); past it the comparison's JS and the exact rows are refused with the
        // figure, never made up.
        const int64_t n = 1536;
        AnalysisController c;
        c.setBackgroundEnabled(false);
        QVERIFY(c.layerInputsMaxBytes() >= kLayerInputsMinBytes);
        QString error;
        QVERIFY2(c.loadModelNow(kLlama, &error), qPrintable(error));
        QCOMPARE(c.setText(kIds), int(parseIds(kIds).size()));
        const ModelInfo info = loadAttentionModel(kLlama.toStdString())->info();
        const int64_t need = info.numLayers * n * info.hiddenSize * 4; // L · n · H floats
        auto pair = [&] {
            ViewRequest r;
            r.length = n;
            r.methods = {QStringLiteral("native"), QStringLiteral("infoscale")};
            return r;
        };
        c.setLayerInputsMaxBytes(need - 1);
        QVERIFY(!c.jsAvailableAt(n));
        QVERIFY(c.jsAvailableAt(kFullMapMaxLength)); // from the full maps
        c.request(pair());
        QTRY_VERIFY_WITH_TIMEOUT(c.lastResult() && c.lastResult()->complete, 120000);
        QVERIFY(!c.lastResult()->results[0]->layerInputs);
        QVERIFY(c.lastResult()->jsPerLayer.empty());
        QSignalSpy failed(&c, &AnalysisController::exactRowsFailed);
        c.requestExactRows(1, 1200, 1);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        QVERIFY2(failed.at(0).at(1).toString().contains(QLatin1String("would take more than")),
                 qPrintable(failed.at(0).at(1).toString()));
        // At the cap they are kept (the cache, made under the old cap, was emptied): JS and exact rows exist.
        c.setLayerInputsMaxBytes(need);
        QVERIFY(c.jsAvailableAt(n));
        const quint64 g = c.request(pair());
        QTRY_VERIFY_WITH_TIMEOUT(c.lastGeneration() == g && c.lastResult() && c.lastResult()->generation == g
                                     && c.lastResult()->complete,
                                 120000);
        QVERIFY(!c.lastResult()->fromCache);
        QVERIFY(c.lastResult()->results[0]->layerInputs);
        QCOMPARE(int(c.lastResult()->jsPerLayer.size()), c.layerCount() * c.headCount());
        QSignalSpy rowsReady(&c, &AnalysisController::exactRowsReady);
        c.requestExactRows(1, 1200, 1);
        QTRY_COMPARE_WITH_TIMEOUT(rowsReady.count(), 1, 30000);
        QCOMPARE(c.lastExactRows()->data.size(), size_t(c.headCount() * n));
    }

    void heatmapCellsAndClick()
    {
        MainWindow w;
        w.controller()->setSweepMaxLength(64);
        w.show();
        const qint64 n = 32;
        openLlama(w, n);
        const AnalysisResult want = direct(kLlama, "native", n);
        w.setCurrentView(MainWindow::HeadsTab);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        auto *heat = qobject_cast<HeadHeatmapView *>(w.view(MainWindow::HeadsTab));
        QVERIFY(heat && !heat->isEmptyState());
        QCOMPARE(heat->layerCount(), 2);
        QCOMPARE(heat->headCount(), 4);
        QCOMPARE(heat->colorMap()->data()->keySize(), 4);
        QCOMPARE(heat->colorMap()->data()->valueSize(), 2);
        // Each metric of the combo, cell by cell, against the direct analysis.
        for (int m = 0; m < HeadHeatmapView::MetricCount; ++m) {
            heat->metricCombo()->setCurrentIndex(m);
            QCOMPARE(int(heat->metric()), m);
            for (const auto &lm : want.layers) {
                const double expected = m == HeadHeatmapView::Entropy             ? lm.entropyMean
                                        : m == HeadHeatmapView::NormalizedEntropy ? lm.normalizedEntropyMean
                                        : m == HeadHeatmapView::LocalMass         ? lm.localMassMean
                                                                                  : lm.sinkMassMean;
                QCOMPARE(heat->value(lm.layer, lm.head), expected);
                QCOMPARE(heat->colorMap()->data()->cell(lm.head, lm.layer), expected);
            }
        }
        QVERIFY(heat->csv().count(QLatin1Char('\n')) == 1 + 2 * 4);
        heat->metricCombo()->setCurrentIndex(0);

        // A click on cell (layer 1, head 2) selects both and opens that head's map.
        heat->plot()->replot();
        const QPoint at(int(heat->plot()->xAxis->coordToPixel(2)), int(heat->plot()->yAxis->coordToPixel(1)));
        QTest::mouseClick(heat->plot(), Qt::LeftButton, Qt::NoModifier, at);
        QCOMPARE(w.layer(), 1);
        QCOMPARE(w.head(), 2);
        QCOMPARE(heat->selectedHead(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(w.currentViewIndex(), int(MainWindow::AttentionTab), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        auto *map = qobject_cast<AttentionMapView *>(w.view(MainWindow::AttentionTab));
        QVERIFY(map);
        QCOMPARE(maxDiff(map->map().data, fullMap(want, 1, 2)->data), 0.0);
        QVERIFY2(map->title().contains(QLatin1String("head 2")), qPrintable(map->title()));

        // The heatmap exports like the other plots.
        QTemporaryDir out;
        QString error;
        QVERIFY2(w.exportView(MainWindow::HeadsTab, out.filePath("heads.png"), &error), qPrintable(error));
        QVERIFY(!QImage(out.filePath("heads.png")).isNull());
        QVERIFY2(w.exportView(MainWindow::HeadsTab, out.filePath("heads.csv"), &error), qPrintable(error));
    }

    void headSelectorUpdatesViews()
    {
        MainWindow w;
        w.controller()->setSweepMaxLength(64);
        w.show();
        const qint64 n = 24;
        openLlama(w, n, {QStringLiteral("infoscale")});
        const AnalysisResult want = direct(kLlama, "native", n);
        const AnalysisResult wantB = direct(kLlama, "infoscale", n);
        auto *combo = w.findChild<QComboBox *>(QStringLiteral("headCombo"));
        QVERIFY(combo && combo->isVisible());
        QCOMPARE(combo->count(), 1 + 4); // mean of heads, 0 … 3
        QCOMPARE(w.head(), kHeadMean);
        auto *map = qobject_cast<AttentionMapView *>(w.view(MainWindow::AttentionTab));
        w.setCurrentView(MainWindow::AttentionTab);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        // The mean of heads: the heads' maps averaged cell by cell.
        {
            std::vector<float> mean(fullMap(want, 0, 0)->data.size(), 0.f);
            for (int h = 0; h < 4; ++h)
                for (size_t i = 0; i < mean.size(); ++i)
                    mean[i] += fullMap(want, 0, h)->data[i];
            for (float &v : mean)
                v /= 4.f;
            QVERIFY(maxDiff(map->map().data, mean) < 1e-6);
        }
        // Alt+Up steps to head 0, 1; Alt+Down back to 0.
        QTest::keyClick(&w, Qt::Key_Up, Qt::AltModifier);
        QCOMPARE(w.head(), 0);
        QTest::keyClick(&w, Qt::Key_Up, Qt::AltModifier);
        QCOMPARE(w.head(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QCOMPARE(maxDiff(map->map().data, fullMap(want, 0, 1)->data), 0.0);
        QTest::keyClick(&w, Qt::Key_Down, Qt::AltModifier);
        QCOMPARE(w.head(), 0);

        // Entropy view: the selected head's per-query entropy of the selected layer.
        w.setHead(3);
        w.setLayer(1);
        w.setCurrentView(MainWindow::EntropyTab);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        auto *entropy = qobject_cast<EntropyView *>(w.view(MainWindow::EntropyTab));
        QVERIFY(entropy);
        const LayerMetrics *m13 = metricsOf(want, 1, 3);
        QVERIFY(m13);
        auto graph = entropy->queryGraph()->data();
        QCOMPARE(graph->size(), int(m13->entropy.size()));
        for (int i = 0; i < graph->size(); ++i)
            QCOMPARE(graph->at(i)->value, m13->entropy[size_t(i)]);

        // Compare: both methods' maps of the selected (layer, head).
        w.setCurrentView(MainWindow::CompareTab);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        auto *compare = qobject_cast<CompareView *>(w.view(MainWindow::CompareTab));
        QVERIFY(compare);
        QCOMPARE(compare->mapCount(), 2);
        QVERIFY(compare->mapLabel(0).contains(QLatin1String("head 3")));
        const AttentionMap *a = fullMap(want, 1, 3), *b = fullMap(wantB, 1, 3);
        for (int r = 0; r < int(n); r += 5)
            for (int col = 0; col <= r; col += 3) {
                QVERIFY(std::fabs(compare->colorMap(0)->data()->cell(col, r) - double(a->at(r, col))) < 1e-6);
                QVERIFY(std::fabs(compare->colorMap(1)->data()->cell(col, r) - double(b->at(r, col))) < 1e-6);
                QVERIFY(std::fabs(compare->differenceAt(r, col) - (double(a->at(r, col)) - double(b->at(r, col))))
                        < 1e-6);
            }

        // Its JS bars: head 3's per layer, then the mean of the heads'.
        {
            QCOMPARE(compare->jsBars()->data()->size(), 2);
            for (int l = 0; l < 2; ++l)
                QVERIFY(std::fabs(compare->jsBars()->data()->at(l)->value - meanJs(want, wantB, l, 3)) < 1e-6);
            w.setHead(kHeadMean);
            QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
            for (int l = 0; l < 2; ++l) {
                double mean = 0;
                for (int h = 0; h < 4; ++h)
                    mean += meanJs(want, wantB, l, h) / 4;
                QVERIFY(std::fabs(compare->jsBars()->data()->at(l)->value - mean) < 1e-6);
            }
        }

        // The layer overview: one thumbnail per (layer, head), a row per layer; a click on one selects its
        // layer and head and opens that head's map.
        w.setCurrentView(MainWindow::LayersTab);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        auto *overview = qobject_cast<LayerOverview *>(w.view(MainWindow::LayersTab));
        QVERIFY(overview);
        QCOMPARE(overview->thumbnailCount(), 2 * 4);
        QCOMPARE(overview->headsPerLayer(), 4);
        QCOMPARE(overview->caption(6).left(4), QStringLiteral("L1h2"));
        overview->plot()->replot();
        const QRect r02 = overview->thumbnailRect(2), r12 = overview->thumbnailRect(6);
        QCOMPARE(r02.left(), r12.left()); // heads are columns
        QVERIFY(r12.top() > r02.bottom()); // layers are rows
        QTest::mouseClick(overview->plot(), Qt::LeftButton, Qt::NoModifier, r12.center());
        QCOMPARE(w.layer(), 1);
        QCOMPARE(w.head(), 2);
        QCOMPARE(overview->selectedHead(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(w.currentViewIndex(), int(MainWindow::AttentionTab), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        QCOMPARE(maxDiff(map->map().data, fullMap(want, 1, 2)->data), 0.0);

        // A one-head model (GAU-α): no head selector, one heatmap column, views as before.
        w.openModel(kNeko);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->headCount() == 1, 60000);
        w.setText(QStringLiteral("今天天气很好，我要去公园玩。"));
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 60000);
        QVERIFY(!combo->isVisible());
        QCOMPARE(w.head(), 0);
        w.setCurrentView(MainWindow::HeadsTab);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        auto *heat = qobject_cast<HeadHeatmapView *>(w.view(MainWindow::HeadsTab));
        QCOMPARE(heat->headCount(), 1);
        QCOMPARE(heat->layerCount(), w.controller()->layerCount());
        QVERIFY(!w.controller()->lastResult()->jsPerLayer.empty()); // GAU-α still compares in one pass
    }

    void sessionKeepsTheHead()
    {
        // The selected head is part of the session: state() → file → a new window shows the same head.
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString file = tmp.filePath(QStringLiteral("heads.entroscope"));
        {
            MainWindow w;
            w.controller()->setSweepMaxLength(64);
            w.show();
            openLlama(w, 24);
            QCOMPARE(w.state().head, kHeadMean);
            w.setHead(2);
            QCOMPARE(w.state().head, 2);
            QString error;
            QVERIFY2(w.saveSession(file, &error), qPrintable(error));
        }
        SessionState loaded;
        QString error;
        QVERIFY2(SessionState::load(file, &loaded, &error), qPrintable(error));
        QCOMPARE(loaded.head, 2);
        SessionState other = loaded;
        other.head = kHeadMean;
        QVERIFY(other != loaded);
        MainWindow w;
        w.controller()->setSweepMaxLength(64);
        w.show();
        w.applyState(loaded);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.controller()->headCount() == 4, 60000);
        QCOMPARE(w.head(), 2);
        // A session written before heads existed (no "head" key) opens on the mean of heads.
        QJsonObject json = loaded.toJson();
        json.remove(QStringLiteral("head"));
        SessionState old;
        QVERIFY(SessionState::fromJson(json, &old));
        QCOMPARE(old.head, kHeadMean);
    }

    void bundledModelsAreListed()
    {
        // Every folder with a config.json under resources/models, found independently here.
        QStringList expected;
        const QDir root(QStringLiteral(ENTROSCOPE_SOURCE_DIR "/resources/models"));
        for (const QString &name : root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
            if (QFileInfo::exists(root.filePath(name + QStringLiteral("/config.json"))))
                expected << QDir::cleanPath(root.absoluteFilePath(name));
        const QStringList listed = MainWindow::bundledModelDirs();
        for (const QString &dir : expected)
            QVERIFY2(listed.contains(dir), qPrintable(dir));

        // Extra folders (ENTROSCOPE_MODELS_DIR) are picked up too, and an entry opens its model.
        qputenv("ENTROSCOPE_MODELS_DIR", QByteArray(ENTROSCOPE_TEST_DATA "/llama/models"));
        const QStringList more = MainWindow::bundledModelDirs();
        qunsetenv("ENTROSCOPE_MODELS_DIR");
        const QString gqa2 = QDir::cleanPath(kLlama);
        QVERIFY(more.contains(gqa2));
        MainWindow w;
        auto *menu = w.findChild<QMenu *>(QStringLiteral("bundledModelsMenu"));
        QVERIFY(menu);
        qputenv("ENTROSCOPE_MODELS_DIR", QByteArray(ENTROSCOPE_TEST_DATA "/llama/models"));
        QMetaObject::invokeMethod(menu, "aboutToShow");
        qunsetenv("ENTROSCOPE_MODELS_DIR");
        QAction *entry = nullptr;
        for (QAction *a : menu->actions())
            if (a->data().toString() == gqa2)
                entry = a;
        QVERIFY(entry);
        entry->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->modelDir(), QDir(kLlama).absolutePath(), 60000);
        QCOMPARE(w.controller()->headCount(), 4);
    }
};

QTEST_MAIN(TestWorkbenchHeads)
#include "tst_workbench_heads.moc"
