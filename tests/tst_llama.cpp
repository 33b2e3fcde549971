// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// The Llama-family engine (METHODS.md §6) against the independent float64 PyTorch reference of
// tests/data/make_llama_fixtures.py: every (layer, head) map, the metrics, the next-token logits and argmax,
// on checkpoints in the real layouts (F32 safetensors, sharded BF16 with an index, F16 Qwen2 with biases,
// pytorch_model.bin Mistral with its window, rope_scaling linear / dynamic (v5 rope_parameters) / yarn /
// llama3 as `native`, and the fixed factors pi:4, ntk:4, yarn:4); and the loader's errors on broken
// checkpoints and rope_scaling fields.

#include "errors.h"
#include "io/llama_config.h"
#include "io/npy.h"
#include "model/llama_model.h"
#include "test_util.h"

#include <QDateTime>
#include <QDir>
#include <QTemporaryDir>
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

    void weightsChangedOnDiskAreRefused()
    {
        // The forward reads mapped weights from the files again (their pages are dropped after each layer): a
        // file rewritten or truncated after loading is refused with its name, never read as if loaded.
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        for (const char *name : {"llama-gqa2", "llama-gqa4-bf16-sharded"}) {
            const QString src = dataPath(QStringLiteral("llama/models/") + name);
            const QString dir = tmp.filePath(name);
            QVERIFY(QDir().mkpath(dir));
            for (const QString &f : QDir(src).entryList(QDir::Files))
                QVERIFY(QFile::copy(QDir(src).filePath(f), QDir(dir).filePath(f)));
            const auto ck = LlamaCheckpoint::load(dir.toStdString());
            QCOMPARE(ck->mappedFiles.size(), std::string(name).find("sharded") != std::string::npos ? size_t(2) : size_t(1));
            const LlamaModel m(ck);
            AnalysisRequest req;
            req.method = Method::preset("native", m.methodDefaults(), 16);
            req.trainLength = 16;
            const std::vector<int64_t> ids{1, 5, 9, 13, 17, 21, 25, 29};
            const double before = m.analyze(ids, req).layers.at(0).entropyMean;
            // The same bytes written again (a new modification time), then one byte more.
            const std::string victim = ck->mappedFiles.back().path;
            QFile f(QString::fromStdString(victim));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray bytes = f.readAll();
            f.close();
            QTest::qWait(20); // a later modification time on file systems with coarse clocks
            for (const QByteArray &content : {bytes, bytes + QByteArray(1, '\0')}) {
                QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
                QCOMPARE(f.write(content), qint64(content.size()));
                f.flush();
                QVERIFY(f.setFileTime(QDateTime::currentDateTime().addSecs(content.size() == bytes.size() ? 5 : 10),
                                      QFileDevice::FileModificationTime));
                f.close();
                try {
                    m.analyze(ids, req);
                    QFAIL("an analysis read weights that changed on disk");
                } catch (const Error &e) {
                    QVERIFY2(QString(e.what()).contains(QString::fromStdString(victim)) &&
                                 QString(e.what()).contains("changed on disk"),
                             e.what());
                }
            }
            // Opened again, the file is read as it is now (the byte appended after the data is outside every tensor).
            QFile(QString::fromStdString(victim)).resize(bytes.size());
            const LlamaModel again(LlamaCheckpoint::load(dir.toStdString()));
            QCOMPARE(again.analyze(ids, req).layers.at(0).entropyMean, before);
        }
    }

    void sixteenBitMatricesStayResident_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dtype");
        QTest::newRow("bf16 sharded") << "llama-gqa4-bf16-sharded" << int(torch::kBFloat16);
        QTest::newRow("fp16 qwen2 biases") << "qwen2-bias-fp16" << int(torch::kHalf);
        QTest::newRow("bf16 pytorch_model.bin") << "llama-bf16-bin" << int(torch::kBFloat16);
    }

    void sixteenBitMatricesStayResident()
    {
        // A 16-bit checkpoint's matrices are held as stored (views of the mapped files), its vectors in float32;
        // the analysis converts per layer and equals that of the same weights converted to float32 up front.
        QFETCH(QString, name);
        QFETCH(int, dtype);
        const QString dir = dataPath("llama/models/" + name);
        const auto ck = LlamaCheckpoint::load(dir.toStdString());
        QCOMPARE(int(ck->embed.scalar_type()), dtype);
        QCOMPARE(int(ck->layers[0].q.scalar_type()), dtype);
        QCOMPARE(int(ck->layers[1].down.scalar_type()), dtype);
        QCOMPARE(ck->norm.scalar_type(), torch::kFloat32);
        QCOMPARE(ck->layers[0].inputNorm.scalar_type(), torch::kFloat32);
        if (ck->layers[0].qBias.defined())
            QCOMPARE(ck->layers[0].qBias.scalar_type(), torch::kFloat32);

        StateDict f32; // every file of the folder, converted to float32 by the reader
        for (const QString &file : QDir(dir).entryList({QStringLiteral("*.safetensors")}, QDir::Files))
            for (auto &[key, t] : readSafetensors(QDir(dir).filePath(file).toStdString()))
                f32[key] = t;
        if (QFile::exists(QDir(dir).filePath("pytorch_model.bin")))
            f32 = readTorchZip(QDir(dir).filePath("pytorch_model.bin").toStdString());
        QVERIFY(!f32.empty());
        QCOMPARE(f32.begin()->second.scalar_type(), torch::kFloat32);
        const auto ck32 = LlamaCheckpoint::fromStateDict(ck->config, f32, "float32 copy");
        QCOMPARE(ck32->layers[0].q.scalar_type(), torch::kFloat32);
        const LlamaModel m16(ck), m32(ck32);
        AnalysisRequest req;
        req.method = Method::preset("infoscale", m16.methodDefaults(), 16);
        req.trainLength = 16;
        req.mlmTop1 = true;
        std::vector<int64_t> ids;
        for (int i = 0; i < 40; ++i)
            ids.push_back((i * 29 + 3) % 80);
        const auto a = m16.analyze(ids, req), b = m32.analyze(ids, req);
        QCOMPARE(a.layers.size(), b.layers.size());
        for (size_t k = 0; k < a.layers.size(); ++k) {
            QCOMPARE(a.layers[k].entropy, b.layers[k].entropy);
            QCOMPARE(a.layers[k].localMassMean, b.layers[k].localMassMean);
        }
        QCOMPARE(a.mlmTop1, b.mlmTop1);
        QVERIFY(torch::equal(m16.logits(ids, req.method, 16), m32.logits(ids, req.method, 16)));
    }

    void exactRowsEqualTheAnalysisRows_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("method");
        for (const char *m : {"native", "infoscale", "cosscale", "rerope", "window", "alibi", "streamingllm",
                              "lminfinite", "squared_relu,,"})
            QTest::newRow(qPrintable(QStringLiteral("gqa2 ") + m)) << "llama-gqa2" << m;
        QTest::newRow("qwen2 biases fp16 infoscale") << "qwen2-bias-fp16" << "infoscale";
        QTest::newRow("mistral window native") << "mistral-window-bin" << "native";
        QTest::newRow("llama3 scaling native") << "llama3-scaling" << "native";
    }

    void exactRowsEqualTheAnalysisRows()
    {
        // Rows recomputed from the kept layer inputs (one layer, a row range, no other layer run) equal the
        // full maps of the analysis, every head, for every kind of position and mask.
        QFETCH(QString, name);
        QFETCH(QString, method);
        const auto m = model(name);
        const auto &c = m->checkpoint().config;
        const int64_t T = 16, n = 70;
        AnalysisRequest req;
        req.method = Method::fromString(method.toStdString(), m->methodDefaults(), T);
        req.trainLength = T;
        req.keepLayerInputs = true;
        for (int l = 0; l < c.numLayers; ++l)
            req.fullMapLayers.push_back(l);
        std::vector<int64_t> ids;
        for (int i = 0; i < n; ++i)
            ids.push_back((i * 53 + 5) % c.vocabSize);
        const auto r = m->analyze(ids, req);
        QVERIFY(r.layerInputs);
        QCOMPARE(int64_t(r.layerInputs->layers.size()), c.numLayers);
        double worst = 0;
        for (int l = 0; l < c.numLayers; ++l)
            for (const auto &[row0, rows] : std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {0, 9}, {17, 30}, {69, 1}, {0, n}}) {
                const auto got = m->attentionRows(*r.layerInputs, l, req.method, T, row0, rows);
                QCOMPARE(int64_t(got.size()), c.numHeads * rows * n);
                for (const auto &map : r.maps) {
                    if (map.layer != l || map.pool != 1)
                        continue;
                    for (int64_t i = 0; i < rows; ++i)
                        for (int64_t j = 0; j < n; ++j) {
                            const float want = map.at(int(row0 + i), int(j));
                            const float g = got[size_t((map.head * rows + i) * n + j)];
                            // float32 rounding only (the row subset's products block differently): absolute for
                            // weights ≤ 1, relative for squared_relu's raw weights above 1
                            worst = std::max(worst, double(std::fabs(g - want)) / std::max(1.0, double(std::fabs(want))));
                        }
                }
            }
        QVERIFY2(worst < 1e-5, qPrintable(QString("max |exact row − analysis row| %1").arg(worst)));
        // Out of range: one clear error each.
        QVERIFY_THROWS_EXCEPTION(Error, m->attentionRows(*r.layerInputs, int(c.numLayers), req.method, T, 0, 1));
        QVERIFY_THROWS_EXCEPTION(Error, m->attentionRows(*r.layerInputs, 0, req.method, T, n - 1, 2));
    }

    void jsDivergenceFromLayerInputs_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::newRow("gqa2 native/infoscale") << "llama-gqa2" << "native" << "infoscale";
        QTest::newRow("gqa2 window/alibi") << "llama-gqa2" << "window" << "alibi";
        QTest::newRow("gqa2 rerope/squared_relu") << "llama-gqa2" << "rerope" << "squared_relu,,";
        QTest::newRow("mistral (own window) native/infoscale") << "mistral-window-bin" << "native" << "infoscale";
    }

    void jsDivergenceFromLayerInputs()
    {
        // Per (layer, head), from the two analyses' layer inputs block by block, against a plain double loop
        // over the analyses' full maps (rows normalised by their sums).
        QFETCH(QString, name);
        QFETCH(QString, a);
        QFETCH(QString, b);
        const auto m = model(name);
        const auto &c = m->checkpoint().config;
        const int64_t T = 16, n = 70;
        std::vector<int64_t> ids;
        for (int i = 0; i < n; ++i)
            ids.push_back((i * 31 + 2) % c.vocabSize);
        auto run = [&](const QString &method) {
            AnalysisRequest req;
            req.method = Method::fromString(method.toStdString(), m->methodDefaults(), T);
            req.trainLength = T;
            req.keepLayerInputs = true;
            for (int l = 0; l < c.numLayers; ++l)
                req.fullMapLayers.push_back(l);
            return m->analyze(ids, req);
        };
        const auto ra = run(a), rb = run(b);
        const auto js = m->jsDivergence(*ra.layerInputs, Method::fromString(a.toStdString(), m->methodDefaults(), T),
                                        *rb.layerInputs, Method::fromString(b.toStdString(), m->methodDefaults(), T), T);
        QCOMPARE(int64_t(js.size()), c.numLayers * c.numHeads);
        // The same figures accumulated inside b's analysis while its rows exist (a's weights recomputed from
        // a's layer inputs next to each block), as compare and the workbench compute them.
        AnalysisRequest inPassReq;
        inPassReq.method = Method::fromString(b.toStdString(), m->methodDefaults(), T);
        inPassReq.trainLength = T;
        inPassReq.mlmTop1 = false;
        inPassReq.jsInputs = ra.layerInputs;
        inPassReq.jsMethod = Method::fromString(a.toStdString(), m->methodDefaults(), T);
        inPassReq.blockRows = 16; // several blocks per head
        const auto inPass = m->analyze(ids, inPassReq).jsDivergence;
        QCOMPARE(int64_t(inPass.size()), c.numLayers * c.numHeads);
        auto mapOf = [](const AnalysisResult &r, int l, int h) -> const AttentionMap & {
            for (const auto &mp : r.maps)
                if (mp.layer == l && mp.head == h && mp.pool == 1)
                    return mp;
            qFatal("no full map");
        };
        int64_t zeroRows = 0;
        for (int l = 0; l < c.numLayers; ++l)
            for (int h = 0; h < c.numHeads; ++h) {
                const auto &x = mapOf(ra, l, h), &y = mapOf(rb, l, h);
                double sum = 0;
                for (int r = 0; r < n; ++r) {
                    double sx = 0, sy = 0;
                    for (int j = 0; j < n; ++j) {
                        sx += x.at(r, j);
                        sy += y.at(r, j);
                    }
                    // METHODS.md §3: an all-zero row stays the zero vector (½ ln 2 against a distribution)
                    zeroRows += (sx <= 0) + (sy <= 0);
                    for (int j = 0; j < n; ++j) {
                        const double p = sx > 0 ? x.at(r, j) / sx : 0.0, q = sy > 0 ? y.at(r, j) / sy : 0.0;
                        const double mid = 0.5 * (p + q);
                        if (mid <= 0)
                            continue;
                        if (p > 0)
                            sum += 0.5 * p * std::log(p / mid);
                        if (q > 0)
                            sum += 0.5 * q * std::log(q / mid);
                    }
                }
                const double want = sum / n, got = js[size_t(l * c.numHeads + h)];
                QVERIFY2(std::fabs(got - want) < 1e-6 + 1e-4 * want,
                         qPrintable(QString("layer %1 head %2: %3 vs %4").arg(l).arg(h).arg(got).arg(want)));
                const double inPassGot = inPass[size_t(l * c.numHeads + h)];
                QVERIFY2(std::fabs(inPassGot - want) < 1e-6 + 1e-4 * want,
                         qPrintable(QString("in the pass, layer %1 head %2: %3 vs %4").arg(l).arg(h).arg(inPassGot).arg(want)));
            }
        QVERIFY(*std::max_element(js.begin(), js.end()) > 1e-4); // the methods differ somewhere at n > T
        // squared_relu makes all-zero rows on these inputs, so the zero-row convention is under test there
        if (b.startsWith("squared_relu"))
            QVERIFY2(zeroRows > 0, "no all-zero squared_relu row: the zero-row convention is not exercised");
    }

    void chunkedLmHeadArgmax()
    {
        // The LM head's argmax over vocabulary chunks equals torch's argmax of the whole product, ties included
        // (repeated rows of the head make exact ties across chunk borders), float32 and BF16 heads alike.
        torch::manual_seed(7);
        const auto h = torch::randn({37, 16});
        auto head = torch::randn({101, 16});
        head[60].copy_(head[3]); // the same row in two chunks: the first index wins
        head[61].copy_(head[3]);
        for (const auto &W : {head, head.to(torch::kBFloat16)}) {
            const auto want = torch::matmul(h, W.to(torch::kFloat32).t()).argmax(-1);
            for (int64_t chunk : {0, 1, 7, 50, 101, 500}) {
                const auto got = LlamaModel::top1(h, W, chunk);
                QCOMPARE(int64_t(got.size()), h.size(0));
                for (int64_t r = 0; r < h.size(0); ++r)
                    QCOMPARE(got[size_t(r)], want[r].item<int64_t>());
            }
        }
        // A row whose best is the duplicated one picks index 3, not 60 or 61, whatever the chunking.
        const auto hq = head[3].unsqueeze(0) * 50;
        for (int64_t chunk : {0, 7, 58})
            QCOMPARE(LlamaModel::top1(hq, head, chunk)[0], int64_t(3));
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

    void nativeIsRopeWithoutRopeScaling()
    {
        // native (also the default of an empty position axis) is plain rope on a checkpoint without
        // rope_scaling: the same canonical string and bit-identical maps and logits.
        const auto m = model("llama-gqa2");
        const auto &d = m->methodDefaults();
        QVERIFY(!d.ropeScaling);
        const Method native = Method::parse("softmax", "plain", "native", d, 16);
        QCOMPARE(native.position.kind, PositionKind::Rope);
        QCOMPARE(QString::fromStdString(native.spec().position), QStringLiteral("rope"));
        QCOMPARE(QString::fromStdString(Method::parse("", "", "", d, 16).spec().position), QStringLiteral("rope"));
        QCOMPARE(QString::fromStdString(Method::preset("native", d, 16).spec().position), QStringLiteral("rope"));
        const Method rope = Method::parse("softmax", "plain", "rope", d, 16);
        const auto ids = testutil::toIds(cases()[0].toObject()["ids"].toArray());
        AnalysisRequest req;
        req.trainLength = 16;
        req.fullMapLayers = {0, 1};
        req.method = native;
        const auto a = m->analyze(ids, req);
        req.method = rope;
        const auto b = m->analyze(ids, req);
        QCOMPARE(a.maps.size(), b.maps.size());
        for (size_t k = 0; k < a.maps.size(); ++k)
            QVERIFY(a.maps[k].data == b.maps[k].data);
        QVERIFY(torch::equal(m->logits(ids, native, 16), m->logits(ids, rope, 16)));
    }

    void nativeIsTheDefaultWithRopeScaling()
    {
        // A checkpoint with rope_scaling: the native preset and an empty position axis apply it, T is
        // original_max_position_embeddings; explicit rope, pi, ... replace it.
        for (const char *name : {"llama3-scaling", "llama-yarn", "llama-linear", "llama-dynamic"}) {
            const auto m = model(name);
            const auto &d = m->methodDefaults();
            QVERIFY2(d.ropeScaling.has_value(), name);
            QCOMPARE(m->info().trainLength, int64_t{16});
            for (const Method &x : {Method::parse("", "", "", d, 16), Method::preset("native", d, 16),
                                    Method::parse("infoscale", "", "", d, 16)}) {
                QCOMPARE(x.position.kind, PositionKind::Native);
                QCOMPARE(QString::fromStdString(x.spec().position), QStringLiteral("native"));
            }
            QCOMPARE(Method::parse("", "", "rope", d, 16).position.kind, PositionKind::Rope);
            QCOMPARE(QString::fromStdString(Method::parse("", "", "yarn:4", d, 16).spec().position), QStringLiteral("yarn:4"));
            const auto f = methodFormulas(Method::preset("native", d, 16), 40, m->info().keySize, 16);
            QVERIFY2(QString::fromStdString(f[2]).contains(QString::fromStdString(d.ropeScaling->typeName())), f[2].c_str());
        }
        const auto &d = model("llama3-scaling")->methodDefaults();
        QCOMPARE(d.ropeScaling->type, RopeScaling::Type::Llama3);
        QCOMPARE(d.ropeScaling->factor, 4.0);
        QCOMPARE(d.ropeScaling->originalMax, int64_t{16});
        const auto &y = *model("llama-yarn")->methodDefaults().ropeScaling;
        QCOMPARE(y.type, RopeScaling::Type::Yarn);
        QCOMPARE(y.betaFast, 8.0);
        QCOMPARE(y.betaSlow, 0.5);
        QVERIFY(!y.truncate);
        QCOMPARE(*y.mscaleAllDim, 0.5);
        const auto &dyn = *model("llama-dynamic")->methodDefaults().ropeScaling; // v5 rope_parameters
        QCOMPARE(dyn.type, RopeScaling::Type::Dynamic);
        QCOMPARE(dyn.factor, 2.0);
        QCOMPARE(dyn.originalMax, int64_t{16});
        QCOMPARE(model("llama-linear")->methodDefaults().ropeScaling->type, RopeScaling::Type::Linear); // "type" only
    }

    void fixedFactorPositions_data()
    {
        QTest::addColumn<QString>("position");
        QTest::addColumn<QString>("canonical");
        QTest::newRow("pi") << "pi" << "pi";
        QTest::newRow("pi:4") << "pi:4" << "pi:4";
        QTest::newRow("ntk:2.5") << "ntk:2.5" << "ntk:2.5";
        QTest::newRow("yarn:8") << "yarn:8" << "yarn:8";
        QTest::newRow("yarn:0.5") << "yarn:0.5" << "yarn:0.5";
    }
    void fixedFactorPositions()
    {
        QFETCH(QString, position);
        QFETCH(QString, canonical);
        const auto &d = model("llama-gqa2")->methodDefaults();
        const Method m = Method::parse("", "", position.toStdString(), d, 16);
        QCOMPARE(QString::fromStdString(m.spec().position), canonical);
        QCOMPARE(QString::fromStdString(Method::fromString("softmax,plain," + m.spec().position, d, 16).spec().position),
                 canonical);
    }
    void badFixedFactors()
    {
        const auto &d = model("llama-gqa2")->methodDefaults();
        for (const char *p : {"pi:0", "ntk:-1", "yarn:x", "pi:4:4", "native:2"}) {
            try {
                Method::parse("", "", p, d, 16);
                QFAIL(p);
            } catch (const Error &e) {
                QVERIFY2(std::string(e.what()).rfind("--position", 0) == 0, e.what());
            }
        }
    }

    void ropeScalingConfigs_data()
    {
        QTest::addColumn<QString>("rope"); // the JSON text after "max_position_embeddings": 64,
        QTest::addColumn<QString>("expect"); // "" = accepted, else a substring of the one-line error
        QTest::newRow("null") << R"("rope_scaling": null)" << "";
        QTest::newRow("default") << R"("rope_scaling": {"rope_type": "default"})" << "";
        QTest::newRow("type only") << R"("rope_scaling": {"type": "linear", "factor": 2})" << "";
        QTest::newRow("rope_type only") << R"("rope_scaling": {"rope_type": "dynamic", "factor": 2})" << "";
        QTest::newRow("both") << R"("rope_scaling": {"type": "yarn", "rope_type": "yarn", "factor": 4, "beta_fast": 0})" << "";
        QTest::newRow("v5") << R"("rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8,
            "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 16})" << "";
        QTest::newRow("longrope") << R"("rope_scaling": {"rope_type": "longrope", "short_factor": [1], "long_factor": [2]})"
                                  << R"(type "longrope" is not supported)";
        QTest::newRow("unknown") << R"("rope_scaling": {"type": "su"})" << R"(type "su" is not supported)";
        QTest::newRow("factor 0") << R"("rope_scaling": {"type": "linear", "factor": 0})" << R"("factor" must be > 0)";
        QTest::newRow("factor -2") << R"("rope_scaling": {"type": "dynamic", "factor": -2})" << R"("factor" must be > 0)";
        QTest::newRow("factor string") << R"("rope_scaling": {"type": "linear", "factor": "2"})" << R"("factor" must be a number)";
        QTest::newRow("no factor") << R"("rope_scaling": {"rope_type": "dynamic"})" << R"(needs "factor")";
        QTest::newRow("llama3 no high") << R"("rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1,
            "original_max_position_embeddings": 16})" << R"(needs "high_freq_factor")";
        QTest::newRow("llama3 high <= low") << R"("rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 4,
            "high_freq_factor": 4, "original_max_position_embeddings": 16})" << R"("high_freq_factor" (4) must be > "low_freq_factor" (4))";
        QTest::newRow("yarn attention_factor 0") << R"("rope_scaling": {"rope_type": "yarn", "factor": 4, "attention_factor": 0})"
                                                 << R"("attention_factor" must be > 0)";
        QTest::newRow("yarn truncate string") << R"("rope_scaling": {"rope_type": "yarn", "factor": 4, "truncate": "no"})"
                                              << R"("truncate" must be true or false)";
        QTest::newRow("not an object") << R"("rope_scaling": 2)" << R"("rope_scaling" must be an object or null)";
        QTest::newRow("partial rotary 1") << R"("partial_rotary_factor": 1.0, "rope_scaling": null)" << "";
        QTest::newRow("partial rotary 0.5") << R"("partial_rotary_factor": 0.5, "rope_scaling": null)"
                                            << R"("partial_rotary_factor" 0.5 is not supported)";
        QTest::newRow("partial rotary in rope_parameters")
            << R"("rope_parameters": {"rope_type": "default", "partial_rotary_factor": 0.25})"
            << R"(rope_parameters: "partial_rotary_factor" 0.25 is not supported)";
        QTest::newRow("partial rotary string") << R"("partial_rotary_factor": "half")"
                                               << R"("partial_rotary_factor" must be a number)";
    }
    void ropeScalingConfigs()
    {
        QFETCH(QString, rope);
        QFETCH(QString, expect);
        const std::string text = R"({"model_type": "llama", "hidden_size": 32, "num_attention_heads": 4,
            "max_position_embeddings": 64, )" + rope.toStdString() + "}";
        try {
            const LlamaConfig c = LlamaConfig::fromJsonText(text, "config.json");
            QVERIFY2(expect.isEmpty(), "accepted a bad rope_scaling");
            if (rope.contains("llama3")) {
                QCOMPARE(c.ropeTheta, 500000.0);
                QCOMPARE(c.trainLength(), int64_t{16});
                QCOMPARE(c.ropeScaling->highFreqFactor, 4.0);
            }
            if (rope.contains("\"yarn\"")) {
                QCOMPARE(c.ropeScaling->betaFast, 32.0); // beta_fast 0 reads as the default (HF's `or`)
                QCOMPARE(c.ropeScaling->originalMax, int64_t{64});
            }
        } catch (const Error &e) {
            const std::string what = e.what();
            QVERIFY2(!expect.isEmpty(), what.c_str());
            QVERIFY2(what.find(expect.toStdString()) != std::string::npos, what.c_str());
            QVERIFY2(what.find('\n') == std::string::npos, what.c_str());
            QVERIFY2(what.rfind("config.json", 0) == 0, what.c_str());
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
