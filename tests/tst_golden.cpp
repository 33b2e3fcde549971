// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// The engine against the golden outputs of the independent PyTorch re-implementation
// (tests/data/make_fixtures.py): attention maps of every layer, every metric, MLM top-1, logits.

#include "errors.h"
#include "model/gau_model.h"
#include "io/npy.h"
#include "test_util.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <map>

using namespace entroscope;
using testutil::dataPath;

class TestGolden : public QObject
{
    Q_OBJECT

private:
    std::map<QString, std::shared_ptr<const Checkpoint>> m_models;
    std::shared_ptr<const Checkpoint> model(const QString &name)
    {
        auto it = m_models.find(name);
        if (it == m_models.end())
            it = m_models.emplace(name, Checkpoint::load(dataPath("models/" + name).toStdString())).first;
        return it->second;
    }

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(2); }

    void matchesReference_data()
    {
        QTest::addColumn<QJsonObject>("spec");
        const auto cases = testutil::readJson(dataPath("golden/cases.json")).array();
        QVERIFY(cases.size() >= 90);
        for (const auto &c : cases)
            QTest::newRow(qPrintable(c.toObject()["name"].toString())) << c.toObject();
    }

    void matchesReference()
    {
        QFETCH(QJsonObject, spec);
        const QString name = spec["name"].toString();
        auto ck = model(spec["model"].toString());
        const int64_t T = spec["train_length"].isNull() ? ck->config.trainLength()
                                                        : static_cast<int64_t>(spec["train_length"].toDouble());
        AnalysisRequest req;
        req.method = Method::parse(spec["temperature"].toString().toStdString(), spec["qk"].toString().toStdString(),
                                   spec["position"].toString().toStdString(), ck->config.methodDefaults(), T,
                                   spec["key_count"].toString().toStdString());
        req.trainLength = T;
        for (int l = 0; l < ck->config.numLayers; ++l)
            req.fullMapLayers.push_back(l);
        req.blockRows = 5; // odd block size: exercises the streaming path across block boundaries
        const auto ids = fillToLength(testutil::toIds(spec["ids"].toArray()), static_cast<int64_t>(spec["length"].toDouble()),
                                      spec["fill"].toString().toStdString());
        const AnalysisResult r = GauModel(ck).analyze(ids, req);
        {
            // Without the MLM head the last layer skips A·V and o_dense: the attention must not change.
            AnalysisRequest attentionOnly = req;
            attentionOnly.mlmTop1 = false;
            const AnalysisResult a = GauModel(ck).analyze(ids, attentionOnly);
            QVERIFY(a.mlmTop1.empty());
            QCOMPARE(a.maps.size(), r.maps.size());
            for (size_t k = 0; k < a.maps.size(); ++k)
                QVERIFY2(a.maps[k].data == r.maps[k].data, qPrintable(QString("layer %1").arg(a.maps[k].layer)));
            QCOMPARE(a.layers.back().entropyMean, r.layers.back().entropyMean);
        }

        const auto golden = testutil::readJson(dataPath("golden/" + name + "/summary.json")).object();
        QCOMPARE(r.length, static_cast<int64_t>(golden["length"].toDouble()));
        QCOMPARE(r.trainLength, static_cast<int64_t>(golden["train_length"].toDouble()));
        QCOMPARE(r.keySize, static_cast<int64_t>(golden["key_size"].toDouble()));
        const auto gm = golden["method"].toObject();
        QCOMPARE(QString::fromStdString(r.method.temperature), gm["temperature"].toString());
        QCOMPARE(QString::fromStdString(r.method.qk), gm["qk"].toString());
        QCOMPARE(QString::fromStdString(r.method.position), gm["position"].toString());
        QCOMPARE(QString::fromStdString(r.method.keyCount), gm["key_count"].toString());
        QVERIFY(r.tokens == testutil::toIds(golden["tokens"].toArray()));
        {
            // Positions where the reference's top-2 logits are a near-tie are left out (listed by the script).
            auto expected = testutil::toIds(golden["mlm_top1"].toArray());
            auto got = r.mlmTop1;
            QCOMPARE(got.size(), expected.size());
            for (const auto &t : golden["mlm_top1_near_ties"].toArray())
                got[static_cast<size_t>(t.toInt())] = expected[static_cast<size_t>(t.toInt())];
            QVERIFY(got == expected);
        }

        // Attention maps: 1e-5 absolute on probabilities; squared_relu weights are not probabilities
        // (unbounded), so there the bound is relative to the weight's size.
        const bool raw = r.method.temperature == "squared_relu";
        const auto gl = golden["layers"].toArray();
        QCOMPARE(static_cast<int>(r.layers.size()), gl.size());
        for (const auto &map : r.maps) {
            const auto g = readNpy(dataPath(QString("golden/%1/attention_layer%2.npy").arg(name).arg(map.layer)).toStdString());
            QCOMPARE(g.shape, (std::vector<int64_t>{r.length, r.length}));
            double worst = 0;
            for (size_t k = 0; k < g.values.size(); ++k) {
                const double tol = raw ? 1e-5 * std::max(1.0, std::fabs(g.values[k])) : 1e-5;
                worst = std::max(worst, std::fabs(g.values[k] - map.data[k]) / tol);
            }
            if (worst > 1.0)
                QFAIL(qPrintable(QString("layer %1: attention differs by %2 x tolerance").arg(map.layer).arg(worst)));
        }

        const double tol = 2e-5;
        for (int l = 0; l < gl.size(); ++l) {
            const auto g = gl[l].toObject();
            const auto &m = r.layers[static_cast<size_t>(l)];
            QCOMPARE(m.layer, l);
            auto near = [&](double a, double b, const char *what) {
                if (std::fabs(a - b) > tol * std::max(1.0, std::fabs(b)))
                    QFAIL(qPrintable(QString("layer %1 %2: %3 vs golden %4").arg(l).arg(what).arg(a, 0, 'g', 10).arg(b, 0, 'g', 10)));
            };
            near(m.entropyMean, g["entropy_mean"].toDouble(), "entropy_mean");
            near(m.normalizedEntropyMean, g["normalized_entropy_mean"].toDouble(), "normalized_entropy_mean");
            near(m.maxWeightMean, g["max_weight_mean"].toDouble(), "max_weight_mean");
            near(m.k90Mean, g["k90_mean"].toDouble(), "k90_mean");
            near(m.sinkMassMean, g["sink_mass_mean"].toDouble(), "sink_mass_mean");
            QVERIFY2(g.contains("local_mass_mean"), "golden without local_mass_mean: regenerate the fixtures");
            near(m.localMassMean, g["local_mass_mean"].toDouble(), "local_mass_mean");
            QCOMPARE(m.retainedMassMean.has_value(), !g["retained_mass_mean"].isNull());
            if (m.retainedMassMean)
                near(*m.retainedMassMean, g["retained_mass_mean"].toDouble(), "retained_mass_mean");
            const auto ge = g["entropy"].toArray();
            QCOMPARE(static_cast<int>(m.entropy.size()), ge.size());
            for (int i = 0; i < ge.size(); ++i)
                near(m.entropy[static_cast<size_t>(i)], ge[i].toDouble(), "entropy[i]");
            const auto gp = g["distance_profile"].toArray();
            QCOMPARE(static_cast<int>(m.distanceProfile.size()), gp.size());
            for (int b = 0; b < gp.size(); ++b)
                near(m.distanceProfile[static_cast<size_t>(b)], gp[b].toDouble(), "distance_profile[b]");
        }

        const QString logitsPath = dataPath("golden/" + name + "/logits.npy");
        if (QFile::exists(logitsPath)) {
            const auto g = readNpy(logitsPath.toStdString());
            auto logits = GauModel(ck).logits(torch::tensor(ids).unsqueeze(0), req.method, T)[0].contiguous();
            QCOMPARE(g.shape, (std::vector<int64_t>{logits.size(0), logits.size(1)}));
            const float *p = logits.data_ptr<float>();
            double worst = 0;
            for (size_t k = 0; k < g.values.size(); ++k)
                worst = std::max(worst, std::fabs(g.values[k] - p[k]));
            QVERIFY2(worst < 1e-4, qPrintable(QString("logits differ by %1").arg(worst)));
        }
    }

    void pooledMapsAgreeWithFullMaps()
    {
        // Pooled cells must be the max / mean of the full map's cells, including the partial last cell.
        auto ck = model("tiny-neko");
        AnalysisRequest req;
        req.method = Method::preset("extrapolate", ck->config.methodDefaults(), 16);
        req.trainLength = 16;
        req.fullMapLayers = {1};
        req.pooledMaps = true;
        req.maxPooledSize = 8; // n = 37 -> pool 5, 8 x 8 cells, last cell 2 wide
        const auto ids = fillToLength({200, 300, 400, 500, 600}, 37, "tile");
        const auto r = GauModel(ck).analyze(ids, req);
        const AttentionMap *full = nullptr, *mx = nullptr, *mean = nullptr;
        for (const auto &m : r.maps) {
            if (m.layer == 1 && m.pool == 1)
                full = &m;
            if (m.layer == 1 && m.pooling == AttentionMap::Pooling::Max)
                mx = &m;
            if (m.layer == 1 && m.pooling == AttentionMap::Pooling::Mean)
                mean = &m;
        }
        QVERIFY(full && mx && mean);
        QCOMPARE(mx->pool, 5);
        QCOMPARE(mx->rows, 8);
        for (int cr = 0; cr < 8; ++cr)
            for (int cc = 0; cc < 8; ++cc) {
                double m = 0, s = 0;
                int count = 0;
                for (int i = cr * 5; i < std::min(37, cr * 5 + 5); ++i)
                    for (int j = cc * 5; j < std::min(37, cc * 5 + 5); ++j) {
                        m = std::max<double>(m, full->at(i, j));
                        s += full->at(i, j);
                        ++count;
                    }
                QVERIFY(std::fabs(mx->at(cr, cc) - m) < 1e-6);
                QVERIFY(std::fabs(mean->at(cr, cc) - s / count) < 1e-6);
            }
    }

    void rowWorkIsSharedByTheThreads()
    {
        // The per-row pass (softmax, metrics, pooling) is an at::parallel_for in the engine: a header
        // template whose OpenMP pragma exists only when the engine is compiled with -fopenmp. Without it
        // the pass ran on one thread while the second core waited.
        auto ck = model("tiny-neko");
        AnalysisRequest req;
        req.method = Method::preset("extrapolate", ck->config.methodDefaults(), 16);
        req.trainLength = 16;
        req.pooledMaps = true;
        const auto r = GauModel(ck).analyze(fillToLength({200, 300, 400}, 256, "tile"), req);
        QCOMPARE(at::get_num_threads(), 2);
        QCOMPARE(r.rowThreads, 2);
    }

    void cancellationStopsTheForward()
    {
        auto ck = model("tiny-junnyu");
        AnalysisRequest req;
        req.method = Method::preset("native", ck->config.methodDefaults(), 16);
        req.trainLength = 16;
        req.blockRows = 4;
        CancelToken token;
        int calls = 0;
        auto progress = [&](double, const std::string &) {
            if (++calls == 1)
                token.cancel();
        };
        QVERIFY_THROWS_EXCEPTION(entroscope::Cancelled, GauModel(ck).analyze(fillToLength({300}, 64, "tile"), req, progress, &token));
        QCOMPARE(calls, 1);
    }
};

QTEST_GUILESS_MAIN(TestGolden)
#include "tst_golden.moc"
