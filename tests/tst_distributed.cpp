// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// evaluate and sweep split over processes (app/distributed.h, app/cli_runs.h): under mpirun -np 2, as
// --shard K/N + merge, and with a rank that is killed or fails, the results files are the bytes one process
// writes. The CLI runs as a subprocess, as a user runs it.

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <unistd.h>

#ifndef ENTROSCOPE_MPIEXEC
#define ENTROSCOPE_MPIEXEC ""
#endif

namespace {

const QString kModel = QStringLiteral(ENTROSCOPE_TEST_DATA "/models/tiny-neko");

struct Run
{
    int code = -1;
    QString err;
};

Run run(const QString &program, const QStringList &args, int timeoutMs = 300000)
{
    QProcess p;
    p.start(program, args);
    p.waitForFinished(timeoutMs);
    Run r;
    r.err = QString::fromUtf8(p.readAllStandardError()) + QString::fromUtf8(p.readAllStandardOutput());
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

Run cli(const QStringList &args) { return run(QStringLiteral(ENTROSCOPE_CLI_PATH), args); }

/// mpirun's own options: as root (CI) it must be allowed; 2 ranks on fewer cores must be allowed.
QStringList mpiOptions()
{
    QStringList o{"--oversubscribe"};
    if (geteuid() == 0)
        o << "--allow-run-as-root";
    return o;
}

Run mpirun(int ranks, const QStringList &args)
{
    return run(QStringLiteral(ENTROSCOPE_MPIEXEC),
               mpiOptions() + QStringList{"-np", QString::number(ranks), QStringLiteral(ENTROSCOPE_CLI_PATH)} + args);
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QJsonObject readObject(const QString &path) { return QJsonDocument::fromJson(readAll(path)).object(); }

/// Six documents of tiny-neko's character vocabulary, of different lengths.
QString writeDocuments(const QTemporaryDir &dir)
{
    const QString path = dir.filePath("docs.txt");
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write("in the beginning god created the heaven and the earth\n"
            "and the earth was without form and void and darkness was upon the face of the deep\n"
            "and god said let there be light and there was light\n"
            "and god saw the light that it was good and god divided the light from the darkness\n"
            "and the evening and the morning were the first day\n"
            "and god called the firmament heaven and the evening and the morning were the second day\n");
    return path;
}

QStringList evaluateArgs(const QString &docs, const QString &out)
{
    return {"evaluate", "--model", kModel, "--text-file", docs, "--lengths", "32,64,96", "--presets",
            "extrapolate,infoscale", "--positions", "all", "--batch", "8", "--threads", "1", "--out", out};
}

QStringList sweepArgs(const QString &docs, const QString &out)
{
    return {"sweep", "--model", kModel, "--documents", docs, "--fill", "concat", "--lengths", "32,64", "--presets",
            "extrapolate,log-n", "--threads", "1", "--out", out};
}

/// Waits until a results folder has at least `points` points (or the time runs out).
bool waitForPoints(const QString &json, int points, int ms)
{
    for (int t = 0; t < ms; t += 50) {
        if (readObject(json)["points"].toArray().size() >= points)
            return true;
        QThread::msleep(50);
    }
    return false;
}

/// The pid of the entroscope-cli process that is MPI rank `rank` (Open MPI sets OMPI_COMM_WORLD_RANK).
pid_t pidOfRank(int rank)
{
    const QByteArray want = "OMPI_COMM_WORLD_RANK=" + QByteArray::number(rank);
    for (const QString &entry : QDir("/proc").entryList(QDir::Dirs)) {
        bool ok = false;
        const pid_t pid = entry.toInt(&ok);
        if (!ok)
            continue;
        if (!readAll("/proc/" + entry + "/cmdline").contains("entroscope-cli"))
            continue;
        for (const QByteArray &kv : readAll("/proc/" + entry + "/environ").split('\0'))
            if (kv == want)
                return pid;
    }
    return -1;
}

} // namespace

class TestDistributed : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_docs;
    QByteArray m_evaluateCsv; ///< one process, the reference of every case
    QByteArray m_sweepCsv;

    void requireMpi()
    {
        if (QString(ENTROSCOPE_MPIEXEC).isEmpty())
            QSKIP("built without MPI");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_docs = writeDocuments(m_dir);
        Run r = cli(evaluateArgs(m_docs, m_dir.filePath("one-evaluate")));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = cli(sweepArgs(m_docs, m_dir.filePath("one-sweep")));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        m_evaluateCsv = readAll(m_dir.filePath("one-evaluate/evaluate.csv"));
        m_sweepCsv = readAll(m_dir.filePath("one-sweep/sweep.csv"));
        QCOMPARE(m_evaluateCsv.count('\n'), 1 + 3 * 2);
        QVERIFY(m_sweepCsv.count('\n') > 20);
        QVERIFY(readObject(m_dir.filePath("one-evaluate/evaluate.json"))["complete"].toBool());
    }

    void twoRanksWriteTheSameFiles()
    {
        requireMpi();
        Run r = mpirun(2, evaluateArgs(m_docs, m_dir.filePath("mpi-evaluate")));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(readAll(m_dir.filePath("mpi-evaluate/evaluate.csv")), m_evaluateCsv);
        QVERIFY(r.err.contains("2 ranks"));
        r = mpirun(2, sweepArgs(m_docs, m_dir.filePath("mpi-sweep")));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(readAll(m_dir.filePath("mpi-sweep/sweep.csv")), m_sweepCsv);
        // The points of the JSON too, in the same order (only the timings differ).
        auto points = [](const QString &path) {
            QJsonArray out;
            for (const auto &v : readObject(path)["points"].toArray()) {
                QJsonObject p = v.toObject();
                p.remove("seconds");
                out.append(p);
            }
            return out;
        };
        QCOMPARE(points(m_dir.filePath("mpi-sweep/sweep.json")), points(m_dir.filePath("one-sweep/sweep.json")));
    }

    void ranksShareTheCores()
    {
        requireMpi();
        const int hw = QThread::idealThreadCount();
        const Run r = mpirun(2, {"--version"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QString expected = QStringLiteral("Threads: %1 by default").arg(std::max(1, hw / 2));
        QCOMPARE(r.err.count(expected), 2);
        QVERIFY(r.err.contains("2 ranks on this host"));
        QVERIFY(r.err.contains("Open MPI"));
    }

    void oneProcessCommandsAreRefusedUnderMpi()
    {
        requireMpi();
        const Run r = mpirun(2, {"analyze", "--model", kModel, "--text", "abc", "--length", "16", "--out",
                                 m_dir.filePath("mpi-analyze")});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains("analyze: runs in one process; start it without mpirun"), qPrintable(r.err));
        QVERIFY(!QDir(m_dir.filePath("mpi-analyze")).exists());
    }

    void shardsMergeIntoTheSameFiles()
    {
        const QString shards = m_dir.filePath("shards");
        for (int k = 1; k <= 3; ++k) {
            const QString part = QStringLiteral("%1/3").arg(k);
            Run r = cli(evaluateArgs(m_docs, shards) + QStringList{"--shard", part});
            QVERIFY2(r.code == 0, qPrintable(r.err));
            r = cli(sweepArgs(m_docs, shards) + QStringList{"--shard", part});
            QVERIFY2(r.code == 0, qPrintable(r.err));
        }
        QVERIFY(QFile::exists(shards + "/evaluate.shard-2-of-3.jsonl"));
        Run r = cli({"merge", "--out", m_dir.filePath("merged-evaluate"), shards + "/evaluate.shard-1-of-3.jsonl",
                     shards + "/evaluate.shard-2-of-3.jsonl", shards + "/evaluate.shard-3-of-3.jsonl"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(readAll(m_dir.filePath("merged-evaluate/evaluate.csv")), m_evaluateCsv);
        r = cli({"merge", "--out", m_dir.filePath("merged-sweep"), shards + "/sweep.shard-1-of-3.jsonl",
                 shards + "/sweep.shard-3-of-3.jsonl", shards + "/sweep.shard-2-of-3.jsonl"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(readAll(m_dir.filePath("merged-sweep/sweep.csv")), m_sweepCsv);

        // Refused: a missing shard, a shard twice, shards of another run, a shard of another split.
        r = cli({"merge", "--out", m_dir.filePath("m1"), shards + "/sweep.shard-1-of-3.jsonl",
                 shards + "/sweep.shard-2-of-3.jsonl"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("shard 3 of 3 is missing"), qPrintable(r.err));
        r = cli({"merge", "--out", m_dir.filePath("m1"), shards + "/sweep.shard-1-of-3.jsonl",
                 shards + "/sweep.shard-1-of-3.jsonl", shards + "/sweep.shard-2-of-3.jsonl"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("given twice"), qPrintable(r.err));
        r = cli({"merge", "--out", m_dir.filePath("m1"), shards + "/sweep.shard-1-of-3.jsonl",
                 shards + "/evaluate.shard-2-of-3.jsonl", shards + "/sweep.shard-3-of-3.jsonl"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("from another run"), qPrintable(r.err));
        const QString other = m_dir.filePath("shards-other");
        QStringList otherArgs = sweepArgs(m_docs, other);
        otherArgs[otherArgs.indexOf("--lengths") + 1] = "32";
        QCOMPARE(cli(otherArgs + QStringList{"--shard", "2/2"}).code, 0);
        r = cli({"merge", "--out", m_dir.filePath("m1"), shards + "/sweep.shard-1-of-3.jsonl", other});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("from another run"), qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir.filePath("m1/sweep.csv")));
        r = cli({"merge", "--out", m_dir.filePath("m1"), m_dir.filePath("docs.txt")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("not a shard file"), qPrintable(r.err));
    }

    void aCutShardResumes()
    {
        // A shard interrupted in the middle of a line: merge refuses it, the same command completes it.
        const QString dir = m_dir.filePath("cut");
        for (int k = 1; k <= 2; ++k)
            QCOMPARE(cli(evaluateArgs(m_docs, dir) + QStringList{"--shard", QStringLiteral("%1/2").arg(k)}).code, 0);
        const QString shard = dir + "/evaluate.shard-2-of-2.jsonl";
        QByteArray text = readAll(shard);
        const int lines = text.count('\n');
        QVERIFY(lines > 3);
        text.truncate(text.lastIndexOf('\n', text.size() - 2) + 1); // the last item gone
        text.truncate(text.lastIndexOf('\n', text.size() - 2) + 1 + 40); // and the one before cut short
        QFile f(shard);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(text);
        f.close();
        Run r = cli({"merge", "--out", m_dir.filePath("cut-merged"), dir});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("2 items not finished") && r.err.contains("run its shard again"), qPrintable(r.err));
        r = cli(evaluateArgs(m_docs, dir) + QStringList{"--shard", "2/2"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(readAll(shard).count('\n'), lines);
        r = cli({"merge", "--out", dir, dir}); // into the shards' own folder
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(readAll(dir + "/evaluate.csv"), m_evaluateCsv);
        // A shard of another run in that folder is refused, not overwritten.
        QStringList other = evaluateArgs(m_docs, dir);
        other[other.indexOf("--lengths") + 1] = "32";
        r = cli(other + QStringList{"--shard", "1/2"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("belongs to a run with other settings"), qPrintable(r.err));
    }

    void aKilledRankLeavesAResumableFolder()
    {
        requireMpi();
        const QString out = m_dir.filePath("killed");
        QStringList args = evaluateArgs(m_docs, out);
        args[args.indexOf("--lengths") + 1] = "32,64,96,128,160,192";
        QProcess p;
        p.start(QStringLiteral(ENTROSCOPE_MPIEXEC),
                mpiOptions() + QStringList{"-np", "2", QStringLiteral(ENTROSCOPE_CLI_PATH)} + args);
        QVERIFY(p.waitForStarted());
        QVERIFY2(waitForPoints(out + "/evaluate.json", 2, 120000), "no point finished");
        const pid_t victim = pidOfRank(1);
        QVERIFY(victim > 0);
        QCOMPARE(::kill(victim, SIGKILL), 0);
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError() + p.readAllStandardOutput());
        QVERIFY(p.exitCode() != 0 || p.exitStatus() != QProcess::NormalExit);
        QVERIFY2(err.contains("rank 1") && err.contains("signal 9"), qPrintable(err));
        const QJsonObject saved = readObject(out + "/evaluate.json");
        const int finished = saved["points"].toArray().size();
        QVERIFY(finished >= 2);
        QVERIFY(!saved["complete"].toBool());
        // One process continues it, and the result is what one uninterrupted process writes.
        Run r = cli(args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(readObject(out + "/evaluate.json")["complete"].toBool());
        r = cli(QStringList(args).replaceInStrings(out, m_dir.filePath("killed-reference")));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(readAll(out + "/evaluate.csv"), readAll(m_dir.filePath("killed-reference/evaluate.csv")));
    }

    void aFailingRankEndsTheRunWithOneError()
    {
        requireMpi();
        // Rank 1 gets a model whose vocabulary has no [MASK]: its first item fails inside the work queue.
        const QString broken = m_dir.filePath("no-mask");
        QVERIFY(QDir().mkpath(broken));
        for (const QString name : {"config.json", "pytorch_model.bin"})
            QVERIFY(QFile::copy(kModel + "/" + name, broken + "/" + name));
        QFile v(broken + "/vocab.txt");
        QVERIFY(v.open(QIODevice::WriteOnly));
        v.write(readAll(kModel + "/vocab.txt").replace("[MASK]", "[MASQ]"));
        v.close();
        const QString out = m_dir.filePath("failing");
        QStringList a0 = evaluateArgs(m_docs, out), a1 = a0;
        a1[a1.indexOf("--model") + 1] = broken;
        const Run r = run(QStringLiteral(ENTROSCOPE_MPIEXEC), mpiOptions() + QStringList{"-np", "1", ENTROSCOPE_CLI_PATH} + a0
                                                                   + QStringList{":", "-np", "1", ENTROSCOPE_CLI_PATH} + a1);
        QVERIFY(r.code != 0);
        QCOMPARE(r.err.count("entroscope-cli: "), 1);
        QVERIFY2(r.err.contains("entroscope-cli: rank 1: " + broken + ": the tokenizer has no [MASK] token"), qPrintable(r.err));
        // What finished before is intact (and continues in one process).
        QVERIFY(!QFile::exists(out + "/evaluate.json") || !readObject(out + "/evaluate.json")["complete"].toBool());
        const Run again = cli(a0);
        QVERIFY2(again.code == 0, qPrintable(again.err));
        QCOMPARE(readAll(out + "/evaluate.csv"), m_evaluateCsv);
    }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "tst_distributed.moc"
