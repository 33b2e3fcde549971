// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Workbench latency (not a test): slider change → updated views, median over the stops n ≤ 1024,
// uncached (worker computes) and cached (precomputed stops), plus an event-loop probe: the longest gap
// between 5 ms timer ticks in the GUI thread while the worker computes.
//   bench_gui_latency [--long] [--json] [MODEL_DIR] [ROUNDS]   (default: the demo model, else tiny-neko; 3 rounds)
// --long adds the long path (issue #13): at n = 4096 and 16384 with 1 and 3 methods (native; native,
// log-n, infoscale), from an empty cache, the time from the length change to the first redrawn map
// (first_map_s) and to every piece of the result with the map redrawn (all_s), the peak RSS of the case
// (VmHWM, reset per case), and entroscope-cli analyze's own analysis time for the same methods, n and
// input, run in the same session (cli_sum_s). --json (implies --long) prints one JSON object instead of
// the text: the short figures and the `long` list.
// Runs with QT_QPA_PLATFORM=offscreen unless a platform is set.

#include "analysis_controller.h"
#include "platform/blas_check.h"
#include "main_window.h"

#include "plot_view.h"
#include "qcustomplot_compat.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QSettings>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace entroscope;

namespace {

// Runs the event loop until done() or the timeout, sleeping between events as the workbench's own loop
// does. (processEvents(flags, ms) drops WaitForMoreEvents and returns at once when nothing is pending: a
// loop around it spun the GUI thread at full speed on one of the two cores, against the compute threads
// at nice +5, and made every analysis in this benchmark up to 1.5 x slower than in the workbench.)
bool waitFor(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < timeoutMs) {
        // done() is checked every millisecond (the figures below are late by at most that); the thread
        // sleeps in the dispatcher in between. (Quitting on QAbstractEventDispatcher::awake spins again:
        // the dispatcher emits it on entry to every pass.)
        QEventLoop loop;
        QTimer::singleShot(1, Qt::PreciseTimer, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return done();
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/// Times every event the GUI thread delivers, so that the longest ones can be named (receiver class,
/// event type) next to the event-loop gap.
class TimedApplication : public QApplication
{
public:
    using QApplication::QApplication;
    bool notify(QObject *receiver, QEvent *event) override
    {
        if (!m_recording)
            return QApplication::notify(receiver, event);
        QElapsedTimer t;
        t.start();
        const int type = event->type();
        const char *cls = receiver->metaObject()->className();
        ++m_depth; // events delivered inside this one (a synchronous repaint) count with it
        const bool result = QApplication::notify(receiver, event);
        --m_depth;
        const double ms = t.nsecsElapsed() * 1e-6;
        if (ms > 10 && m_depth == 0)
            m_slow.push_back({ms, QStringLiteral("%1 (event %2)").arg(QLatin1String(cls)).arg(type)});
        return result;
    }
    void record(bool on)
    {
        m_recording = on;
        if (on)
            m_slow.clear();
    }
    /// The k longest events recorded, longest first.
    QStringList slowest(int k)
    {
        std::sort(m_slow.begin(), m_slow.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
        QStringList out;
        for (int i = 0; i < std::min<int>(k, int(m_slow.size())); ++i)
            out << QStringLiteral("%1 ms %2").arg(m_slow[size_t(i)].first, 0, 'f', 1).arg(m_slow[size_t(i)].second);
        return out;
    }

private:
    bool m_recording = false;
    int m_depth = 0;
    std::vector<std::pair<double, QString>> m_slow;
};

/// The process's peak resident set (VmHWM) in MB, and its reset (Linux: clear_refs 5).
double peakRssMb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
    return 0;
}
void resetPeakRss()
{
    QFile f(QStringLiteral("/proc/self/clear_refs"));
    if (f.open(QIODevice::WriteOnly))
        f.write("5");
}

/// entroscope-cli analyze's own analysis time (the "in N ms" it reports) for one method; < 0 on failure.
double cliAnalyzeSeconds(const QString &model, const QString &textFile, qint64 n, const QString &preset)
{
    QTemporaryDir out;
    QProcess p;
    p.start(QStringLiteral(ENTROSCOPE_CLI_PATH),
            {"analyze", "--model", model, "--text-file", textFile, "--length", QString::number(n), "--preset", preset,
             "--out", out.path() + "/a"});
    p.waitForFinished(600000);
    const QString err = QString::fromUtf8(p.readAllStandardError());
    const auto m = QRegularExpression(QStringLiteral("layers in (\\d+) ms")).match(err);
    if (p.exitCode() != 0 || !m.hasMatch()) {
        std::fprintf(stderr, "bench_gui_latency: entroscope-cli analyze failed: %s\n", qPrintable(err.right(300)));
        return -1;
    }
    return m.captured(1).toDouble() / 1000.0;
}

} // namespace

int main(int argc, char **argv)
{
    configureComputeEnvironment(argv); // as the workbench does
    // as the workbench: no tuneAllocatorForBlocks() (app/gui/main.cpp says why)
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    Q_INIT_RESOURCE(entroscope);
    TimedApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QTemporaryDir settingsDir;
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsDir.path());

    bool longPath = false, json = false;
    QStringList positional;
    for (int i = 1; i < argc; ++i) {
        const QString a = QString::fromLocal8Bit(argv[i]);
        if (a == QLatin1String("--long"))
            longPath = true;
        else if (a == QLatin1String("--json"))
            json = longPath = true;
        else
            positional << a;
    }
    QString model = !positional.isEmpty() ? positional[0] : QStringLiteral(ENTROSCOPE_DEFAULT_MODEL_DIR);
    if (!QFile::exists(model + QStringLiteral("/config.json")))
        model = QStringLiteral(ENTROSCOPE_FALLBACK_MODEL_DIR);
    const int rounds = positional.size() > 1 ? std::max(1, positional[1].toInt()) : 3;
    QFile textFile(QStringLiteral(":/texts/en-attention.txt"));
    textFile.open(QIODevice::ReadOnly);

    MainWindow w;
    w.resize(1400, 900);
    w.show();
    w.controller()->setBackgroundEnabled(false);
    SessionState s;
    s.modelDir = model;
    s.text = QString::fromUtf8(textFile.readAll());
    s.length = 64;
    s.compareMethods = {QStringLiteral("infoscale")};
    w.applyState(s);
    if (!waitFor([&] { return w.isIdle(); }, 120000)) {
        std::fprintf(stderr, "bench_gui_latency: model did not load: %s\n", qPrintable(w.lastError()));
        return 1;
    }
    if (!json)
        std::printf("model %s\n%s\nmethods: native + infoscale (2 methods, JS divergence)\n", qPrintable(model),
                    qPrintable(w.controller()->modelSummary()));

    // "Updated" means the attention map (the view on screen) has been redrawn with the new result:
    // views replot in queued events after viewsUpdated, and that drawing is part of the latency.
    int updates = 0;
    bool awaitingReplot = false;
    QObject::connect(&w, &MainWindow::viewsUpdated, [&] { awaitingReplot = true; });
    QObject::connect(w.view(0)->plot(), &QCustomPlot::afterReplot, [&] {
        if (awaitingReplot) {
            awaitingReplot = false;
            ++updates;
        }
    });
    qint64 maxGapNs = 0;
    QElapsedTimer tick;
    QTimer probe;
    probe.setInterval(5);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        if (tick.isValid())
            maxGapNs = std::max(maxGapNs, tick.nsecsElapsed());
        tick.restart();
    });

    const auto &stops = AnalysisController::lengthStops();
    std::vector<int> indices;
    for (size_t i = 0; i < stops.size(); ++i)
        if (stops[i] >= 32 && stops[i] <= 1024)
            indices.push_back(int(i));

    auto sweep = [&](std::vector<double> &out, bool clear) {
        for (int r = 0; r < rounds; ++r)
            for (int i : indices) {
                if (clear)
                    w.controller()->clearCache();
                if (w.lengthSlider()->value() == i)
                    continue;
                const int before = updates;
                QElapsedTimer t;
                t.start();
                w.lengthSlider()->setValue(i);
                if (!waitFor([&] { return updates > before && w.isIdle(); }, 120000)) {
                    std::fprintf(stderr, "bench_gui_latency: no result at n=%lld\n", (long long)stops[size_t(i)]);
                    return false;
                }
                out.push_back(t.nsecsElapsed() * 1e-6);
            }
        return true;
    };

    std::vector<double> uncached;
    probe.start();
    app.record(true);
    if (!sweep(uncached, true))
        return 1;
    app.record(false);
    probe.stop();
    const QStringList slowAttention = app.slowest(3);
    const double maxGapMs = maxGapNs * 1e-6;

    // The heaviest view on screen: the compare tab (two full maps, their difference, JS bars).
    w.setCurrentView(MainWindow::CompareTab);
    QObject::disconnect(w.view(0)->plot(), &QCustomPlot::afterReplot, nullptr, nullptr);
    QObject::connect(w.view(MainWindow::CompareTab)->plot(), &QCustomPlot::afterReplot, [&] {
        if (awaitingReplot) {
            awaitingReplot = false;
            ++updates;
        }
    });
    std::vector<double> compareMoves;
    maxGapNs = 0;
    tick.invalidate();
    probe.start();
    app.record(true);
    if (!sweep(compareMoves, true))
        return 1;
    app.record(false);
    probe.stop();
    const QStringList slowCompare = app.slowest(3);
    const double maxGapCompareMs = maxGapNs * 1e-6;
    w.setCurrentView(MainWindow::AttentionTab);
    QObject::disconnect(w.view(MainWindow::CompareTab)->plot(), &QCustomPlot::afterReplot, nullptr, nullptr);
    QObject::connect(w.view(0)->plot(), &QCustomPlot::afterReplot, [&] {
        if (awaitingReplot) {
            awaitingReplot = false;
            ++updates;
        }
    });

    // Precompute the stops in the background, then drag over them again.
    w.controller()->setBackgroundEnabled(true);
    w.controller()->setSweepMaxLength(1024);
    w.setLength(64);
    waitFor([&] { return w.isIdle(); }, 120000);
    waitFor([&] { return w.controller()->isBackgroundIdle(); }, 600000);
    std::vector<double> cached;
    const int jobsBefore = w.controller()->workerJobCount();
    if (!sweep(cached, false))
        return 1;
    const int jobsDuring = w.controller()->workerJobCount() - jobsBefore;

    // The long path: one length change from an empty cache per case, the map on screen.
    QJsonArray longCases;
    QStringList longLines;
    if (longPath) {
        w.controller()->setBackgroundEnabled(false);
        QTemporaryDir tmp;
        const QString textPath = tmp.path() + QStringLiteral("/text.txt");
        {
            QFile f(textPath);
            f.open(QIODevice::WriteOnly);
            f.write(s.text.toUtf8());
        }
        const QStringList three{QStringLiteral("native"), QStringLiteral("log-n"), QStringLiteral("infoscale")};
        for (qint64 n : {qint64(4096), qint64(16384)})
            for (int count : {1, 3}) {
                const QStringList methods = three.mid(0, count);
                SessionState ls = w.state();
                ls.method = methods[0];
                ls.compareMethods = methods.mid(1);
                ls.length = 64;
                w.applyState(ls);
                if (!waitFor([&] { return w.isIdle(); }, 120000))
                    return 1;
                w.controller()->clearCache();
                resetPeakRss();
                const int before = updates;
                QElapsedTimer t;
                t.start();
                // The first redraw of the map on screen with a result at n (the primary's piece).
                double first = -1;
                const auto probeConnection = QObject::connect(w.view(0)->plot(), &QCustomPlot::afterReplot, [&] {
                    const auto r = w.controller()->lastResult();
                    if (first < 0 && r && r->request.length == n)
                        first = t.nsecsElapsed() * 1e-9;
                });
                // When each piece arrives (primary, each compared method, the JS divergence): what it had.
                QJsonArray pieces;
                auto notePiece = [&] {
                    const auto r = w.controller()->lastResult();
                    if (!r || r->request.length != n)
                        return;
                    int have = 0;
                    for (const auto &x : r->results)
                        have += x ? 1 : 0;
                    pieces.append(QJsonObject{{"s", t.nsecsElapsed() * 1e-9},
                                              {"results", have},
                                              {"js", !r->jsPerLayer.empty()}});
                };
                const auto pieceConnections = {
                    QObject::connect(w.controller(), &AnalysisController::resultUpdated, notePiece),
                    QObject::connect(w.controller(), &AnalysisController::resultReady, notePiece)};
                w.setLength(n);
                const bool ok = waitFor(
                    [&] {
                        const auto r = w.controller()->lastResult();
                        return updates > before && r && r->request.length == n && r->complete && w.isIdle();
                    },
                    1200000);
                const double all = t.nsecsElapsed() * 1e-9;
                const double rss = peakRssMb();
                QObject::disconnect(probeConnection);
                for (const auto &c : pieceConnections)
                    QObject::disconnect(c);
                if (!ok) {
                    std::fprintf(stderr, "bench_gui_latency: no complete result at n=%lld: %s\n", (long long)n,
                                 qPrintable(w.lastError()));
                    return 1;
                }
                double cliSum = 0;
                QJsonArray cliEach;
                for (const QString &m : methods) {
                    const double sec = cliAnalyzeSeconds(model, textPath, n, m);
                    if (sec < 0)
                        return 1;
                    cliSum += sec;
                    cliEach.append(sec);
                }
                longCases.append(QJsonObject{{"n", double(n)},
                                             {"methods", QJsonArray::fromStringList(methods)},
                                             {"first_map_s", first},
                                             {"all_s", all},
                                             {"cli_sum_s", cliSum},
                                             {"cli_each_s", cliEach},
                                             {"first_map_vs_one_cli", first / cliEach[0].toDouble()},
                                             {"all_vs_cli_sum", all / cliSum},
                                             {"peak_rss_mb", rss},
                                             {"pieces", pieces}});
                longLines << QStringLiteral("n = %1, %2 method(s): first map %3 s (%4 × one CLI analysis), all %5 s "
                                            "(%6 × the CLI's %7 s), peak RSS %8 MB")
                                 .arg(n)
                                 .arg(count)
                                 .arg(first, 0, 'f', 2)
                                 .arg(first / cliEach[0].toDouble(), 0, 'f', 2)
                                 .arg(all, 0, 'f', 2)
                                 .arg(all / cliSum, 0, 'f', 2)
                                 .arg(cliSum, 0, 'f', 2)
                                 .arg(rss, 0, 'f', 0);
            }
    }

    if (json) {
        const QJsonObject o{{"model", model},
                            {"uncached_median_ms", median(uncached)},
                            {"precomputed_median_ms", median(cached)},
                            {"precomputed_worker_jobs", jobsDuring},
                            {"max_event_gap_ms", maxGapMs},
                            {"compare_tab_median_ms", median(compareMoves)},
                            {"compare_tab_max_event_gap_ms", maxGapCompareMs},
                            {"long", longCases}};
        std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
        return 0;
    }
    std::printf("slider → views, uncached, n in 32..1024: median %.1f ms over %zu moves (includes the %d ms debounce)\n",
                median(uncached), uncached.size(), kSliderDebounceMs);
    std::printf("slider → views, precomputed stops:       median %.1f ms over %zu moves (worker jobs started: %d)\n",
                median(cached), cached.size(), jobsDuring);
    std::printf("event loop: longest gap between 5 ms ticks during computation: %.1f ms (attention tab shown)\n", maxGapMs);
    std::printf("compare tab shown: slider → views median %.1f ms, longest event-loop gap %.1f ms\n",
                median(compareMoves), maxGapCompareMs);
    std::printf("longest GUI events, attention tab: %s\n", qPrintable(slowAttention.join(QStringLiteral("; "))));
    std::printf("longest GUI events, compare tab:   %s\n", qPrintable(slowCompare.join(QStringLiteral("; "))));
    for (const QString &line : longLines)
        std::printf("long path: %s\n", qPrintable(line));
    return 0;
}
