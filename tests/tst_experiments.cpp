// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Method comparison and the MLM evaluation against the PyTorch reference, and the sweep command's
// files: schema, resume, and an interruption that keeps what finished.

#include "errors.h"
#include "analysis/experiments.h"
#include "analysis/view_analysis.h"
#include "test_util.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <torch/torch.h>

#include <csignal>

using namespace entroscope;
using testutil::dataPath;

namespace {

std::vector<std::vector<int64_t>> docsOf(const QJsonArray &a)
{
    std::vector<std::vector<int64_t>> docs;
    for (const auto &d : a)
        docs.push_back(testutil::toIds(d.toArray()));
    return docs;
}

QStringList sweepArgs(const QString &out, const QString &lengths)
{
    return {"sweep", "--model", dataPath("models/tiny-neko"), "--ids", "300,400,500,600,700", "--lengths", lengths,
            "--presets", "extrapolate,infoscale", "--out", out};
}

int runCli(const QStringList &args, QString *err = nullptr)
{
    QProcess p;
    p.start(QStringLiteral(ENTROSCOPE_CLI_PATH), args);
    p.waitForFinished(300000);
    if (err)
        *err = QString::fromUtf8(p.readAllStandardError());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

} // namespace

class TestExperiments : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(2); }

    void compareMatchesReference_data()
    {
        QTest::addColumn<QJsonObject>("spec");
        for (const auto &c : testutil::readJson(dataPath("golden/experiments.json")).object()["compare"].toArray()) {
            const auto o = c.toObject();
            const QString name = QString("%1 %2 vs %3 n=%4").arg(o["model"].toString(), o["a"].toString(), o["b"].toString()).arg(o["length"].toInt());
            QTest::newRow(qPrintable(name)) << o;
        }
    }
    // The one-pass comparison (each method analysed once, keeping its layer inputs; JS recomputed block by
    // block from them) against the PyTorch reference's JS over full maps.
    void compareMatchesReference()
    {
        QFETCH(QJsonObject, spec);
        auto ck = Checkpoint::load(dataPath("models/" + spec["model"].toString()).toStdString());
        const int64_t T = ck->config.trainLength();
        const auto ids = fillToLength(testutil::toIds(spec["ids"].toArray()), spec["length"].toInt(), "tile");
        const GauModel model(ck);
        const Method ma = Method::preset(spec["a"].toString().toStdString(), ck->config.methodDefaults(), T);
        const Method mb = Method::preset(spec["b"].toString().toStdString(), ck->config.methodDefaults(), T);
        AnalysisRequest req;
        req.trainLength = T;
        req.mlmTop1 = false;
        req.keepLayerInputs = true;
        req.method = ma;
        const auto ra = model.analyze(ids, req);
        req.method = mb;
        const auto rb = model.analyze(ids, req);
        QVERIFY(ra.layerInputs && rb.layerInputs);
        const auto js = model.jsDivergence(*ra.layerInputs, ma, *rb.layerInputs, mb, T);
        const auto want = spec["js_per_layer"].toArray();
        QCOMPARE(static_cast<int>(js.size()), want.size());
        for (int l = 0; l < want.size(); ++l)
            QVERIFY2(std::fabs(js[static_cast<size_t>(l)] - want[l].toDouble()) < 1e-5,
                     qPrintable(QString("layer %1: %2 vs %3").arg(l).arg(js[static_cast<size_t>(l)]).arg(want[l].toDouble())));
        // The same figures accumulated inside b's analysis while its rows exist (a's rows recomputed from
        // a's layer inputs next to each block), as compare and the workbench compute them.
        req.keepLayerInputs = false;
        req.jsInputs = ra.layerInputs;
        req.jsMethod = ma;
        req.blockRows = 16; // several blocks per layer
        const auto inPass = model.analyze(ids, req).jsDivergence;
        QCOMPARE(static_cast<int>(inPass.size()), want.size());
        for (int l = 0; l < want.size(); ++l)
            QVERIFY2(std::fabs(inPass[static_cast<size_t>(l)] - want[l].toDouble()) < 1e-5,
                     qPrintable(QString("in the pass, layer %1: %2 vs %3").arg(l).arg(inPass[static_cast<size_t>(l)]).arg(want[l].toDouble())));

        // The workbench's view job (runViewTasks): both methods at n with the JS in b's pass, then with b known
        // (cached) and only a to run, the JS in a pass of its own. Pieces arrive in task order; progress is the
        // whole job's and never goes back.
        ViewTasks job;
        job.tokens = testutil::toIds(spec["ids"].toArray());
        job.fill = "tile";
        job.methods = {ma, mb};
        job.trainLength = T;
        job.length = spec["length"].toInt();
        job.tasks = {{"a", 0, job.length, true}, {"b", 1, job.length, true}};
        job.jsNeeded = true;
        for (int known = 0; known < 2; ++known) {
            std::vector<std::string> pieces;
            std::shared_ptr<const AnalysisResult> b;
            double last = 0;
            bool monotone = true;
            const auto viewJs = runViewTasks(
                model, job,
                [&](double f, const std::string &) {
                    monotone = monotone && f >= last - 1e-12 && f <= 1 + 1e-12;
                    last = f;
                },
                [&](const ViewTask &task, std::shared_ptr<const AnalysisResult> r) {
                    pieces.push_back(task.key);
                    QCOMPARE(r->length, job.length);
                    QVERIFY(r->layerInputs); // GAU-α keeps them at every n
                    if (task.key == "b")
                        b = r;
                },
                nullptr);
            QVERIFY(monotone);
            const std::vector<std::string> wantPieces = known ? std::vector<std::string>{"a"}
                                                              : std::vector<std::string>{"a", "b"};
            QVERIFY(pieces == wantPieces);
            QCOMPARE(static_cast<int>(viewJs.size()), want.size());
            for (int l = 0; l < want.size(); ++l)
                QVERIFY2(std::fabs(viewJs[static_cast<size_t>(l)] - want[l].toDouble()) < 1e-5,
                         qPrintable(QString("view job (b %1), layer %2: %3 vs %4").arg(known ? "known" : "computed").arg(l)
                                        .arg(viewJs[static_cast<size_t>(l)]).arg(want[l].toDouble())));
            job.known[1] = b;
            job.tasks = {{"a", 0, job.length, true}};
        }
        // A method against itself diverges by nothing.
        const auto self = model.jsDivergence(*ra.layerInputs, ma, *ra.layerInputs, ma, T);
        for (double v : self)
            QVERIFY2(v < 1e-6, qPrintable(QString::number(v)));
    }

    // Exact rows recomputed from the layer inputs equal the rows the analysis kept in its full maps, for
    // every kind of method the forward has a separate path for.
    void exactRowsEqualTheAnalysisRows_data()
    {
        QTest::addColumn<QString>("method");
        QTest::newRow("softmax rope") << "extrapolate";
        QTest::newRow("infoscale cosscale") << "infoscale";
        QTest::newRow("squared relu") << "squared_relu,plain,rope";
        QTest::newRow("rerope (clamped)") << "softmax,plain,rerope:16";
        QTest::newRow("window + sinks, visible keys") << "infoscale,plain,lminfinite:2:16,visible";
        QTest::newRow("alibi") << "softmax,plain,alibi:0.1";
    }
    void exactRowsEqualTheAnalysisRows()
    {
        QFETCH(QString, method);
        auto ck = Checkpoint::load(dataPath("models/tiny-neko").toStdString());
        const int64_t T = ck->config.trainLength();
        const GauModel model(ck);
        const Method m = Method::fromString(method.toStdString(), ck->config.methodDefaults(), T);
        const int64_t n = 150;
        const auto ids = fillToLength({300, 400, 500, 600, 700, 800, 900}, n, "tile");
        AnalysisRequest req;
        req.method = m;
        req.trainLength = T;
        req.mlmTop1 = false;
        req.keepLayerInputs = true;
        req.blockRows = 32; // blocks that do not line up with the rows asked for below
        for (int l = 0; l < ck->config.numLayers; ++l)
            req.fullMapLayers.push_back(l);
        const auto r = model.analyze(ids, req);
        QVERIFY(r.layerInputs);
        QCOMPARE(r.layerInputs->layers.size(), size_t(ck->config.numLayers));
        for (const auto &map : r.maps) {
            const int64_t row0 = 37, rows = 50;
            const auto exact = model.attentionRows(*r.layerInputs, map.layer, m, T, row0, rows);
            QCOMPARE(exact.size(), size_t(rows * n));
            double worst = 0;
            for (int64_t i = 0; i < rows; ++i)
                for (int64_t j = 0; j < n; ++j)
                    worst = std::max(worst, std::fabs(double(exact[size_t(i * n + j)]) - map.at(int(row0 + i), int(j))));
            QVERIFY2(worst < 1e-6, qPrintable(QString("layer %1: max |diff| %2").arg(map.layer).arg(worst)));
        }
        // Bad ranges and layers are one clear error each.
        try {
            model.attentionRows(*r.layerInputs, 0, m, T, n - 2, 5);
            QFAIL("rows past n were accepted");
        } catch (const Error &e) {
            QVERIFY2(QString(e.what()).contains("outside the 150 queries"), e.what());
        }
        try {
            model.attentionRows(*r.layerInputs, 99, m, T, 0, 1);
            QFAIL("layer 99 was accepted");
        } catch (const Error &e) {
            QVERIFY2(QString(e.what()).contains("layer 99 does not exist"), e.what());
        }
    }

    void evaluationMatchesReference_data()
    {
        QTest::addColumn<QJsonObject>("spec");
        for (const auto &c : testutil::readJson(dataPath("golden/experiments.json")).object()["evaluate"].toArray()) {
            const auto o = c.toObject();
            QTest::newRow(qPrintable(QString("%1 %2 n=%3 positions=%4").arg(o["model"].toString(), o["preset"].toString())
                                         .arg(o["length"].toInt()).arg(o["positions"].toInt())))
                << o;
        }
    }
    void evaluationMatchesReference()
    {
        QFETCH(QJsonObject, spec);
        auto ck = Checkpoint::load(dataPath("models/" + spec["model"].toString()).toStdString());
        const int64_t T = ck->config.trainLength();
        const auto r = evaluateMlm(GauModel(ck), docsOf(spec["document_tokens"].toArray()), spec["length"].toInt(),
                                   Method::preset(spec["preset"].toString().toStdString(), ck->config.methodDefaults(), T), T,
                                   spec["positions"].toInt(), spec["fill"].toString().toStdString(), 3);
        QCOMPARE(r.samples, static_cast<int64_t>(spec["samples"].toInt()));
        QCOMPARE(r.documents, static_cast<int64_t>(spec["documents"].toInt()));
        QCOMPARE(r.accuracy, spec["accuracy"].toDouble());
        QVERIFY2(std::fabs(r.loss - spec["loss"].toDouble()) < 1e-4 * spec["loss"].toDouble(),
                 qPrintable(QString("%1 vs %2").arg(r.loss).arg(spec["loss"].toDouble())));
        QVERIFY(std::fabs(r.accuracyLow - spec["accuracy_low"].toDouble()) < 1e-9);
        QVERIFY(std::fabs(r.accuracyHigh - spec["accuracy_high"].toDouble()) < 1e-9);
        QCOMPARE(r.lossSe.has_value(), !spec["loss_se"].isNull());
        if (r.lossSe)
            QVERIFY2(std::fabs(*r.lossSe - spec["loss_se"].toDouble()) < 1e-3 * std::max(1e-3, spec["loss_se"].toDouble()),
                     qPrintable(QString("loss_se %1 vs %2").arg(*r.lossSe).arg(spec["loss_se"].toDouble())));
    }

    void evaluationPositionsFollowTheSpec()
    {
        // METHODS.md §3: (floor((k + 0.5) n / K) + d floor(n / (K D))) mod n; all n when K <= 0 or K >= n.
        QCOMPARE(evaluationPositions(5, 0), (std::vector<int64_t>{0, 1, 2, 3, 4}));
        QCOMPARE(evaluationPositions(64, 4), (std::vector<int64_t>{8, 24, 40, 56}));
        QCOMPARE(evaluationPositions(64, 4, 1, 2), (std::vector<int64_t>{16, 32, 48, 0}));
        QCOMPARE(evaluationPositions(37, 4), (std::vector<int64_t>{4, 13, 23, 32}));
        QCOMPARE(evaluationPositions(4, 10), (std::vector<int64_t>{0, 1, 2, 3}));
        // Neither end is favoured: with K = 4 no position is 0 or n - 1 for the first document.
        for (auto p : evaluationPositions(1024, 4))
            QVERIFY(p != 0 && p != 1023);
    }

    void wilsonIntervalAndStandardError()
    {
        // Reference values: Wilson 95 % for 3/10 is [0.1078, 0.6032]; for 0/20 [0, 0.1611].
        auto ci = wilsonInterval(3, 10);
        QVERIFY(std::fabs(ci.low - 0.10779) < 1e-4 && std::fabs(ci.high - 0.60322) < 1e-4);
        ci = wilsonInterval(0, 20);
        QVERIFY(ci.low == 0.0 && std::fabs(ci.high - 0.16113) < 1e-4);
        // Exactly 0 with no hit and 1 with all (the formula leaves a residue: 4.3e-19 at 0/768).
        QCOMPARE(wilsonInterval(0, 768).low, 0.0);
        QCOMPARE(wilsonInterval(768, 768).high, 1.0);
        QVERIFY(wilsonInterval(768, 768).low > 0.99 && wilsonInterval(0, 768).high < 0.01);
        const auto ms = meanAndStandardError({1.0, 2.0, 3.0, 4.0});
        QCOMPARE(ms.mean, 2.5);
        QVERIFY(ms.se && std::fabs(*ms.se - std::sqrt(5.0 / 3.0) / 2.0) < 1e-12);
        QVERIFY(!meanAndStandardError({7.0}).se);
    }

    void concatUsesEveryStartWithEnoughTokens()
    {
        const std::vector<std::vector<int64_t>> docs = {{1, 2, 3}, {4, 5}, {6}, {7, 8}};
        QCOMPARE(concatFrom(docs, 1, 4).value(), (std::vector<int64_t>{4, 5, 6, 7}));
        QVERIFY(!concatFrom(docs, 2, 4));
        const auto inputs = documentInputs(docs, 4, "concat", "docs.txt");
        QCOMPARE(inputs.size(), size_t{2}); // starts 0 and 1; from 2 on fewer than 4 tokens are left
        QCOMPARE(inputs[0], (std::vector<int64_t>{1, 2, 3, 4}));
        try {
            documentInputs(docs, 9, "concat", "docs.txt");
            QFAIL("no error");
        } catch (const Error &e) {
            QVERIFY2(QString(e.what()).startsWith("docs.txt:"), e.what());
        }
        QCOMPARE(fillToLength({1, 2, 3}, 2, "concat"), (std::vector<int64_t>{1, 2}));
        QVERIFY_THROWS_EXCEPTION(Error, fillToLength({1, 2, 3}, 5, "concat"));
        QCOMPARE(splitDocuments("a b\n\n  \r\nc\r\n"), (std::vector<std::string>{"a b", "c"}));
    }

    void sweepCsvSchema()
    {
        QTemporaryDir tmp;
        const QString out = tmp.path() + "/sweep";
        QString err;
        QCOMPARE(runCli(sweepArgs(out, "8,16,40"), &err), 0);
        QFile csv(out + "/sweep.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const auto lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines[0], QString("length,preset,temperature,qk,position,key_count,layer,head,metric,value,se,documents"));
        // 3 lengths x 2 presets x 3 layers; 6 scalar metrics, + retained & dilution when n >= T (16),
        // + distance bins (n=8: 4, n=16: 5, n=40: 7).
        const int expected = 2 * 3 * ((6 + 4) + (6 + 2 + 5) + (6 + 2 + 7));
        QCOMPARE(lines.size() - 1, expected);
        for (const auto &l : lines.mid(1)) {
            QCOMPARE(l.count(','), 11);
            QVERIFY2(l.endsWith(",,1"), qPrintable(l)); // one input: no standard error, one document
        }
        const auto j = testutil::readJson(out + "/sweep.json").object();
        QVERIFY(j["complete"].toBool());
        QCOMPARE(j["points"].toArray().size(), 6);
    }

    void sweepOverDocumentsReportsMeanAndStandardError()
    {
        // Three documents (5, 6 and 7 tokens of tiny-neko's character vocabulary).
        QTemporaryDir tmp;
        const QStringList lines = {QString::fromUtf8("店庙庚府庞"), QString::fromUtf8("废庠庥度座店"),
                                   QString::fromUtf8("府庞废庠庥度座")};
        QFile f(tmp.path() + "/docs.txt");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write((lines.join("\n") + "\n\n").toUtf8());
        f.close();
        const QString model = dataPath("models/tiny-neko");
        auto sweepJson = [&](const QStringList &extra, const QString &name) {
            const QString out = tmp.path() + "/" + name;
            QString err;
            const int rc = runCli(QStringList{"sweep", "--model", model, "--lengths", "8", "--presets", "extrapolate",
                                              "--out", out} + extra, &err);
            if (rc != 0)
                qWarning("%s", qPrintable(err));
            return testutil::readJson(out + "/sweep.json").object()["points"].toArray()[0].toObject();
        };
        const auto all = sweepJson({"--documents", f.fileName()}, "all");
        QCOMPARE(all["documents"].toInt(), 3);
        std::vector<QJsonObject> single;
        for (int d = 0; d < 3; ++d)
            single.push_back(sweepJson({"--text", lines[d]}, QString("doc%1").arg(d)));
        const auto layers = all["layers"].toArray();
        QCOMPARE(layers.size(), 3);
        for (int l = 0; l < layers.size(); ++l) {
            for (const char *metric : {"entropy_mean", "k90_mean", "local_mass_mean", "retained_mass_mean"}) {
                std::vector<double> v;
                for (const auto &s : single)
                    v.push_back(s["layers"].toArray()[l].toObject()[metric].toDouble());
                const double mean = (v[0] + v[1] + v[2]) / 3;
                double ss = 0;
                for (double x : v)
                    ss += (x - mean) * (x - mean);
                const double se = std::sqrt(ss / 2) / std::sqrt(3.0);
                const auto lj = layers[l].toObject();
                QVERIFY2(std::fabs(lj[metric].toDouble() - mean) < 1e-9, metric);
                QVERIFY2(std::fabs(lj["se"].toObject()[metric].toDouble() - se) < 1e-9, metric);
            }
        }
        // concat at n = 10: starts 0 (5 + 6 tokens) and 1 (6 + 7); start 2 holds only 7 tokens.
        const auto concat = [&] {
            const QString out = tmp.path() + "/concat10";
            QString err;
            runCli({"sweep", "--model", model, "--lengths", "10", "--presets", "extrapolate", "--documents", f.fileName(),
                    "--fill", "concat", "--out", out}, &err);
            return testutil::readJson(out + "/sweep.json").object()["points"].toArray()[0].toObject();
        }();
        QCOMPARE(concat["documents"].toInt(), 2);
        // evaluate reports the documents and the uncertainty columns.
        const QString ev = tmp.path() + "/evaluate";
        QString err;
        QCOMPARE(runCli({"evaluate", "--model", model, "--text-file", f.fileName(), "--lengths", "10", "--fill", "concat",
                         "--method", "softmax,plain,window:3", "--positions", "2", "--out", ev},
                        &err),
                 0);
        QFile csv(ev + "/evaluate.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const auto rows = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(rows[0], QString("length,preset,temperature,qk,position,key_count,fill,samples,documents,accuracy,"
                                  "accuracy_low,accuracy_high,loss,loss_se,perplexity"));
        // A method string with commas is quoted (RFC 4180), so the row keeps its 15 columns.
        QVERIFY2(rows[1].startsWith("10,\"softmax,plain,window:3\",softmax,plain,window:3,rows,concat,"), qPrintable(rows[1]));
        QCOMPARE(rows[1].split("\",")[1].count(QLatin1Char(',')), 12);
    }

    void sweepResumesWhereItStopped()
    {
        QTemporaryDir tmp;
        const QString out = tmp.path() + "/sweep";
        QCOMPARE(runCli(sweepArgs(out, "8,16")), 0);
        QFile f(out + "/sweep.csv");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray full = f.readAll();
        f.close();
        // Drop the last point as an interrupted run would have, then run the same command again.
        auto j = testutil::readJson(out + "/sweep.json").object();
        auto points = j["points"].toArray();
        points.removeLast();
        j["points"] = points;
        j["complete"] = false;
        QFile w(out + "/sweep.json");
        QVERIFY(w.open(QIODevice::WriteOnly | QIODevice::Truncate));
        w.write(QJsonDocument(j).toJson());
        w.close();
        QString err;
        QCOMPARE(runCli(sweepArgs(out, "8,16"), &err), 0);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), full);
        // Other settings in the same folder are refused, not mixed in.
        QCOMPARE(runCli(sweepArgs(out, "8,32"), &err), 2);
        QVERIFY2(err.contains("other settings"), qPrintable(err));
    }

    void interruptedSweepKeepsFinishedPoints()
    {
        QTemporaryDir tmp;
        const QString out = tmp.path() + "/sweep";
        QProcess p;
        p.start(QStringLiteral(ENTROSCOPE_CLI_PATH), sweepArgs(out, "16,2048,4096,8192,8192,16384"));
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(out + "/sweep.json"), 120000);
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 130);
        const auto j = testutil::readJson(out + "/sweep.json").object();
        QVERIFY(!j["complete"].toBool());
        const int finished = j["points"].toArray().size();
        QVERIFY(finished >= 1 && finished < 12);
        QFile csv(out + "/sweep.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QSet<QString> keys;
        for (const auto &line : QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts).mid(1))
            keys.insert(line.section(',', 0, 1));
        QCOMPARE(keys.size(), finished); // the CSV holds exactly the finished points
        QVERIFY(QDir(out).entryList({"*.partial"}, QDir::Files).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestExperiments)
#include "tst_experiments.moc"
