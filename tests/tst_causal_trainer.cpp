// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// The causal-LM trainer (engine/train/causal_trainer.h): its differentiable forward computes what the analysis
// forward (itself checked against the independent PyTorch reference in tst_llama) computes, training lowers the
// held-out loss, a saved folder is a Llama checkpoint that loads to the same logits, a resumed run continues as
// the uninterrupted one, bad options are refused, and the shipped causal demo model matches its card.

#include "errors.h"
#include "io/llama_checkpoint.h"
#include "io/pickle_reader.h"
#include "model/llama_model.h"
#include "test_util.h"
#include "text/sentencepiece_plugin.h"
#include "train/causal_trainer.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

using namespace entroscope;
using testutil::dataPath;

class TestCausalTrainer : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    std::string m_tokenizer;
    std::vector<int64_t> m_tokens;

    CausalTrainOptions tiny() const
    {
        CausalTrainOptions o;
        o.config = defaultCausalConfig();
        o.config.numLayers = 2;
        o.config.hiddenSize = 32;
        o.config.numHeads = 4;
        o.config.numKvHeads = 2;
        o.config.intermediateSize = 48;
        o.trainLength = 16;
        o.batchSize = 8;
        o.steps = 120;
        o.warmupSteps = 5;
        o.lr = 3e-3;
        o.evalInterval = 60;
        o.evalWindows = 32;
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        torch::set_num_threads(1); // bit-reproducible sums for the resume comparison
        QVERIFY(m_tmp.isValid());
        SentencePieceTrainOptions t;
        t.input = dataPath("train/tiny_corpus.txt").toStdString();
        t.modelFile = (m_tmp.path() + "/tok/tokenizer.model").toStdString();
        t.vocabSize = 300;
        trainSentencePieceModel(t);
        m_tokenizer = t.modelFile;
        m_tokens = Trainer::encodeCorpus(*Tokenizer::fromSentencePieceFile(m_tokenizer), t.input);
        QVERIFY(m_tokens.size() > 1000);
    }

    void trainingForwardIsTheAnalysisForward_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("n");
        QTest::newRow("gqa2") << "llama-gqa2" << 40;
        QTest::newRow("qwen2-bias") << "qwen2-bias-fp16" << 33;
        QTest::newRow("mistral-window") << "mistral-window-bin" << 48; // the model's own window inside n
        QTest::newRow("gqa4-sharded") << "llama-gqa4-bf16-sharded" << 20;
    }
    void trainingForwardIsTheAnalysisForward()
    {
        QFETCH(QString, name);
        QFETCH(int, n);
        const auto m = std::dynamic_pointer_cast<const LlamaModel>(
            loadAttentionModel(dataPath("llama/models/" + name).toStdString()));
        QVERIFY(m);
        const auto &c = m->checkpoint().config;
        std::vector<int64_t> ids;
        for (int i = 0; i < n; ++i)
            ids.push_back((7 * i * i + 3 * i + 1) % c.vocabSize);
        const Method rope = Method::parse("softmax", "plain", "rope", m->methodDefaults(), c.trainLength());
        const auto analysis = m->logits(ids, rope, c.trainLength());
        torch::NoGradGuard g;
        const auto h = m->trainingHidden(torch::tensor(ids, torch::kInt64).view({1, n}));
        const auto training = torch::matmul(h[0], m->checkpoint().lmHead.to(torch::kFloat32).t()); // 16-bit heads too
        const double diff = (training - analysis).abs().max().item<double>();
        qInfo("%s n=%d: max |training − analysis| logit difference %.2e", qPrintable(name), n, diff);
        QVERIFY(diff < 1e-4);
        // The batch dimension holds independent sequences: two copies give the same states (to BLAS blocking).
        const auto two = m->trainingHidden(torch::tensor(ids, torch::kInt64).view({1, n}).repeat({2, 1}));
        QVERIFY((two[0] - two[1]).abs().max().item<double>() < 1e-5);
        QVERIFY((two[0] - h[0]).abs().max().item<double>() < 1e-5);
    }

    void trainsSavesAndLoads()
    {
        CausalTrainer t(tiny(), m_tokenizer, m_tokens, {});
        const auto [before, accBefore] = t.evaluateHeldOut();
        t.run();
        const auto [after, accAfter] = t.evaluateHeldOut();
        qInfo("held-out next-token loss %.3f -> %.3f, accuracy %.3f -> %.3f", before, after, accBefore, accAfter);
        QVERIFY(before > 5.0); // ≈ ln 300 at random init
        QVERIFY(after < before - 1.0);

        const std::string dir = (m_tmp.path() + "/run").toStdString();
        t.save(dir, false);
        QVERIFY(QFile::exists(QString::fromStdString(dir) + "/model.safetensors"));
        QVERIFY(!QFile::exists(QString::fromStdString(dir) + "/optimizer.pt"));
        const auto sd = readSafetensors(dir + "/model.safetensors");
        QVERIFY(!sd.count("lm_head.weight")); // tied, not stored
        const auto model = loadAttentionModel(dir);
        const auto loaded = std::dynamic_pointer_cast<const LlamaModel>(model);
        QVERIFY(loaded);
        QCOMPARE(model->info().numHeads, 4);
        QCOMPARE(model->info().numKvHeads, 2);
        QCOMPARE(model->info().trainLength, int64_t(16));
        QVERIFY(model->info().causal);
        QVERIFY(model->tokenizer());
        QCOMPARE(model->tokenizer()->vocabSize(), int64_t(300));
        QVERIFY(loaded->checkpoint().config.tieWordEmbeddings);
        std::vector<int64_t> ids(m_tokens.begin(), m_tokens.begin() + 24);
        const Method rope = Method::parse("softmax", "plain", "rope", loaded->methodDefaults(), 16);
        const auto a = loaded->logits(ids, rope, 16);
        const auto b = t.model().logits(ids, rope, 16);
        QVERIFY(torch::equal(a, b));
        // The folder's held-out loss is the trainer's.
        QCOMPARE(evaluateCausalSet(*loaded, makeCausalEvalSet(std::vector<int64_t>(m_tokens.end() - 2000, m_tokens.end()), 16, 32)).first,
                 evaluateCausalSet(t.model(), makeCausalEvalSet(std::vector<int64_t>(m_tokens.end() - 2000, m_tokens.end()), 16, 32)).first);
    }

    void resumeContinuesTheRun()
    {
        auto o = tiny();
        o.steps = 12;
        CausalTrainer whole(o, m_tokenizer, m_tokens, {});
        whole.run();
        const std::string dir = (m_tmp.path() + "/resume").toStdString();
        {
            auto first = o;
            CausalTrainer half(first, m_tokenizer, m_tokens, {});
            for (int k = 0; k < 6; ++k)
                half.trainStep();
            half.save(dir, true);
        }
        CausalTrainer resumed(o, m_tokenizer, m_tokens, {});
        resumed.resume(dir);
        QCOMPARE(resumed.step(), int64_t(6));
        resumed.run();
        QCOMPARE(resumed.step(), int64_t(12));
        QVERIFY(torch::equal(resumed.checkpoint()->embed, whole.checkpoint()->embed));
        QVERIFY(torch::equal(resumed.checkpoint()->layers[1].down, whole.checkpoint()->layers[1].down));
        // A GAU-α trainer folder is not a causal one.
        QFile::remove(QString::fromStdString(dir) + "/trainer_state.json");
        QFile f(QString::fromStdString(dir) + "/trainer_state.json");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "entroscope-trainer-1", "step": 1})");
        f.close();
        try {
            CausalTrainer other(o, m_tokenizer, m_tokens, {});
            other.resume(dir);
            QFAIL("a masked-LM state resumed as causal");
        } catch (const Error &e) {
            QVERIFY2(QString(e.what()).contains("not a causal-LM trainer state"), e.what());
        }
    }

    void badOptions()
    {
        auto check = [&](CausalTrainOptions o, const char *needle) {
            try {
                CausalTrainer t(o, m_tokenizer, m_tokens, {});
                QFAIL(needle);
            } catch (const Error &e) {
                QVERIFY2(QString(e.what()).contains(needle), e.what());
            }
        };
        auto o = tiny();
        o.config.numKvHeads = 3;
        check(o, "--kv-heads: 3 does not divide --heads 4");
        o = tiny();
        o.config.numHeads = 5;
        check(o, "--heads: 5 does not divide --hidden 32");
        o = tiny();
        o.config.hiddenSize = 36;
        o.config.numHeads = 4;
        check(o, "must be even");
        o = tiny();
        o.trainLength = 1;
        check(o, "--train-length");
    }

    void shippedCausalDemoMatchesItsCard()
    {
        const QString dir = QStringLiteral(ENTROSCOPE_SOURCE_DIR "/resources/models/demo-llama");
        if (!QFile::exists(dir + "/model.safetensors"))
            QSKIP("the causal demo model is not built yet (scripts/make_demo_models.sh llama)");
        const auto state = testutil::readJson(dir + "/trainer_state.json").object();
        const auto options = state.value("options").toObject();
        const auto model = std::dynamic_pointer_cast<const LlamaModel>(loadAttentionModel(dir.toStdString()));
        QVERIFY(model);
        QVERIFY(model->tokenizer());
        QCOMPARE(model->info().trainLength, int64_t(64));
        QProcess gz;
        gz.start("gzip", {"-dc", QStringLiteral(ENTROSCOPE_SOURCE_DIR "/resources/corpus/kjv-heldout.txt.gz")});
        QVERIFY(gz.waitForFinished(60000));
        QCOMPARE(gz.exitCode(), 0);
        std::vector<int64_t> tokens;
        for (const QByteArray &line : gz.readAllStandardOutput().split('\n')) {
            if (line.isEmpty())
                continue;
            const auto ids = model->tokenizer()->encode(line.toStdString(), false);
            tokens.insert(tokens.end(), ids.begin(), ids.end());
        }
        const auto set = makeCausalEvalSet(tokens, 64, options.value("eval_windows").toInteger());
        const auto [loss, accuracy] = evaluateCausalSet(*model, set);
        const double cardLoss = state.value("last_held_out_loss").toDouble();
        const double cardAccuracy = state.value("last_held_out_accuracy").toDouble();
        qInfo("demo-llama: held-out next-token loss at n=64 %.4f (card %.4f), accuracy %.4f (card %.4f)", loss,
              cardLoss, accuracy, cardAccuracy);
        QVERIFY(std::abs(loss - cardLoss) < 0.02);
        QVERIFY(std::abs(accuracy - cardAccuracy) < 0.005);
        QVERIFY(accuracy > 0.15); // trained, not random (chance 1/4000)
    }
};

QTEST_GUILESS_MAIN(TestCausalTrainer)
#include "tst_causal_trainer.moc"
