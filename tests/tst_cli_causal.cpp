// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// entroscope-cli on a causal (Llama-architecture) model end to end: `train --arch llama` makes a folder that
// `evaluate` (next-token loss over all positions and beyond T, with intervals), `sweep` (per layer and head)
// and `compare` (JS divergence per layer and head) run on. Every figure is recomputed here from the engine's
// logits and attention maps — themselves checked against the PyTorch reference in tst_llama — with plain loops.

#include "model/llama_model.h"
#include "test_util.h"
#include "text/inputs.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <cmath>

using namespace entroscope;
using testutil::dataPath;

namespace {

struct Run
{
    int status = -1;
    QString err;
};

Run cli(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(ENTROSCOPE_CLI_PATH), args);
    if (!p.waitForFinished(300000))
        qFatal("entroscope-cli timed out");
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardError())};
}

/// A CSV file as rows of column → text.
std::vector<std::map<QString, QString>> readCsv(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    const auto lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    const auto header = lines.value(0).split(',');
    std::vector<std::map<QString, QString>> rows;
    for (int k = 1; k < lines.size(); ++k) {
        const auto cells = lines[k].split(',');
        std::map<QString, QString> row;
        for (int c = 0; c < header.size(); ++c)
            row[header[c]] = cells.value(c);
        rows.push_back(std::move(row));
    }
    return rows;
}

bool near(double a, double b, double tol = 1e-6) { return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b)); }

} // namespace

class TestCliCausal : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_model, m_docs;
    std::shared_ptr<const LlamaModel> m_llama;
    std::vector<std::vector<int64_t>> m_documents;

    Method method(const char *preset) const { return Method::preset(preset, m_llama->methodDefaults(), 16); }

private Q_SLOTS:
    void initTestCase()
    {
        torch::set_num_threads(1);
        QVERIFY(m_tmp.isValid());
        const QString corpus = dataPath("train/tiny_corpus.txt");
        const QString tok = m_tmp.path() + "/tok/tokenizer.model";
        Run r = cli({"train-tokenizer", "--corpus", corpus, "--vocab-size", "300", "--out", tok});
        QVERIFY2(r.status == 0, qPrintable(r.err));
        m_model = m_tmp.path() + "/causal";
        r = cli({"train", "--arch", "llama", "--corpus", corpus, "--tokenizer", tok, "--out", m_model, "--layers", "2",
                 "--hidden", "32", "--heads", "4", "--kv-heads", "2", "--intermediate", "48", "--train-length", "16",
                 "--steps", "30", "--batch", "8", "--lr", "3e-3", "--eval-interval", "15", "--eval-windows", "16",
                 "--threads", "1"});
        QVERIFY2(r.status == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("causal llama, 2 layers, hidden 32, 4 heads (2 KV) of size 8"), qPrintable(r.err));
        for (const char *f : {"config.json", "model.safetensors", "tokenizer.model", "trainer_state.json", "optimizer.pt"})
            QVERIFY2(QFile::exists(m_model + "/" + f), f);
        m_llama = std::dynamic_pointer_cast<const LlamaModel>(loadAttentionModel(m_model.toStdString()));
        QVERIFY(m_llama);

        // Eight documents: the corpus's first lines.
        QFile in(corpus);
        QVERIFY(in.open(QIODevice::ReadOnly));
        QStringList lines;
        while (lines.size() < 8 && !in.atEnd()) {
            const QString l = QString::fromUtf8(in.readLine()).trimmed();
            if (!l.isEmpty())
                lines << l;
        }
        m_docs = m_tmp.path() + "/docs.txt";
        QFile out(m_docs);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(lines.join('\n').toUtf8() + "\n");
        out.close();
        for (const auto &l : lines)
            m_documents.push_back(m_llama->tokenizer()->encode(l.toStdString(), false));
    }

    void trainResumesAndRefusesGauFlags()
    {
        Run r = cli({"train", "--resume", m_model, "--steps", "32", "--threads", "1"});
        QVERIFY2(r.status == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("resuming at step 30"), qPrintable(r.err));
        m_llama = std::dynamic_pointer_cast<const LlamaModel>(loadAttentionModel(m_model.toStdString()));
        r = cli({"train", "--arch", "llama", "--qk", "cosscale:8", "--corpus", "x", "--tokenizer", "y", "--out",
                 m_tmp.path() + "/bad"});
        QCOMPARE(r.status, 2);
        QVERIFY2(r.err.contains("--qk: only for --arch gau"), qPrintable(r.err));
        r = cli({"train", "--arch", "gau", "--resume", m_model});
        QVERIFY2(r.err.contains("holds a llama run"), qPrintable(r.err));
    }

    void evaluateNextToken()
    {
        const QString out = m_tmp.path() + "/ev";
        const Run r = cli({"evaluate", "--model", m_model, "--text-file", m_docs, "--lengths", "12,40", "--presets",
                           "extrapolate,infoscale", "--fill", "concat", "--out", out});
        QVERIFY2(r.status == 0, qPrintable(r.err));
        const auto rows = readCsv(out + "/evaluate.csv");
        QCOMPARE(rows.size(), size_t(4));
        for (const auto &row : rows) {
            const int64_t n = row.at("length").toLongLong();
            const Method m = method(row.at("preset").toUtf8().constData());
            const auto inputs = documentInputs(m_documents, n, "concat", "docs");
            // Plain loops over the engine's logits: cross-entropy and top-1 of token t+1 at every t.
            double lossSum = 0, beyondSum = 0;
            int64_t count = 0, correct = 0, beyond = 0, beyondCorrect = 0;
            std::vector<double> means, beyondMeans;
            for (const auto &ids : inputs) {
                const auto logits = m_llama->logits(ids, m, 16).to(torch::kFloat64);
                double docSum = 0, docBeyond = 0;
                for (int64_t t = 0; t + 1 < n; ++t) {
                    const auto row_ = logits[t];
                    const double lse = std::log(torch::exp(row_ - row_.max()).sum().item<double>()) + row_.max().item<double>();
                    const double ce = lse - row_[ids[static_cast<size_t>(t + 1)]].item<double>();
                    const bool top = row_.argmax().item<int64_t>() == ids[static_cast<size_t>(t + 1)];
                    docSum += ce;
                    lossSum += ce;
                    ++count;
                    correct += top;
                    if (t >= 16) {
                        docBeyond += ce;
                        beyondSum += ce;
                        ++beyond;
                        beyondCorrect += top;
                    }
                }
                means.push_back(docSum / double(n - 1));
                if (n - 1 > 16)
                    beyondMeans.push_back(docBeyond / double(n - 1 - 16));
            }
            auto se = [](const std::vector<double> &v) {
                double mean = 0, ss = 0;
                for (double x : v)
                    mean += x / double(v.size());
                for (double x : v)
                    ss += (x - mean) * (x - mean);
                return std::sqrt(ss / double(v.size() - 1)) / std::sqrt(double(v.size()));
            };
            QCOMPARE(row.at("documents").toLongLong(), static_cast<qint64>(inputs.size()));
            QCOMPARE(row.at("samples").toLongLong(), static_cast<qint64>(count));
            QVERIFY2(near(row.at("loss").toDouble(), lossSum / double(count)), qPrintable(row.at("loss")));
            QVERIFY(near(row.at("accuracy").toDouble(), double(correct) / double(count)));
            QVERIFY(near(row.at("loss_se").toDouble(), se(means), 1e-5));
            QVERIFY(near(row.at("perplexity").toDouble(), std::exp(lossSum / double(count))));
            QVERIFY(row.at("accuracy_low").toDouble() <= row.at("accuracy").toDouble());
            QVERIFY(row.at("accuracy_high").toDouble() >= row.at("accuracy").toDouble());
            QCOMPARE(row.at("samples_beyond_T").toLongLong(), static_cast<qint64>(beyond));
            if (n <= 17) {
                QVERIFY(row.at("loss_beyond_T").isEmpty());
            } else {
                QVERIFY(near(row.at("loss_beyond_T").toDouble(), beyondSum / double(beyond)));
                QVERIFY(near(row.at("accuracy_beyond_T").toDouble(), double(beyondCorrect) / double(beyond)));
                QVERIFY(near(row.at("loss_beyond_T_se").toDouble(), se(beyondMeans), 1e-5));
            }
        }
        // At n ≤ T every method but softmax_plus/squared_relu leaves a causal model unchanged (METHODS.md §6).
        QCOMPARE(rows[0].at("loss"), rows[1].at("loss"));
        const Run bad = cli({"evaluate", "--model", m_model, "--text-file", m_docs, "--lengths", "12", "--presets",
                             "extrapolate", "--positions", "4", "--out", m_tmp.path() + "/ev2"});
        QCOMPARE(bad.status, 2);
        QVERIFY2(bad.err.contains("--positions: a causal model is evaluated at every position"), qPrintable(bad.err));
    }

    void sweepAndComparePerHead()
    {
        const int64_t n = 40;
        const auto inputs = documentInputs(m_documents, n, "concat", "docs");
        const Method ext = method("extrapolate"), info = method("infoscale");
        auto analyzeFull = [&](const std::vector<int64_t> &ids, const Method &m) {
            AnalysisRequest req;
            req.method = m;
            req.trainLength = 16;
            req.fullMapLayers = {0, 1};
            return m_llama->analyze(ids, req);
        };

        const QString sw = m_tmp.path() + "/sw";
        Run r = cli({"sweep", "--model", m_model, "--documents", m_docs, "--lengths", "40", "--presets", "infoscale",
                     "--fill", "concat", "--out", sw});
        QVERIFY2(r.status == 0, qPrintable(r.err));
        int checked = 0;
        for (const auto &row : readCsv(sw + "/sweep.csv")) {
            if (row.at("metric") != "local_mass_mean")
                continue;
            const int layer = row.at("layer").toInt(), head = row.at("head").toInt();
            double mean = 0;
            for (const auto &ids : inputs)
                mean += analyzeFull(ids, info).layers[static_cast<size_t>(layer * 4 + head)].localMassMean / double(inputs.size());
            QVERIFY2(near(row.at("value").toDouble(), mean, 1e-9), qPrintable(row.at("value")));
            QCOMPARE(row.at("documents").toLongLong(), static_cast<qint64>(inputs.size()));
            ++checked;
        }
        QCOMPARE(checked, 8); // 2 layers × 4 heads

        const QString cmp = m_tmp.path() + "/cmp";
        r = cli({"compare", "--model", m_model, "--text-file", m_docs, "--length", "40", "--preset", "extrapolate",
                 "--preset", "infoscale", "--fill", "concat", "--out", cmp});
        QVERIFY2(r.status == 0, qPrintable(r.err));
        const auto a = analyzeFull(inputs[0], ext), b = analyzeFull(inputs[0], info);
        const auto rows = readCsv(cmp + "/compare.csv");
        QCOMPARE(rows.size(), size_t(8));
        for (const auto &row : rows) {
            const int layer = row.at("layer").toInt(), head = row.at("head").toInt();
            auto full = [&](const AnalysisResult &res) -> const float * {
                for (const auto &m : res.maps)
                    if (m.layer == layer && m.head == head && m.pool == 1)
                        return m.data.data();
                qFatal("no full map of layer %d head %d", layer, head);
            };
            const float *pa = full(a), *pb = full(b);
            double js = 0;
            for (int64_t i = 0; i < n; ++i)
                for (int64_t j = 0; j < n; ++j) {
                    const double x = pa[i * n + j], y = pb[i * n + j], mid = 0.5 * (x + y);
                    if (x > 0)
                        js += 0.5 * x * std::log(x / mid);
                    if (y > 0)
                        js += 0.5 * y * std::log(y / mid);
                }
            js /= double(n);
            QVERIFY2(near(row.at("js_divergence").toDouble(), js, 1e-4), qPrintable(row.at("js_divergence") + " vs " + QString::number(js)));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliCausal)
#include "tst_cli_causal.moc"
