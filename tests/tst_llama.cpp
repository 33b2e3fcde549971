// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// The Llama-family engine (METHODS.md §6) against the independent float64 PyTorch reference of
// tests/data/make_llama_fixtures.py: every (layer, head) map, the metrics, the next-token logits and argmax,
// on checkpoints in the real layouts (F32 safetensors, sharded BF16 with an index, F16 Qwen2 with biases,
// pytorch_model.bin Mistral with its window); and the loader's errors on broken checkpoints.

#include "errors.h"
#include "io/npy.h"
#include "model/llama_model.h"
#include "test_util.h"

#include <QDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <map>

using namespace entroscope;
using testutil::dataPath;

namespace {

std::shared_ptr<const LlamaModel> model(const QString &name)
{
    static std::map<QString, std::shared_ptr<const LlamaModel>> cache;
    auto &m = cache[name];
    if (!m)
        m = std::dynamic_pointer_cast<const LlamaModel>(loadAttentionModel(dataPath("llama/models/" + name).toStdString()));
    if (!m)
        qFatal("%s did not open as a Llama-family model", qPrintable(name));
    return m;
}

QJsonArray cases()
{
    return testutil::readJson(dataPath("llama/golden/cases.json")).array();
}

} // namespace

class TestLlama : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void golden_data()
    {
        QTest::addColumn<int>("index");
        const auto all = cases();
        for (int k = 0; k < all.size(); ++k)
            QTest::newRow(qPrintable(all[k].toObject()["name"].toString())) << k;
    }
    void golden()
    {
        QFETCH(int, index);
        const auto c = cases()[index].toObject();
        const auto m = model(c["model"].toString());
        const ModelInfo info = m->info();
        const int64_t n = c["length"].toInt(), T = c["train_length"].toInt();
        QCOMPARE(info.keySize, static_cast<int64_t>(c["key_size"].toInt()));
        QCOMPARE(info.numHeads, static_cast<int64_t>(c["heads"].toInt()));
        QCOMPARE(info.numKvHeads, static_cast<int64_t>(c["kv_heads"].toInt()));
        QVERIFY(info.causal);

        AnalysisRequest req;
        req.method = Method::parse(c["temperature"].toString().toStdString(), c["qk"].toString().toStdString(),
                                   c["position"].toString().toStdString(), m->methodDefaults(), T,
                                   c["key_count"].toString().toStdString());
        req.trainLength = T;
        for (int l = 0; l < info.numLayers; ++l)
            req.fullMapLayers.push_back(l);
        req.blockRows = 7; // blocks that do not divide n: the causal key range changes from block to block
        const auto ids = testutil::toIds(c["ids"].toArray());
        const AnalysisResult r = m->analyze(ids, req);

        // Maps [L, H, n, n]: absolute error, relative to the weight for squared_relu's raw rows.
        const auto maps = readNpy(dataPath("llama/golden/" + c["name"].toString() + "/maps.npy").toStdString());
        QCOMPARE(maps.shape, (std::vector<int64_t>{info.numLayers, info.numHeads, n, n}));
        QCOMPARE(static_cast<int64_t>(r.maps.size()), info.numLayers * info.numHeads);
        double mapDiff = 0;
        for (const auto &map : r.maps) {
            QCOMPARE(map.rows, static_cast<int>(n));
            const size_t base = static_cast<size_t>((map.layer * info.numHeads + map.head) * n * n);
            for (size_t k = 0; k < map.data.size(); ++k) {
                const double want = maps.values[base + k];
                mapDiff = std::max(mapDiff, std::fabs(map.data[k] - want) / std::max(1.0, std::fabs(want)));
            }
        }
        QVERIFY2(mapDiff < 1e-5, qPrintable(QString("max map difference %1").arg(mapDiff)));

        // Metrics per (layer, head), layer-major; retained mass is null for a causal model.
        const auto layers = c["layers"].toArray();
        QCOMPARE(static_cast<int>(r.layers.size()), static_cast<int>(layers.size()));
        double metricDiff = 0;
        for (int k = 0; k < layers.size(); ++k) {
            const auto w = layers[k].toObject();
            const auto &g = r.layers[static_cast<size_t>(k)];
            QCOMPARE(g.layer, w["layer"].toInt());
            QCOMPARE(g.head, w["head"].toInt());
            QVERIFY(!g.retainedMassMean.has_value());
            const std::pair<const char *, double> scalars[] = {
                {"entropy_mean", g.entropyMean},       {"normalized_entropy_mean", g.normalizedEntropyMean},
                {"max_weight_mean", g.maxWeightMean}, {"k90_mean", g.k90Mean},
                {"sink_mass_mean", g.sinkMassMean},   {"local_mass_mean", g.localMassMean}};
            for (const auto &[key, value] : scalars) {
                const double diff = std::fabs(value - w[key].toDouble());
                if (diff >= 1e-5)
                    qWarning("layer %d head %d %s: %.9g, reference %.9g", g.layer, g.head, key, value, w[key].toDouble());
                metricDiff = std::max(metricDiff, diff);
            }
            const auto prof = w["distance_profile"].toArray();
            QCOMPARE(static_cast<int>(g.distanceProfile.size()), static_cast<int>(prof.size()));
            for (int b = 0; b < prof.size(); ++b)
                metricDiff = std::max(metricDiff, std::fabs(g.distanceProfile[static_cast<size_t>(b)] - prof[b].toDouble()));
            const auto ent = w["entropy"].toArray();
            for (int i = 0; i < ent.size(); ++i)
                metricDiff = std::max(metricDiff, std::fabs(g.entropy[static_cast<size_t>(i)] - ent[i].toDouble()));
        }
        QVERIFY2(metricDiff < 1e-5, qPrintable(QString("max metric difference %1").arg(metricDiff)));

        // Next-token argmax and logits.
        QCOMPARE(r.mlmTop1, testutil::toIds(c["next_top1"].toArray()));
        const auto logits = readNpy(dataPath("llama/golden/" + c["name"].toString() + "/logits.npy").toStdString());
        const auto got = m->logits(ids, req.method, T).contiguous();
        QCOMPARE(got.size(0), n);
        const float *gp = got.data_ptr<float>();
        double logitDiff = 0;
        for (size_t k = 0; k < logits.values.size(); ++k)
            logitDiff = std::max(logitDiff, std::fabs(gp[k] - logits.values[k]));
        QVERIFY2(logitDiff < 1e-4, qPrintable(QString("max logit difference %1").arg(logitDiff)));
        qInfo("%s: max |map| %.2e, |metric| %.2e, |logit| %.2e", qPrintable(c["name"].toString()), mapDiff, metricDiff,
              logitDiff);
    }

    void streamedMetricsEqualFullMapMetrics()
    {
        // The metrics streamed block by block equal those of the kept full maps, whatever the block size.
        const auto m = model("llama-gqa4-bf16-sharded");
        AnalysisRequest req;
        req.method = Method::preset("infoscale", m->methodDefaults(), 16);
        req.trainLength = 16;
        std::vector<int64_t> ids;
        for (int i = 0; i < 70; ++i)
            ids.push_back((i * 37 + 11) % 80);
        req.blockRows = 0;
        const auto a = m->analyze(ids, req);
        req.blockRows = 5;
        const auto b = m->analyze(ids, req);
        QCOMPARE(a.layers.size(), b.layers.size());
        for (size_t k = 0; k < a.layers.size(); ++k) {
            QVERIFY(std::fabs(a.layers[k].entropyMean - b.layers[k].entropyMean) < 1e-9);
            QVERIFY(std::fabs(a.layers[k].localMassMean - b.layers[k].localMassMean) < 1e-9);
        }
    }

    void causalTemperaturesAreClampedAtOne()
    {
        const auto m = model("llama-gqa2");
        const auto &d = m->methodDefaults();
        for (const char *p : {"infoscale", "logn"}) {
            const Method method = Method::preset(p, d, 16);
            for (int64_t keys : {1, 2, 8, 16})
                QCOMPARE(LlamaModel::causalTau(method, keys, 16, 8), 1.0);
            QVERIFY(LlamaModel::causalTau(method, 40, 16, 8) > 1.0);
        }
        const Method ss = Method::parse("ssmax:0.5", "", "", d, 16);
        QCOMPARE(LlamaModel::causalTau(ss, 2, 16, 8), 1.0); // 0.5 ln 2 < 1
    }

    void badCheckpoints_data()
    {
        QTest::addColumn<QString>("folder");
        for (const auto &name : QDir(dataPath("llama/bad")).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            QTest::newRow(qPrintable(name)) << name;
    }
    void badCheckpoints()
    {
        QFETCH(QString, folder);
        const QString dir = dataPath("llama/bad/" + folder);
        std::ifstream in((dir + "/EXPECT").toStdString());
        std::string expect;
        std::getline(in, expect);
        QVERIFY(!expect.empty());
        try {
            loadAttentionModel(dir.toStdString());
            QFAIL("loaded a broken checkpoint");
        } catch (const Error &e) {
            const std::string what = e.what();
            QVERIFY2(what.find(expect) != std::string::npos, what.c_str());
            QVERIFY2(what.find('\n') == std::string::npos, what.c_str());
        }
    }

    void badIdsAndLengths()
    {
        const auto m = model("llama-gqa2");
        AnalysisRequest req;
        req.method = Method::preset("native", m->methodDefaults(), 16);
        req.trainLength = 16;
        QVERIFY_THROWS_EXCEPTION(Error, m->analyze({1, 2, 80}, req));
        QVERIFY_THROWS_EXCEPTION(Error, m->analyze({}, req));
        req.fullMapLayers = {2};
        QVERIFY_THROWS_EXCEPTION(Error, m->analyze({1, 2, 3}, req));
    }
};

QTEST_GUILESS_MAIN(TestLlama)
#include "tst_llama.moc"
