// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Soak test of the workbench: scripted random use of a real MainWindow for a chosen time.
//   soak_workbench [--seconds S] [--seed K] [--max-length N] [--report FILE.json]
// Actions (random, with random pauses of 0–400 ms, some while a computation runs): slider moves and typed
// lengths, method and compare-list changes, layer changes, tab switches, exports (PNG/SVG/CSV/JSON/NPY),
// model switches (the two demo models and tiny-neko), cancels, session save + open, undo/redo, token
// inspection, log scale. Every 12 actions it waits until the window is idle and checks that the views show
// exactly the requested state (n, methods, layer) and that no error was reported. RSS is sampled every
// 2 s, with the bytes the result cache holds (bounded at 768 MiB; it fills as the run goes). It fails
// (exit 1) on a crash, a state mismatch, an error dialog, a window that does not become idle within 120 s,
// or memory besides the cache (RSS − cache) growing after warm-up (the first third of the run) by more
// than 15 % + 64 MiB — checked when at least 120 s follow the warm-up (a shorter run reports the figures
// only). scripts/soak.sh runs it for long; ctest's soak_short (label gui) for 30 s.
#include "analysis_controller.h"
#include "main_window.h"
#include "plot_view.h"
#include "session_state.h"

#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageBox>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <fstream>
#include <malloc.h>
#include <random>
#include <unistd.h>

using namespace entroscope;

namespace {

// RSS after malloc_trim: glibc keeps freed blocks of the (many, large) maps for reuse; trimming first makes
// the figure follow what is live rather than what the allocator retains.
double rssMiB()
{
    malloc_trim(0);
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

struct Soak
{
    MainWindow &w;
    std::mt19937 rng;
    qint64 maxLength;
    QTemporaryDir tmp;
    QStringList models;
    int actions = 0, checks = 0;
    QMap<QString, int> counts;
    QString failure;

    int pick(int n) { return int(rng() % unsigned(n)); }

    // Lets events run for `ms` (the window keeps computing meanwhile).
    static void spin(int ms)
    {
        QElapsedTimer t;
        t.start();
        do {
            QApplication::processEvents(QEventLoop::AllEvents, 20);
            if (ms > 0)
                QThread::msleep(2);
        } while (t.elapsed() < ms);
    }

    bool waitIdle(int timeoutMs)
    {
        QElapsedTimer t;
        t.start();
        while (!w.isIdle() && w.lastError().isEmpty()) {
            if (t.elapsed() > timeoutMs)
                return false;
            spin(10);
        }
        return true;
    }

    void closeDialogs()
    {
        for (QWidget *top : QApplication::topLevelWidgets())
            if (auto *box = qobject_cast<QMessageBox *>(top); box && box->isVisible())
                box->close();
    }

    void act()
    {
        static const QStringList presets = {"native", "extrapolate", "log-n", "logn", "infoscale", "ssmax",
                                            "cosscale", "pi", "ntk", "yarn", "rerope", "window", "streamingllm",
                                            "lminfinite", "infoscale,plain,window:8"};
        const auto &stops = AnalysisController::lengthStops();
        QString what;
        switch (pick(15)) {
        case 0:
        case 1: { // drag the slider over a few stops
            what = QStringLiteral("slider");
            QSlider *s = w.lengthSlider();
            int top = 0;
            while (top + 1 < int(stops.size()) && stops[size_t(top) + 1] <= maxLength)
                ++top;
            const int target = pick(top + 1);
            while (s->value() != target) {
                s->setValue(s->value() + (target > s->value() ? 1 : -1));
                spin(pick(60));
            }
            break;
        }
        case 2: // a typed length
            what = QStringLiteral("typed length");
            w.setLength(16 + pick(int(maxLength) - 15));
            break;
        case 3:
        case 4:
            what = QStringLiteral("method");
            w.setMethod(presets[pick(presets.size())]);
            break;
        case 5: {
            what = QStringLiteral("compare");
            QStringList list;
            for (int k = pick(4); k > 0; --k) {
                const QString m = presets[pick(presets.size())];
                if (!list.contains(m) && m != w.method())
                    list << m;
            }
            w.setCompareMethods(list);
            break;
        }
        case 6:
            what = QStringLiteral("layer");
            w.setLayer(pick(4));
            break;
        case 7:
        case 8:
            what = QStringLiteral("tab");
            w.setCurrentView(pick(7));
            break;
        case 9: { // export the current view (only when something is shown)
            what = QStringLiteral("export");
            if (!waitIdle(120000))
                return fail(QStringLiteral("not idle before an export"));
            static const QStringList exts = {"png", "svg", "csv", "json", "npy"};
            const QString ext = exts[pick(exts.size())];
            const int view = w.currentViewIndex();
            if (ext == QLatin1String("npy") && view != 0)
                break;
            QString error;
            const QString path = tmp.filePath(QStringLiteral("export-%1.%2").arg(actions).arg(ext));
            if (!w.exportView(view, path, &error))
                return fail(QStringLiteral("export %1: %2").arg(path, error));
            QFile::remove(path);
            break;
        }
        case 10:
            what = QStringLiteral("model");
            w.openModel(models[pick(models.size())]);
            if (!waitIdle(120000))
                return fail(QStringLiteral("not idle after a model switch"));
            break;
        case 11:
            what = QStringLiteral("cancel");
            w.setLength(stops[size_t(pick(int(stops.size())))] <= maxLength ? maxLength : 64);
            spin(pick(200));
            w.controller()->cancel();
            break;
        case 12: { // session save and open
            what = QStringLiteral("session");
            if (!waitIdle(120000))
                return fail(QStringLiteral("not idle before a session save"));
            const QString file = tmp.filePath(QStringLiteral("soak.entroscope"));
            QString error;
            const SessionState before = w.state();
            if (!w.saveSession(file, &error) || !w.openSession(file, &error))
                return fail(QStringLiteral("session: %1").arg(error));
            if (!waitIdle(120000))
                return fail(QStringLiteral("not idle after a session open"));
            if (w.state() != before)
                return fail(QStringLiteral("the session opened is not the one saved"));
            break;
        }
        case 13:
            what = QStringLiteral("undo/redo");
            if (pick(2))
                w.undo();
            else
                w.redo();
            break;
        case 14:
            what = QStringLiteral("inspect");
            w.setCurrentView(6);
            w.inspectQuery(pick(int(w.length())));
            break;
        }
        ++counts[what];
        ++actions;
        spin(pick(400));
    }

    void fail(const QString &why)
    {
        if (failure.isEmpty())
            failure = why;
    }

    // The idle window shows exactly what its controls ask for.
    void check()
    {
        if (!waitIdle(120000))
            return fail(QStringLiteral("the window did not become idle within 120 s (n = %1)").arg(w.length()));
        closeDialogs();
        if (!w.lastError().isEmpty()) {
            // A cancelled computation is not an error; anything else is.
            return fail(QStringLiteral("error reported: %1").arg(w.lastError()));
        }
        const auto &r = w.controller()->lastResult();
        if (!r)
            return fail(QStringLiteral("idle with no result"));
        const QStringList wanted = QStringList{w.method()} + w.compareMethods();
        if (r->request.length != w.length())
            return fail(QStringLiteral("shows n = %1, the controls say %2").arg(r->request.length).arg(w.length()));
        QStringList shown = r->request.methods, asked = wanted; // the compare reference may reorder them
        shown.sort();
        asked.sort();
        if (shown != asked)
            return fail(QStringLiteral("shows methods %1, the controls say %2")
                            .arg(r->request.methods.join(QLatin1Char(';')), wanted.join(QLatin1Char(';'))));
        // Views take a result when shown: look at the map as a user would, on its tab (it has 2 s to draw).
        w.setCurrentView(0);
        QJsonObject map;
        for (QElapsedTimer t; (t.isValid() || (t.start(), true)) && t.elapsed() < 2000; spin(20)) {
            map = w.view(0)->json();
            if (map.value(QStringLiteral("layer")).toInt(-1) == w.layer()
                && qint64(map.value(QStringLiteral("length")).toDouble()) == w.length())
                break;
        }
        if (map.value(QStringLiteral("layer")).toInt(-1) != w.layer()
            || qint64(map.value(QStringLiteral("length")).toDouble()) != w.length())
            return fail(QStringLiteral("the map shows layer %1 at n = %2, the controls say layer %3 at n = %4")
                            .arg(map.value(QStringLiteral("layer")).toInt(-1))
                            .arg(qint64(map.value(QStringLiteral("length")).toDouble()))
                            .arg(w.layer())
                            .arg(w.length()));
        ++checks;
    }
};

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("entroscope-soak"));
    double seconds = 60;
    unsigned seed = 1;
    qint64 maxLength = 1024;
    QString report;
    const QStringList args = QApplication::arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--seconds"))
            seconds = args[i + 1].toDouble();
        else if (args[i] == QLatin1String("--seed"))
            seed = args[i + 1].toUInt();
        else if (args[i] == QLatin1String("--max-length"))
            maxLength = args[i + 1].toLongLong();
        else if (args[i] == QLatin1String("--report"))
            report = args[i + 1];
        else {
            std::fprintf(stderr, "usage: soak_workbench [--seconds S] [--seed K] [--max-length N] [--report F]\n");
            return 2;
        }
    }
    if (seconds <= 0 || maxLength < 64) {
        std::fprintf(stderr, "soak_workbench: --seconds must be > 0 and --max-length >= 64\n");
        return 2;
    }

    MainWindow w;
    w.resize(1280, 800);
    w.show();
    Soak soak{w, std::mt19937(seed), maxLength, {}, {}, 0, 0, {}, {}};
    soak.models = {QStringLiteral(ENTROSCOPE_SOURCE_DIR "/resources/models/demo-softmax"),
                   QStringLiteral(ENTROSCOPE_SOURCE_DIR "/resources/models/demo-cosscale"),
                   QStringLiteral(ENTROSCOPE_SOURCE_DIR "/tests/data/models/tiny-neko")};
    SessionState start;
    start.modelDir = soak.models[0];
    start.text = QStringLiteral("When a reader meets a long sentence, the eye does not weigh every word equally.\n"
                                "It rests on the verb, glances at the article, and returns to the name.");
    start.length = 256;
    w.applyState(start);

    QElapsedTimer clock;
    clock.start();
    struct Sample
    {
        double t, rss, cache;
    };
    auto cacheMiB = [&w] { return double(w.controller()->cacheBytes()) / (1024.0 * 1024.0); };
    std::vector<Sample> samples{{0, rssMiB(), cacheMiB()}};
    double nextSample = 2;
    while (clock.elapsed() < seconds * 1000 && soak.failure.isEmpty()) {
        soak.act();
        if (soak.actions % 12 == 0)
            soak.check();
        const double t = clock.elapsed() / 1000.0;
        if (t >= nextSample) {
            samples.push_back({t, rssMiB(), cacheMiB()});
            nextSample = t + 2;
        }
    }
    if (soak.failure.isEmpty())
        soak.check();
    samples.push_back({clock.elapsed() / 1000.0, rssMiB(), cacheMiB()});

    // Warm-up: the first third. Flat: memory besides the cache at the end within 15 % + 64 MiB of the
    // largest seen by then.
    const double warmT = samples.back().t / 3;
    double warm = samples.front().rss, warmOther = samples.front().rss - samples.front().cache;
    for (const auto &s : samples)
        if (s.t <= warmT) {
            warm = std::max(warm, s.rss);
            warmOther = std::max(warmOther, s.rss - s.cache);
        }
    const double end = samples.back().rss, endOther = samples.back().rss - samples.back().cache;
    double peak = 0;
    for (const auto &s : samples)
        peak = std::max(peak, s.rss);
    const bool rssChecked = samples.back().t - warmT >= 120;
    if (rssChecked && soak.failure.isEmpty() && endOther > warmOther * 1.15 + 64)
        soak.fail(QStringLiteral("memory besides the result cache grew after warm-up: %1 MiB at %2 s, %3 MiB at the end")
                      .arg(warmOther, 0, 'f', 0)
                      .arg(warmT, 0, 'f', 0)
                      .arg(endOther, 0, 'f', 0));

    QJsonObject out;
    out[QStringLiteral("seconds")] = samples.back().t;
    out[QStringLiteral("seed")] = double(seed);
    out[QStringLiteral("actions")] = soak.actions;
    out[QStringLiteral("checks")] = soak.checks;
    QJsonObject counts;
    for (auto it = soak.counts.begin(); it != soak.counts.end(); ++it)
        counts[it.key()] = it.value();
    out[QStringLiteral("action_counts")] = counts;
    out[QStringLiteral("rss_start_mb")] = samples.front().rss;
    out[QStringLiteral("rss_after_warmup_mb")] = warm;
    out[QStringLiteral("rss_end_mb")] = end;
    out[QStringLiteral("rss_peak_mb")] = peak;
    out[QStringLiteral("non_cache_after_warmup_mb")] = warmOther;
    out[QStringLiteral("non_cache_end_mb")] = endOther;
    out[QStringLiteral("cache_end_mb")] = samples.back().cache;
    out[QStringLiteral("rss_checked")] = rssChecked;
    QJsonArray curve; // [t s, RSS MiB, cache MiB]
    for (const auto &s : samples)
        curve.append(QJsonArray{s.t, s.rss, s.cache});
    out[QStringLiteral("rss_curve")] = curve;
    out[QStringLiteral("result")] = soak.failure.isEmpty() ? QStringLiteral("pass") : soak.failure;
    const QByteArray json = QJsonDocument(out).toJson(QJsonDocument::Compact);
    if (!report.isEmpty()) {
        QFile f(report);
        if (f.open(QIODevice::WriteOnly))
            f.write(json + '\n');
    }
    std::printf("soak: %.0f s, %d actions, %d state checks, RSS %.0f MiB at start, %.0f after warm-up, %.0f at the end "
                "(peak %.0f; besides the cache %.0f after warm-up, %.0f at the end%s): %s\n",
                samples.back().t, soak.actions, soak.checks, samples.front().rss, warm, end, peak, warmOther, endOther,
                rssChecked ? "" : "; too short to check growth",
                soak.failure.isEmpty() ? "pass" : qPrintable(soak.failure));
    return soak.failure.isEmpty() ? 0 : 1;
}
