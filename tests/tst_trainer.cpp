// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// The trainer (engine/trainer.h) on a tiny configuration, the SentencePiece trainer ABI, the Python
// round trip of a saved checkpoint, and the shipped demo models against their model cards.

#include "io/checkpoint.h"
#include "errors.h"
#include "model/gau_model.h"
#include "io/pickle_reader.h"
#include "test_util.h"
#include "text/tokenizer.h"
#include "train/trainer.h"

#include <torch/torch.h>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

using namespace entroscope;

namespace {

std::string readBytes(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TrainOptions tinyOptions()
{
    TrainOptions o;
    o.config.numLayers = 2;
    o.config.hiddenSize = 32;
    o.config.embeddingSize = 32;
    o.config.intermediateSize = 64;
    o.config.keySize = 16;
    o.trainLength = 16;
    o.batchSize = 8;
    o.steps = 30;
    o.lr = 3e-3;
    o.warmupSteps = 3;
    o.seed = 7;
    o.evalInterval = 10;
    o.evalWindows = 32;
    return o;
}

double maxDiff(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a.detach() - b.detach()).abs().max().item<double>();
}

} // namespace

class TestTrainer : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    std::string m_tokenizer; // trained once in initTestCase
    std::string m_corpus = testutil::dataPath("train/tiny_corpus.txt").toStdString();
    std::vector<int64_t> m_tokens;

    std::unique_ptr<Trainer> makeTrainer(const TrainOptions &o)
    {
        return std::make_unique<Trainer>(o, m_tokenizer, m_tokens, std::vector<int64_t>{});
    }

private Q_SLOTS:
    void initTestCase()
    {
        torch::set_num_threads(1); // bit-reproducible sums for the resume comparison
        QVERIFY(m_tmp.isValid());
        SentencePieceTrainOptions t;
        t.input = m_corpus;
        t.modelFile = (m_tmp.path() + "/tok/tokenizer.model").toStdString();
        t.vocabSize = 300;
        trainSentencePieceModel(t);
        m_tokenizer = t.modelFile;
        const auto tok = Tokenizer::fromSentencePieceFile(m_tokenizer);
        m_tokens = Trainer::encodeCorpus(*tok, m_corpus);
        QVERIFY(m_tokens.size() > 1000);
    }

    void tokenizerSpecialsAndDeterminism()
    {
        const auto tok = Tokenizer::fromSentencePieceFile(m_tokenizer);
        QCOMPARE(tok->vocabSize(), int64_t(300));
        QCOMPARE(tok->idToToken(0), std::string("[PAD]"));
        QCOMPARE(tok->padId(), int64_t(0));
        QCOMPARE(tok->unkId(), int64_t(1));
        QCOMPARE(tok->clsId(), int64_t(2));
        QCOMPARE(tok->sepId(), int64_t(3));
        QVERIFY(tok->maskId() >= 4);
        const auto ids = tok->encode("And God said [MASK] light");
        QVERIFY(std::find(ids.begin(), ids.end(), tok->maskId()) != ids.end());
        // Same input, same options, same place: the same bytes.
        const std::string first = readBytes(m_tokenizer);
        SentencePieceTrainOptions t;
        t.input = m_corpus;
        t.modelFile = m_tokenizer;
        t.vocabSize = 300;
        trainSentencePieceModel(t);
        QVERIFY(readBytes(m_tokenizer) == first);
    }

    void tokenizerErrors()
    {
        SentencePieceTrainOptions t;
        t.input = "/nonexistent/corpus.txt";
        t.modelFile = (m_tmp.path() + "/bad/x.model").toStdString();
        QVERIFY_THROWS_EXCEPTION(Error, trainSentencePieceModel(t));
        t.input = m_corpus;
        t.modelFile = (m_tmp.path() + "/bad/x.txt").toStdString();
        QVERIFY_THROWS_EXCEPTION(Error, trainSentencePieceModel(t));
    }

    void lossGoesDown()
    {
        auto trainer = makeTrainer(tinyOptions());
        const auto [before, accBefore] = trainer->evaluateHeldOut();
        QVERIFY(before > 0);
        const double first = trainer->trainStep();
        trainer->run();
        QCOMPARE(trainer->step(), int64_t(30));
        const auto [after, accAfter] = trainer->evaluateHeldOut();
        qInfo("held-out loss %.4f -> %.4f, accuracy %.3f -> %.3f; first train loss %.4f", before, after, accBefore,
              accAfter, first);
        QVERIFY(after < before - 0.5);
        QVERIFY(accAfter >= accBefore);
    }

    void saveLoadSameOutputs()
    {
        TrainOptions o = tinyOptions();
        o.qk = "cosscale:16";
        o.steps = 5;
        auto trainer = makeTrainer(o);
        trainer->run();
        const std::string dir = (m_tmp.path() + "/saved").toStdString();
        trainer->save(dir, false);
        QVERIFY(!QFile::exists(QString::fromStdString(dir + "/optimizer.pt")));
        auto loaded = Checkpoint::load(dir);
        QCOMPARE(loaded->config.normMethod, std::string("CosScale"));
        QCOMPARE(loaded->config.normalization, std::string("softmax"));
        QCOMPARE(loaded->config.trainLength(), int64_t(16));
        QVERIFY(loaded->config.cosScaleValue.has_value());
        QCOMPARE(*loaded->config.cosScaleValue, 16.0);
        QVERIFY(loaded->tokenizer);
        QCOMPARE(loaded->tokenizer->vocabSize(), int64_t(300));

        const auto ids = torch::tensor(std::vector<int64_t>(m_tokens.begin(), m_tokens.begin() + 40)).view({1, 40});
        // The loaded model with its native method (CosScale from config.json) = the in-memory model.
        const Method native = Method::preset("native", loaded->config.methodDefaults(), 16);
        QVERIFY(native.qk.cosScale);
        const auto a = GauModel(trainer->checkpoint()).logits(ids, trainer->method(), 16);
        const auto b = GauModel(loaded).logits(ids, native, 16);
        QCOMPARE(maxDiff(a, b), 0.0);
    }

    void resumeContinuesExactly()
    {
        TrainOptions o = tinyOptions();
        o.steps = 20;
        auto straight = makeTrainer(o);
        straight->run();

        TrainOptions half = o;
        auto first = makeTrainer(half);
        CancelToken cancel;
        first->run([&](const TrainProgress &p) {
            if (p.step == 10)
                cancel.cancel();
        }, &cancel);
        QCOMPARE(first->step(), int64_t(10));
        const std::string dir = (m_tmp.path() + "/resume").toStdString();
        first->save(dir, true);
        QVERIFY(QFile::exists(QString::fromStdString(dir + "/optimizer.pt")));

        TrainOptions other = o;
        other.seed = 99; // the saved options win
        auto second = makeTrainer(other);
        second->resume(dir);
        QCOMPARE(second->step(), int64_t(10));
        QCOMPARE(second->options().seed, uint64_t(7));
        second->run();
        QCOMPARE(second->step(), int64_t(20));

        const auto sa = straight->checkpoint()->stateDict();
        const auto sb = second->checkpoint()->stateDict();
        QCOMPARE(sa.size(), sb.size());
        for (const auto &[key, t] : sa)
            QVERIFY2(maxDiff(t, sb.at(key)) < 1e-5, key.c_str());

        // Saved without optimizer state: not resumable, with a message naming the folder.
        const std::string shipped = (m_tmp.path() + "/shipped").toStdString();
        second->save(shipped, false);
        auto third = makeTrainer(o);
        QVERIFY_THROWS_EXCEPTION(Error, third->resume(shipped));
    }

    void badOptions()
    {
        TrainOptions o = tinyOptions();
        o.qk = "cosscale:banana";
        QVERIFY_THROWS_EXCEPTION(Error, makeTrainer(o));
        o = tinyOptions();
        o.trainLength = 1;
        QVERIFY_THROWS_EXCEPTION(Error, makeTrainer(o));
        o = tinyOptions();
        o.trainLength = 1 << 20; // longer than the corpus
        QVERIFY_THROWS_EXCEPTION(Error, makeTrainer(o));
    }

    void pythonReadsTheCheckpoint()
    {
        if (!QFile::exists("/usr/bin/python3"))
            QSKIP("/usr/bin/python3 is not installed");
        QProcess probe;
        probe.start("/usr/bin/python3", {"-c", "import torch"});
        probe.waitForFinished(60000);
        if (probe.exitCode() != 0)
            QSKIP("python3-torch is not installed");

        TrainOptions o = tinyOptions();
        o.steps = 3;
        auto trainer = makeTrainer(o);
        trainer->run();
        const std::string dir = (m_tmp.path() + "/py").toStdString();
        trainer->save(dir, false);
        QProcess py;
        py.start("/usr/bin/python3",
                 {"-c",
                  "import sys, torch\n"
                  "sd = torch.load(sys.argv[1], map_location='cpu')\n"
                  "assert isinstance(sd, dict), type(sd)\n"
                  "for k in sorted(sd):\n"
                  "    t = sd[k]\n"
                  "    assert t.dtype == torch.float32, (k, t.dtype)\n"
                  "    print(k, ','.join(str(s) for s in t.shape), repr(float(t.double().sum())), repr(float(t.double().abs().max())))\n",
                  QString::fromStdString(dir + "/pytorch_model.bin")});
        QVERIFY(py.waitForFinished(120000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        std::map<std::string, std::tuple<std::string, double, double>> fromPython;
        for (const QByteArray &line : py.readAllStandardOutput().split('\n')) {
            const auto parts = line.trimmed().split(' ');
            if (parts.size() != 4)
                continue;
            fromPython[parts[0].toStdString()] = {parts[1].toStdString(), parts[2].toDouble(), parts[3].toDouble()};
        }
        const auto sd = readTorchZip(dir + "/pytorch_model.bin");
        QCOMPARE(fromPython.size(), sd.size());
        for (const auto &[key, t] : sd) {
            QVERIFY2(fromPython.count(key), key.c_str());
            std::string shape;
            for (int64_t s : t.sizes())
                shape += (shape.empty() ? "" : ",") + std::to_string(s);
            const auto &[pyShape, pySum, pyMax] = fromPython.at(key);
            QCOMPARE(pyShape, shape);
            const double sum = t.to(torch::kFloat64).sum().item<double>();
            const double mx = t.to(torch::kFloat64).abs().max().item<double>();
            QVERIFY2(std::abs(sum - pySum) <= 1e-9 * (1 + std::abs(sum)), key.c_str());
            QCOMPARE(mx, pyMax);
        }
        // And they are the trainer's tensors.
        const auto mine = trainer->checkpoint()->stateDict();
        for (const auto &[key, t] : sd)
            QCOMPARE(maxDiff(t, mine.at(key)), 0.0);
    }

    void shippedModelsMatchTheirCards_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("softmax") << "demo-softmax";
        QTest::newRow("cosscale") << "demo-cosscale";
    }

    void shippedModelsMatchTheirCards()
    {
        QFETCH(QString, name);
        const QString dir = QStringLiteral(ENTROSCOPE_SOURCE_DIR "/resources/models/") + name;
        if (!QFile::exists(dir + "/pytorch_model.bin"))
            QSKIP("the demo model is not built yet (scripts/make_demo_models.sh)");
        const auto state = testutil::readJson(dir + "/trainer_state.json").object();
        const auto options = state.value("options").toObject();
        const double cardAccuracy = state.value("last_held_out_accuracy").toDouble();
        const double cardLoss = state.value("last_held_out_loss").toDouble();

        auto ck = Checkpoint::load(dir.toStdString());
        QVERIFY(ck->tokenizer);
        QCOMPARE(ck->config.trainLength(), int64_t(64));
        QCOMPARE(ck->config.trainedWithCosScale(), name == "demo-cosscale");

        // The held-out text, unpacked with the system's gzip (the corpus is committed compressed).
        QProcess gz;
        gz.start("gzip", {"-dc", QStringLiteral(ENTROSCOPE_SOURCE_DIR "/resources/corpus/kjv-heldout.txt.gz")});
        QVERIFY(gz.waitForFinished(60000));
        QCOMPARE(gz.exitCode(), 0);
        std::vector<int64_t> tokens;
        for (const QByteArray &line : gz.readAllStandardOutput().split('\n')) {
            if (line.isEmpty())
                continue;
            const auto ids = ck->tokenizer->encode(line.toStdString());
            tokens.insert(tokens.end(), ids.begin(), ids.end());
        }
        const int64_t T = 64;
        const auto set = makeMlmEvalSet(tokens, T, options.value("eval_windows").toInteger(),
                                        static_cast<uint64_t>(options.value("seed").toInteger()),
                                        options.value("mask_prob").toDouble(), *ck->tokenizer);
        const Method native = Method::preset("native", ck->config.methodDefaults(), T);
        const auto [loss, accuracy] = evaluateMlmSet(GauModel(ck), native, T, set);
        qInfo("%s: held-out MLM at n=64: loss %.4f (card %.4f), accuracy %.4f (card %.4f)", qPrintable(name), loss,
              cardLoss, accuracy, cardAccuracy);
        QVERIFY(std::abs(accuracy - cardAccuracy) < 0.005);
        QVERIFY(std::abs(loss - cardLoss) < 0.02);
        QVERIFY(accuracy > 0.2); // a trained model, not random weights (chance is 1/4000)
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
