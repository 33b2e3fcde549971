// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// entroscope-cli as a script uses it: the output contract of METHODS.md §5 and its errors.

#include "io/npy.h"
#include "test_util.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>

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
    if (!p.waitForFinished(120000))
        qFatal("entroscope-cli timed out");
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardError())};
}

QStringList idsArgs(const QJsonObject &c)
{
    QStringList ids;
    for (const auto &v : c["ids"].toArray())
        ids << QString::number(static_cast<qint64>(v.toDouble()));
    return {"--ids", ids.join(',')};
}

QJsonObject goldenCase(const QString &name)
{
    for (const auto &c : testutil::readJson(dataPath("golden/cases.json")).array())
        if (c.toObject()["name"].toString() == name)
            return c.toObject();
    qFatal("no golden case %s", qPrintable(name));
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void versionReportsFastBlasKernels()
    {
        // OpenBLAS 0.3.21 falls back to its SSE3 "Prescott" kernels on CPUs it does not know (e.g.
        // Sapphire Rapids); the CLI then re-executes itself with OPENBLAS_CORETYPE set.
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("OPENBLAS_CORETYPE"));
        env.remove(QStringLiteral("OMP_WAIT_POLICY"));
        env.remove(QStringLiteral("OPENBLAS_THREAD_TIMEOUT"));
        env.remove(QStringLiteral("ENTROSCOPE_CONFIGURED"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(ENTROSCOPE_CLI_PATH), {QStringLiteral("--version")});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(out.startsWith(QStringLiteral("entroscope-cli ")), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("kernels: ")), qPrintable(out));
        // LibTorch's OpenMP threads must not spin on the cores OpenBLAS needs (blas_check.h).
        QVERIFY2(out.contains(QStringLiteral("OpenMP wait policy: PASSIVE")), qPrintable(out));
        // ... nor OpenBLAS's idle threads on LibTorch's for 0.1 s after every product.
        QVERIFY2(out.contains(QStringLiteral("OpenBLAS thread timeout: 21")), qPrintable(out));
        __builtin_cpu_init();
        if (out.contains(QStringLiteral("openblas")) && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            QVERIFY2(!out.contains(QStringLiteral("kernels: Prescott")), qPrintable(out));
        // The user's own choices are kept.
        env.insert(QStringLiteral("OPENBLAS_CORETYPE"), QStringLiteral("Prescott"));
        env.insert(QStringLiteral("OMP_WAIT_POLICY"), QStringLiteral("ACTIVE"));
        env.insert(QStringLiteral("OPENBLAS_THREAD_TIMEOUT"), QStringLiteral("28"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(ENTROSCOPE_CLI_PATH), {QStringLiteral("--version")});
        QVERIFY(p.waitForFinished(60000));
        const QString pinned = QString::fromUtf8(p.readAllStandardOutput());
        if (pinned.contains(QStringLiteral("openblas")))
            QVERIFY2(pinned.contains(QStringLiteral("kernels: Prescott")), qPrintable(pinned));
        QVERIFY2(pinned.contains(QStringLiteral("OpenMP wait policy: ACTIVE")), qPrintable(pinned));
        QVERIFY2(pinned.contains(QStringLiteral("OpenBLAS thread timeout: 28")), qPrintable(pinned));
    }

    void summaryAndMapsMatchGolden_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("usePreset");
        QTest::newRow("junnyu native n64") << "junnyu__native__n64" << true;
        QTest::newRow("neko infoscale+cosscale n37") << "neko__infoscale+cosscale__n37" << true;
        QTest::newRow("neko lminfinite:2:8 axes") << "neko__lminfinite2-8__n64" << false;
        QTest::newRow("neko truncate") << "neko__native-truncate__n37" << false;
        QTest::newRow("n = 1") << "junnyu__native__n1" << true;
    }
    void summaryAndMapsMatchGolden()
    {
        QFETCH(QString, name);
        QFETCH(bool, usePreset);
        const auto c = goldenCase(name);
        QTemporaryDir tmp;
        const QString out = tmp.path() + "/out";
        QStringList args = {"analyze", "--model", dataPath("models/" + c["model"].toString()), "--length",
                            QString::number(c["length"].toInt()), "--fill", c["fill"].toString(), "--maps", "--out", out};
        args << idsArgs(c);
        if (usePreset && !c["preset"].isNull())
            args << "--preset" << c["preset"].toString();
        else
            args << "--temperature" << c["temperature"].toString() << "--qk" << c["qk"].toString() << "--position"
                 << c["position"].toString();
        const Run r = cli(args);
        QVERIFY2(r.status == 0, qPrintable(r.err));

        const auto got = testutil::readJson(out + "/summary.json").object();
        const auto want = testutil::readJson(dataPath("golden/" + name + "/summary.json")).object();
        QCOMPARE(got.keys(), want.keys());
        QCOMPARE(got["method"], want["method"]);
        QCOMPARE(got["tokens"], want["tokens"]);
        QCOMPARE(got["mlm_top1"], want["mlm_top1"]);
        QCOMPARE(got["length"], want["length"]);
        QCOMPARE(got["train_length"], want["train_length"]);
        QCOMPARE(got["key_size"], want["key_size"]);
        const auto gl = got["layers"].toArray(), wl = want["layers"].toArray();
        QCOMPARE(gl.size(), wl.size());
        for (int l = 0; l < gl.size(); ++l) {
            const auto g = gl[l].toObject(), w = wl[l].toObject();
            QCOMPARE(g.keys(), w.keys());
            for (const char *k : {"entropy_mean", "normalized_entropy_mean", "max_weight_mean", "k90_mean",
                                     "sink_mass_mean", "retained_mass_mean"}) {
                QCOMPARE(g[k].isNull(), w[k].isNull());
                QVERIFY2(std::fabs(g[k].toDouble() - w[k].toDouble()) < 2e-5, k);
            }
            const auto npyGot = entroscope::readNpy(QString("%1/attention_layer%2.npy").arg(out).arg(l).toStdString());
            const auto npyWant = entroscope::readNpy(dataPath(QString("golden/%1/attention_layer%2.npy").arg(name).arg(l)).toStdString());
            QCOMPARE(npyGot.descr, std::string("<f4"));
            QCOMPARE(npyGot.shape, npyWant.shape);
            for (size_t k = 0; k < npyGot.values.size(); ++k)
                QVERIFY(std::fabs(npyGot.values[k] - npyWant.values[k]) < 1e-5);
        }
        QCOMPARE(QDir(tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot), QStringList{"out"});
    }

    void llamaSummaryAndHeadMaps()
    {
        // METHODS.md §6: one summary entry per (layer, head), next_top1, attention_layer{L}_head{H}.npy.
        QJsonObject c;
        for (const auto &v : testutil::readJson(dataPath("llama/golden/cases.json")).array())
            if (v.toObject()["name"].toString() == "gqa2__infoscale__n40")
                c = v.toObject();
        QVERIFY(!c.isEmpty());
        QTemporaryDir tmp;
        const QString out = tmp.path() + "/out";
        QStringList args = {"analyze", "--model", dataPath("llama/models/llama-gqa2"), "--length", "40", "--preset",
                            "infoscale", "--maps", "--out", out};
        args << idsArgs(c);
        const Run r = cli(args);
        QVERIFY2(r.status == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("2 layers × 4 heads"), qPrintable(r.err));
        const auto got = testutil::readJson(out + "/summary.json").object();
        QVERIFY(got.contains("next_top1"));
        QVERIFY(!got.contains("mlm_top1"));
        QCOMPARE(got["next_top1"].toArray(), c["next_top1"].toArray());
        QCOMPARE(got["key_size"].toInt(), 8);
        QCOMPARE(got["train_length"].toInt(), 16);
        QCOMPARE(got["method"].toObject()["temperature"].toString(), QString("infoscale"));
        const auto gl = got["layers"].toArray(), wl = c["layers"].toArray();
        QCOMPARE(gl.size(), 8);
        for (int k = 0; k < gl.size(); ++k) {
            const auto g = gl[k].toObject(), w = wl[k].toObject();
            QCOMPARE(g["layer"].toInt(), w["layer"].toInt());
            QCOMPARE(g["head"].toInt(), w["head"].toInt());
            QVERIFY(g["retained_mass_mean"].isNull());
            QVERIFY(std::fabs(g["local_mass_mean"].toDouble() - w["local_mass_mean"].toDouble()) < 1e-5);
        }
        const auto maps = entroscope::readNpy(dataPath("llama/golden/gqa2__infoscale__n40/maps.npy").toStdString());
        for (int l = 0; l < 2; ++l)
            for (int h = 0; h < 4; ++h) {
                const auto npy = entroscope::readNpy(QString("%1/attention_layer%2_head%3.npy").arg(out).arg(l).arg(h).toStdString());
                QCOMPARE(npy.shape, (std::vector<int64_t>{40, 40}));
                for (size_t k = 0; k < npy.values.size(); ++k)
                    QVERIFY(std::fabs(npy.values[k] - maps.values[static_cast<size_t>((l * 4 + h) * 1600) + k]) < 1e-5);
            }
        QVERIFY(!QFile::exists(out + "/attention_layer0.npy"));
        // A broken Llama folder: one line naming the tensor, exit 2, no output left behind.
        const Run bad = cli({"analyze", "--model", dataPath("llama/bad/missing-tensor"), "--ids", "1,2,3", "--length", "8",
                             "--out", tmp.path() + "/bad"});
        QCOMPARE(bad.status, 2);
        QVERIFY2(bad.err.contains("model.layers.1.self_attn.k_proj.weight"), qPrintable(bad.err));
        QVERIFY(!QFile::exists(tmp.path() + "/bad"));
    }

    void textInput()
    {
        QTemporaryDir tmp;
        const Run r = cli({"analyze", "--model", dataPath("models/tiny-junnyu"), "--text", "今天天气很好，我要去公园玩。",
                           "--length", "16", "--out", tmp.path() + "/o"});
        QVERIFY2(r.status == 0, qPrintable(r.err));
        const auto tokens = testutil::readJson(tmp.path() + "/o/summary.json").object()["tokens"].toArray();
        QCOMPARE(tokens.size(), 16);
        QCOMPARE(tokens[0].toInt(), 317);  // 今
        QCOMPARE(tokens[6].toInt(), 7675); // ，
        QCOMPARE(tokens[13].toInt(), 179); // 。
        QCOMPARE(tokens[14].toInt(), 317); // tiled: 14 tokens, then 今 again
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("names");
        const QString m = dataPath("models/tiny-junnyu");
        const QStringList base = {"analyze", "--model", m, "--ids", "200,300,400"};
        QTest::newRow("length 0") << (base + QStringList{"--length", "0"}) << "--length";
        QTest::newRow("length negative") << (base + QStringList{"--length", "-5"}) << "--length";
        QTest::newRow("length not a number") << (base + QStringList{"--length", "12x"}) << "--length";
        QTest::newRow("length absurd") << (base + QStringList{"--length", "100000000000"}) << "needs about";
        QTest::newRow("unknown preset") << (base + QStringList{"--length", "8", "--preset", "magic"}) << "--preset";
        QTest::newRow("rerope:0") << (base + QStringList{"--length", "8", "--position", "rerope:0"}) << "--position";
        QTest::newRow("window:-3") << (base + QStringList{"--length", "8", "--position", "window:-3"}) << "--position";
        QTest::newRow("cosscale:abc") << (base + QStringList{"--length", "8", "--qk", "cosscale:abc"}) << "--qk";
        QTest::newRow("preset and axes") << (base + QStringList{"--length", "8", "--preset", "pi", "--qk", "plain"}) << "--preset";
        QTest::newRow("unknown fill") << (base + QStringList{"--length", "8", "--fill", "pad"}) << "--fill";
        QTest::newRow("truncate too short") << (base + QStringList{"--length", "8", "--fill", "truncate"}) << "fill truncate";
        QTest::newRow("id out of range") << QStringList{"analyze", "--model", m, "--ids", "1,99999", "--length", "4"} << "--ids";
        QTest::newRow("two inputs") << (base + QStringList{"--length", "4", "--text", "x"}) << "input";
        QTest::newRow("no input") << QStringList{"analyze", "--model", m, "--length", "4"} << "input";
        QTest::newRow("unknown option") << (base + QStringList{"--length", "4", "--colour", "red"}) << "--colour";
        QTest::newRow("missing model") << QStringList{"analyze", "--model", "/nonexistent/model", "--ids", "1", "--length", "4"} << "/nonexistent/model";
        QTest::newRow("hostile checkpoint") << QStringList{"analyze", "--model", dataPath("bad/hostile-pickle"), "--ids", "1", "--length", "4"} << "refused";
        QTest::newRow("NaN checkpoint") << QStringList{"analyze", "--model", dataPath("bad/nan-weights"), "--ids", "1", "--length", "4"} << "NaN";
        QTest::newRow("config not JSON") << QStringList{"analyze", "--model", dataPath("bad/bad-config"), "--ids", "1", "--length", "4"} << "config.json";
        QTest::newRow("text file missing") << QStringList{"analyze", "--model", m, "--text-file", "/nonexistent.txt", "--length", "4"} << "--text-file";
        QTest::newRow("unknown command") << QStringList{"analyse"} << "analyse";
    }
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, names);
        QTemporaryDir tmp;
        const QString out = tmp.path() + "/out";
        const Run r = cli(args + QStringList{"--out", out});
        QCOMPARE(r.status, 2);
        QVERIFY2(r.err.startsWith("entroscope-cli: "), qPrintable(r.err));
        QVERIFY2(r.err.contains(names), qPrintable(r.err));
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(QDir(tmp.path()).isEmpty(), "output left behind");
    }

    void existingOutputIsKeptUnlessOverwrite()
    {
        QTemporaryDir tmp;
        const QString out = tmp.path() + "/out";
        QDir().mkpath(out);
        QFile keep(out + "/mine.txt");
        QVERIFY(keep.open(QIODevice::WriteOnly));
        keep.write("precious");
        keep.close();
        const QStringList args = {"analyze", "--model", dataPath("models/tiny-junnyu"), "--ids", "200,300", "--length", "8", "--out", out};
        Run r = cli(args);
        QCOMPARE(r.status, 2);
        QVERIFY(r.err.contains("not empty"));
        QVERIFY(QFile::exists(out + "/mine.txt"));
        r = cli(args + QStringList{"--overwrite"});
        QVERIFY2(r.status == 0, qPrintable(r.err));
        QVERIFY(QFile::exists(out + "/summary.json"));
        QVERIFY(!QFile::exists(out + "/mine.txt"));
        QCOMPARE(QDir(tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot), QStringList{"out"});
    }

    void presetsAreListed()
    {
        QProcess p;
        p.start(QStringLiteral(ENTROSCOPE_CLI_PATH), {"presets"});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        for (const char *name : {"native", "extrapolate", "log-n", "infoscale", "cosscale", "infoscale+cosscale", "pi",
                                 "ntk", "yarn", "rerope", "window", "alibi", "streamingllm", "lminfinite"})
            QVERIFY2(out.contains(QString("\n%1\t").arg(name)) || out.startsWith(QString("%1\t").arg(name)), name);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
