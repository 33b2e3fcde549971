// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Checkpoint loading: both file shapes in the wild, fp16/bf16, safetensors, prefix-less keys,
// and every broken or hostile input the fixture script makes.

#include "io/checkpoint.h"
#include "errors.h"
#include "io/pickle_reader.h"
#include "test_util.h"

#include <QFileInfo>
#include <QFile>
#include <QTemporaryDir>
#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <unistd.h>

using namespace entroscope;
using testutil::dataPath;

class TestCheckpoint : public QObject
{
    Q_OBJECT

    static std::shared_ptr<const Checkpoint> load(const QString &model)
    {
        return Checkpoint::load(dataPath("models/" + model).toStdString());
    }

private Q_SLOTS:
    void llamaFolderIsNamedWhereOnlyGauAlphaOpens()
    {
        // The GAU-α loader (workbench, sweep, compare, evaluate, train) says where a Llama folder does open.
        try {
            Checkpoint::load(dataPath("llama/models/llama-gqa2").toStdString());
            QFAIL("a Llama folder loaded as GAU-α");
        } catch (const Error &e) {
            const std::string what = e.what();
            QVERIFY2(what.find("\"llama\"") != std::string::npos, what.c_str());
            QVERIFY2(what.find("entroscope-cli analyze") != std::string::npos, what.c_str());
        }
    }
    void junnyuShape()
    {
        // OrderedDict, transposed dense weights, no decoder key: tied to the word embeddings.
        auto ck = load("tiny-junnyu");
        QCOMPARE(ck->config.numLayers, int64_t{3});
        QCOMPARE(ck->config.trainLength(), int64_t{16});
        QCOMPARE(ck->layers.size(), size_t{3});
        QCOMPARE(ck->layers[0].iDense.sizes().vec(), (std::vector<int64_t>{2 * 48 + 16, 24}));
        QVERIFY(ck->layers[0].iDense.is_contiguous());
        QVERIFY(ck->decoder.is_same(ck->wordEmbeddings));
        QVERIFY(ck->tokenizer);
        QCOMPARE(ck->tokenizer->maskId(), int64_t{103});
    }

    void nekoShape()
    {
        auto ck = load("tiny-neko");
        QVERIFY(ck->config.trainedWithCosScale());
        QCOMPARE(*ck->config.cosScaleValue, 8.0);
        QCOMPARE(ck->config.normalization, std::string("softmax"));
        QVERIFY(torch::equal(ck->decoder, ck->wordEmbeddings));
    }

    void halfPrecisionAndPrefixlessKeys_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("fp16") << "tiny-neko-fp16" << 2e-3;
        QTest::newRow("bf16 without prefix") << "tiny-neko-bf16" << 1.6e-2;
    }
    void halfPrecisionAndPrefixlessKeys()
    {
        QFETCH(QString, model);
        QFETCH(double, tolerance);
        auto ref = load("tiny-neko");
        auto ck = load(model);
        QCOMPARE(ck->wordEmbeddings.scalar_type(), torch::kFloat32);
        for (size_t l = 0; l < ref->layers.size(); ++l) {
            const auto &a = ref->layers[l].iDense;
            const auto rel = ((ck->layers[l].iDense - a).abs() / (a.abs() + 1e-3)).max().item<double>();
            QVERIFY2(rel < tolerance, qPrintable(QString::number(rel)));
        }
    }

    void safetensorsAreViewsOfTheMappedFile()
    {
        // readSafetensors maps the file: float32 tensors are views of the mapping (no second copy), kept
        // alive by the tensors themselves; a write to one stays in memory (a private mapping), never reaches
        // the file; other dtypes are converted (tst_llama reads the BF16/F16 fixtures Python wrote).
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/model.safetensors").toStdString();
        StateDict sd;
        sd["a"] = torch::arange(0, 1000, torch::kFloat32);
        sd["b"] = torch::arange(0, 10, torch::kFloat32) * 2;
        writeSafetensors(path, sd);
        torch::Tensor a;
        {
            auto r = readSafetensors(path);
            QVERIFY(torch::equal(r["b"], sd["b"]));
            // Sorted keys: b's data follows a's 4000 bytes in the file, and so in the mapping.
            QCOMPARE(static_cast<const char *>(r["b"].data_ptr()) - static_cast<const char *>(r["a"].data_ptr()), 4000);
            a = r["a"];
        }
        QVERIFY(torch::equal(a, sd["a"])); // the mapping outlives the dict
        a.mul_(2);
        QVERIFY(torch::equal(readSafetensors(path)["a"], sd["a"]));
        QVERIFY(!QFile::exists(QString::fromStdString(path) + ".partial"));
    }

    // releaseMappedPages: a mapped tensor's pages leave the process (its resident size drops by about their
    // size) and read back the file's values; memory that is not a mapped file is never touched (MADV_DONTNEED
    // on anonymous memory would zero it).
    void releasedMappedPagesReadBackTheFile()
    {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/model.safetensors").toStdString();
        StateDict sd;
        sd["w"] = torch::randn({8 << 20}, torch::kFloat32); // 32 MB
        writeSafetensors(path, sd);
        auto residentMb = [] {
            std::ifstream statm("/proc/self/statm");
            long pages = 0, resident = 0;
            statm >> pages >> resident;
            return double(resident) * double(sysconf(_SC_PAGESIZE)) / double(1 << 20);
        };
        auto r = readSafetensors(path);
        const torch::Tensor w = r["w"];
        QVERIFY(torch::equal(w, sd["w"])); // every page touched: resident
        const double before = residentMb();
        releaseMappedPages(w.data_ptr(), uint64_t(w.nbytes()));
        const double after = residentMb();
        QVERIFY2(before - after > 24, qPrintable(QString("resident %1 MB -> %2 MB").arg(before).arg(after)));
        QVERIFY(torch::equal(w, sd["w"])); // faulted in again from the file

        std::vector<float> heap(size_t(4) << 20, 3.0f);
        releaseMappedPages(heap.data(), heap.size() * sizeof(float));
        QVERIFY(std::all_of(heap.begin(), heap.end(), [](float v) { return v == 3.0f; }));
        const torch::Tensor copy = sd["w"].clone();
        releaseMappedPages(copy.data_ptr(), uint64_t(copy.nbytes()));
        QVERIFY(torch::equal(copy, sd["w"]));
    }

    void safetensorsEqualsPickle()
    {
        auto a = load("tiny-junnyu"), b = load("tiny-safetensors");
        QVERIFY(b->weightsFile.find("model.safetensors") != std::string::npos);
        QVERIFY(torch::equal(a->wordEmbeddings, b->wordEmbeddings));
        for (size_t l = 0; l < a->layers.size(); ++l) {
            QVERIFY(torch::equal(a->layers[l].iDense, b->layers[l].iDense));
            QVERIFY(torch::equal(a->layers[l].oDense, b->layers[l].oDense));
            QVERIFY(torch::equal(a->layers[l].kGamma, b->layers[l].kGamma));
        }
    }

    void writeThenReadRoundTrips()
    {
        auto ck = load("tiny-neko");
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/pytorch_model.bin").toStdString();
        writeTorchZip(path, ck->stateDict());
        QVERIFY(!QFile::exists(QString::fromStdString(path + ".partial")));
        const auto back = readTorchZip(path);
        const auto orig = ck->stateDict();
        QCOMPARE(back.size(), orig.size());
        for (const auto &[k, t] : orig)
            QVERIFY2(torch::equal(back.at(k), t), k.c_str());
    }

    void tiedTensorsShareOneStorage()
    {
        // A tied decoder is the word-embedding tensor under a second key: written once, as torch.save
        // does, and read back as one storage.
        auto emb = torch::randn({300, 16});
        StateDict sd;
        sd["embeddings.word_embeddings.weight"] = emb;
        sd["cls.predictions.decoder.weight"] = emb;
        sd["other"] = torch::randn({300, 16});
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/pytorch_model.bin").toStdString();
        writeTorchZip(path, sd);
        const qint64 oneTensor = 300 * 16 * 4;
        QVERIFY2(QFileInfo(QString::fromStdString(path)).size() < 2 * oneTensor + oneTensor / 2,
                 "the tied tensor was written twice");
        const auto back = readTorchZip(path);
        QVERIFY(torch::equal(back.at("cls.predictions.decoder.weight"), emb));
        QCOMPARE(back.at("cls.predictions.decoder.weight").data_ptr(), back.at("embeddings.word_embeddings.weight").data_ptr());
        QVERIFY(back.at("other").data_ptr() != back.at("embeddings.word_embeddings.weight").data_ptr());
    }

    void brokenInputs_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("names");   // the file the message must name
        QTest::addColumn<QString>("reason");  // a word of the reason
        QTest::newRow("missing folder") << "bad/does-not-exist" << "does-not-exist" << "does not exist";
        QTest::newRow("no weights") << "bad/no-weights" << "no-weights" << "no weights";
        QTest::newRow("empty file") << "bad/empty" << "pytorch_model.bin" << "empty";
        QTest::newRow("truncated") << "bad/truncated" << "pytorch_model.bin" << "truncated";
        QTest::newRow("zip, not a checkpoint") << "bad/not-a-checkpoint" << "pytorch_model.bin" << "not a PyTorch checkpoint";
        QTest::newRow("legacy format") << "bad/legacy-format" << "pytorch_model.bin" << "legacy";
        QTest::newRow("hostile os.system") << "bad/hostile-pickle" << "pytorch_model.bin" << "refused";
        QTest::newRow("hostile eval") << "bad/hostile-eval" << "pytorch_model.bin" << "builtins.eval";
        QTest::newRow("missing key") << "bad/missing-key" << "pytorch_model.bin" << "layer.1.gau.o_dense";
        QTest::newRow("shape mismatch") << "bad/shape-mismatch" << "pytorch_model.bin" << "shape";
        QTest::newRow("NaN weights") << "bad/nan-weights" << "pytorch_model.bin" << "NaN";
        QTest::newRow("config not JSON") << "bad/bad-config" << "config.json" << "not valid JSON";
        QTest::newRow("safetensors offsets") << "bad/bad-safetensors" << "model.safetensors" << "offsets";
        // Headers claiming absurd sizes are refused before anything is allocated.
        QTest::newRow("absurd safetensors shape") << "bad/absurd-shape" << "model.safetensors" << "larger than the file";
        QTest::newRow("expanded view 2^20 x 2^20") << "bad/expanded-view" << "pytorch_model.bin" << "expanded views";
    }
    void brokenInputs()
    {
        QFETCH(QString, folder);
        QFETCH(QString, names);
        QFETCH(QString, reason);
        QFile::remove("/tmp/entroscope_pwned");
        try {
            Checkpoint::load(dataPath(folder).toStdString());
            QFAIL("loaded");
        } catch (const Error &e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(msg.contains(names), qPrintable(msg));
            QVERIFY2(msg.contains(reason), qPrintable(msg));
            QVERIFY2(!msg.contains('\n'), qPrintable(msg));
        }
        QVERIFY2(!QFile::exists("/tmp/entroscope_pwned"), "the hostile pickle ran");
    }

    void configDefaultsAndValidation()
    {
        auto c = GauConfig::fromJsonText("{}", "x.json");
        QCOMPARE(c.numLayers, int64_t{24});
        QCOMPARE(c.normalization, std::string("softmax_plus"));
        QCOMPARE(c.trainLength(), int64_t{512});
        QVERIFY_THROWS_EXCEPTION(Error, GauConfig::fromJsonText("{\"use_bias\": true}", "x.json"));
        QVERIFY_THROWS_EXCEPTION(Error, GauConfig::fromJsonText("{\"hidden_size\": \"big\"}", "x.json"));
        QVERIFY_THROWS_EXCEPTION(Error, GauConfig::fromJsonText("{\"normalization\": \"sparsemax\"}", "x.json"));
        QVERIFY_THROWS_EXCEPTION(Error, GauConfig::fromJsonText("[1, 2]", "x.json"));
        const auto back = GauConfig::fromJsonText(load("tiny-neko")->config.toJsonText(), "y.json");
        QCOMPARE(back.trainLength(), int64_t{16});
        QCOMPARE(*back.cosScaleValue, 8.0);
        QCOMPARE(back.normMethod, std::string("CosScale"));
    }
};

QTEST_GUILESS_MAIN(TestCheckpoint)
#include "tst_checkpoint.moc"
