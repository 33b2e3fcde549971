// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Properties that would catch a wrong method formula, checked on the engine's own attention maps
// (tiny-neko fixture: 3 layers, d = 16, T = 16).

#include "model/gau_model.h"
#include "test_util.h"

#include <torch/torch.h>

using namespace entroscope;
using testutil::dataPath;

namespace {

std::shared_ptr<const Checkpoint> neko()
{
    static auto ck = Checkpoint::load(dataPath("models/tiny-neko").toStdString());
    return ck;
}

std::vector<AttentionMap> maps(const std::string &t, const std::string &q, const std::string &p, int64_t n,
                               const std::vector<int64_t> &tokens = {300, 1200, 450, 7675, 2351, 861, 585})
{
    auto ck = neko();
    AnalysisRequest req;
    req.method = Method::parse(t, q, p, ck->config.methodDefaults(), 16);
    req.trainLength = 16;
    req.metrics = false;
    req.mlmTop1 = false;
    for (int l = 0; l < ck->config.numLayers; ++l)
        req.fullMapLayers.push_back(l);
    return GauModel(ck).analyze(fillToLength(tokens, n, "tile"), req).maps;
}

double maxDiff(const std::vector<AttentionMap> &a, const std::vector<AttentionMap> &b)
{
    double d = 0;
    for (size_t l = 0; l < a.size(); ++l)
        for (size_t k = 0; k < a[l].data.size(); ++k)
            d = std::max(d, static_cast<double>(std::fabs(a[l].data[k] - b[l].data[k])));
    return d;
}

} // namespace

class TestMethodProperties : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(2); }

    void softmaxRowsSumToOne_data()
    {
        QTest::addColumn<QString>("temperature");
        QTest::addColumn<QString>("position");
        for (const char *t : {"softmax", "softmax_plus", "logn", "infoscale"})
            for (const char *p : {"rope", "yarn", "rerope:8", "window:5", "alibi", "streamingllm:2:8", "lminfinite:2:8"})
                QTest::newRow(qPrintable(QString("%1 %2").arg(t, p))) << QString(t) << QString(p);
    }
    void softmaxRowsSumToOne()
    {
        QFETCH(QString, temperature);
        QFETCH(QString, position);
        for (const auto &m : maps(temperature.toStdString(), "plain", position.toStdString(), 41))
            for (int i = 0; i < m.rows; ++i) {
                double s = 0;
                for (int j = 0; j < m.cols; ++j)
                    s += m.at(i, j);
                QVERIFY2(std::fabs(s - 1.0) < 1e-5, qPrintable(QString("layer %1 row %2 sums to %3").arg(m.layer).arg(i).arg(s)));
            }
    }

    void infoScaleIsExtrapolateAtTrainLength()
    {
        QVERIFY(maxDiff(maps("infoscale", "plain", "rope", 16), maps("softmax", "plain", "rope", 16)) < 1e-6);
        QVERIFY(maxDiff(maps("infoscale", "plain", "rope", 64), maps("softmax", "plain", "rope", 64)) > 1e-3);
    }

    void scaledRopesAreRopeUpToTrainLength_data()
    {
        QTest::addColumn<QString>("position");
        QTest::addColumn<int>("n");
        for (const char *p : {"pi", "ntk", "yarn"})
            for (int n : {5, 16}) // n <= T
                QTest::newRow(qPrintable(QString("%1 n=%2").arg(p).arg(n))) << QString(p) << n;
    }
    void scaledRopesAreRopeUpToTrainLength()
    {
        QFETCH(QString, position);
        QFETCH(int, n);
        QVERIFY(maxDiff(maps("softmax", "plain", position.toStdString(), n), maps("softmax", "plain", "rope", n)) < 1e-6);
        // ... and differ from it beyond T.
        QVERIFY(maxDiff(maps("softmax", "plain", position.toStdString(), 64), maps("softmax", "plain", "rope", 64)) > 1e-4);
    }

    void windowPutsNoMassOutsideTheBand()
    {
        const int W = 5;
        for (const auto &m : maps("softmax", "plain", "window:5", 40))
            for (int i = 0; i < m.rows; ++i)
                for (int j = 0; j < m.cols; ++j)
                    if (std::abs(i - j) >= W)
                        QCOMPARE(m.at(i, j), 0.0f);
        for (const auto &m : maps("squared_relu", "plain", "window:5", 40))
            for (int i = 0; i < m.rows; ++i)
                for (int j = 0; j < m.cols; ++j)
                    if (std::abs(i - j) >= W)
                        QCOMPARE(m.at(i, j), 0.0f);
    }

    void sinksStayVisible()
    {
        for (const auto &m : maps("softmax", "plain", "streamingllm:2:4", 30))
            for (int i = 0; i < m.rows; ++i)
                for (int j = 0; j < m.cols; ++j) {
                    const bool visible = std::abs(i - j) < 4 || j < 2;
                    QVERIFY(visible ? m.at(i, j) > 0 : m.at(i, j) == 0.0f);
                }
    }

    void reropeIsRopeWithinItsWindow()
    {
        QVERIFY(maxDiff(maps("softmax", "plain", "rerope:20", 20), maps("softmax", "plain", "rope", 20)) < 1e-6);
        QVERIFY(maxDiff(maps("softmax", "plain", "rerope:8", 20), maps("softmax", "plain", "rope", 20)) > 1e-4);
        // lminfinite without sinks is the window: its clamping only acts on distances the window hides.
        QVERIFY(maxDiff(maps("softmax", "plain", "lminfinite:0:8", 30), maps("softmax", "plain", "window:8", 30)) < 1e-6);
        // With sinks, the sink columns are seen at clamped distances, unlike streamingllm's true distances.
        QVERIFY(maxDiff(maps("softmax", "plain", "lminfinite:2:8", 30), maps("softmax", "plain", "streamingllm:2:8", 30)) > 1e-4);
    }

    void alibiIgnoresRope()
    {
        // With slope 0 nothing depends on position: a periodic input gives periodic rows in every layer.
        const std::vector<int64_t> period = {300, 1200, 450, 7675, 2351};
        for (const auto &m : maps("softmax", "plain", "alibi:0", 20, period))
            for (int i = 0; i + 5 < m.rows; ++i)
                for (int j = 0; j + 5 < m.cols; ++j)
                    QVERIFY(std::fabs(m.at(i, j) - m.at(i + 5, j + 5)) < 1e-6);
        // RoPE breaks that symmetry only through the rotation, which alibi must not apply.
        bool differs = false;
        for (const auto &m : maps("softmax", "plain", "rope", 20, period))
            differs = differs || std::fabs(m.at(0, 0) - m.at(5, 5)) > 1e-4;
        QVERIFY(differs);
    }

    void cosScaleBoundsTheScores()
    {
        // |s_ij| <= S, so within a row no two softmax weights differ by more than a factor e^(2S).
        const double S = 0.75;
        for (const auto &m : maps("softmax", "cosscale:0.75", "rope", 48)) {
            for (int i = 0; i < m.rows; ++i) {
                float lo = 1, hi = 0;
                for (int j = 0; j < m.cols; ++j) {
                    lo = std::min(lo, m.at(i, j));
                    hi = std::max(hi, m.at(i, j));
                }
                QVERIFY2(std::log(hi / lo) <= 2 * S + 1e-4, qPrintable(QString("ratio %1").arg(std::log(hi / lo))));
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestMethodProperties)
#include "tst_method_properties.moc"
