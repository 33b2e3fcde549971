// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// The EntroScope workbench: entroscope [--model DIR] [--text-file F] [--length N] [--preset NAME]
// [--session FILE] [--screenshot DIR] [--zoom Q,K,SPAN]

#include "analysis_controller.h"
#include "attention_map_view.h"
#include "platform/blas_check.h"
#include "main_window.h"
#include "session_state.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QSettings>
#include <QTimer>

#include <array>
#include <cstdio>
#include <optional>

using namespace entroscope;

namespace {

QString defaultModelDir()
{
    const QString demo = QStringLiteral(ENTROSCOPE_DEFAULT_MODEL_DIR);
    if (QFile::exists(demo + QStringLiteral("/config.json")))
        return demo;
    return QStringLiteral(ENTROSCOPE_FALLBACK_MODEL_DIR);
}

QString demoText()
{
    QFile f(QStringLiteral(":/texts/en-attention.txt"));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

/// Takes `--session FILE`, `--session=FILE` and `-session FILE` out of argv before QApplication sees them:
/// Qt's platform session management consumes `-session`/`--session` and its value itself, so the
/// documented option would otherwise be silently ignored. Returns the file ("" when not given).
QString takeSessionArgument(int &argc, char **argv)
{
    QString file;
    int out = 1;
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if ((a == "--session" || a == "-session") && i + 1 < argc) {
            file = QString::fromLocal8Bit(argv[++i]);
            continue;
        }
        if (a.startsWith("--session=") || a.startsWith("-session=")) {
            file = QString::fromLocal8Bit(a.mid(a.indexOf('=') + 1));
            continue;
        }
        argv[out++] = argv[i];
    }
    argv[out] = nullptr;
    argc = out;
    return file;
}

} // namespace

int main(int argc, char **argv)
{
    configureComputeEnvironment(argv); // may re-execute this program (faster BLAS kernels, passive OpenMP waits)
    const QString sessionFile = takeSessionArgument(argc, argv);
    // No tuneAllocatorForBlocks() here: with its 1 MB mmap threshold every 4-8 MB buffer the views
    // allocate per result would fault its pages in again on the GUI thread (bench_gui_latency: the longest
    // GUI-thread gap 5-15 ms longer); the workbench keeps glibc's adaptive threshold.
    Q_INIT_RESOURCE(entroscope);
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("EntroScope"));
    QApplication::setApplicationName(QStringLiteral("EntroScope"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Attention entropy and score dilution workbench for GAU-α models"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption modelOpt(QStringLiteral("model"), QStringLiteral("Model folder."), QStringLiteral("DIR"));
    QCommandLineOption textOpt(QStringLiteral("text-file"), QStringLiteral("Text to analyse (UTF-8)."), QStringLiteral("F"));
    QCommandLineOption lengthOpt(QStringLiteral("length"), QStringLiteral("Context length n."), QStringLiteral("N"));
    QCommandLineOption presetOpt(QStringLiteral("preset"), QStringLiteral("Method preset."), QStringLiteral("NAME"));
    QCommandLineOption compareOpt(QStringLiteral("compare"),
                                  QStringLiteral("Methods to compare with: presets separated by commas, or method strings "
                                                 "(a preset or temperature,qk,position) separated by semicolons."),
                                  QStringLiteral("METHODS"));
    QCommandLineOption sessionOpt(QStringLiteral("session"), QStringLiteral("Open a .entroscope session."), QStringLiteral("FILE"));
    QCommandLineOption shotOpt(QStringLiteral("screenshot"),
                               QStringLiteral("Load, wait for all results, save each view to DIR/*.png and exit."),
                               QStringLiteral("DIR"));
    QCommandLineOption sweepOpt(QStringLiteral("sweep-max"), QStringLiteral("Longest length of the dilution sweep."),
                                QStringLiteral("N"));
    QCommandLineOption freshOpt(QStringLiteral("fresh"), QStringLiteral("Do not restore the last session."));
    QCommandLineOption inspectOpt(QStringLiteral("inspect"), QStringLiteral("Show query token Q in the token inspector."),
                                  QStringLiteral("Q"));
    QCommandLineOption layerOpt(QStringLiteral("layer"), QStringLiteral("Show layer L (0-based)."), QStringLiteral("L"));
    QCommandLineOption headOpt(QStringLiteral("head"),
                               QStringLiteral("Show head H (0-based) of multi-head models; 'mean' for the mean of heads."),
                               QStringLiteral("H"));
    QCommandLineOption sizeOpt(QStringLiteral("window-size"), QStringLiteral("Window size, e.g. 1280x720."),
                               QStringLiteral("WxH"));
    QCommandLineOption zoomOpt(QStringLiteral("zoom"),
                               QStringLiteral("Zoom the attention map to SPAN tokens around query Q and key K once the "
                                              "result is shown (exact weights of a pooled map follow)."),
                               QStringLiteral("Q,K,SPAN"));
    parser.addOptions({modelOpt, textOpt, lengthOpt, presetOpt, compareOpt, sessionOpt, shotOpt, sweepOpt, freshOpt,
                       inspectOpt, layerOpt, headOpt, sizeOpt, zoomOpt});
    parser.process(app);

    MainWindow window;
    if (parser.isSet(sizeOpt)) {
        const QStringList wh = parser.value(sizeOpt).split(QLatin1Char('x'));
        bool okW = false, okH = false;
        const int w = wh.value(0).toInt(&okW), h = wh.value(1).toInt(&okH);
        if (wh.size() != 2 || !okW || !okH || w < 320 || h < 240 || w > 16384 || h > 16384) {
            std::fprintf(stderr, "entroscope: --window-size: expected WxH (320x240 to 16384x16384), got '%s'\n",
                         qPrintable(parser.value(sizeOpt)));
            return 2;
        }
        window.resize(w, h);
    }
    const BlasReport &blas = checkBlas();
    if (blas.slow)
        window.setBlasWarning(QString::fromStdString(blas.warning));
    if (parser.isSet(sweepOpt))
        window.controller()->setSweepMaxLength(parser.value(sweepOpt).toLongLong());

    // Start from the last session (unless told otherwise), then apply the command line on top.
    SessionState state;
    state.text = demoText();
    state.compareMethods = {QStringLiteral("infoscale"), QStringLiteral("log-n")};
    const bool screenshot = parser.isSet(shotOpt);
    if (!screenshot && !parser.isSet(freshOpt)) {
        SessionState::restoreLast(&state);
    }
    if (!sessionFile.isEmpty()) {
        QString error;
        if (!SessionState::load(sessionFile, &state, &error)) {
            std::fprintf(stderr, "entroscope: %s\n", qPrintable(error));
            return 2;
        }
    }
    if (state.modelDir.isEmpty())
        state.modelDir = defaultModelDir();
    if (parser.isSet(modelOpt))
        state.modelDir = parser.value(modelOpt);
    if (parser.isSet(textOpt)) {
        QFile f(parser.value(textOpt));
        if (f.size() > (qint64(8) << 20)) {
            std::fprintf(stderr, "entroscope: %s: %.1f MiB; the workbench opens texts of at most 8 MiB\n",
                         qPrintable(f.fileName()), double(f.size()) / double(1 << 20));
            return 2;
        }
        if (!f.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "entroscope: %s: %s\n", qPrintable(f.fileName()), qPrintable(f.errorString()));
            return 2;
        }
        state.text = QString::fromUtf8(f.readAll());
    }
    if (parser.isSet(lengthOpt))
        state.length = parser.value(lengthOpt).toLongLong();
    if (parser.isSet(presetOpt))
        state.method = parser.value(presetOpt);
    if (parser.isSet(compareOpt)) {
        const QString list = parser.value(compareOpt);
        state.compareMethods = list.split(list.contains(QLatin1Char(';')) ? QLatin1Char(';') : QLatin1Char(','),
                                          Qt::SkipEmptyParts);
    }

    if (parser.isSet(layerOpt)) {
        bool ok = false;
        state.layer = parser.value(layerOpt).toInt(&ok);
        if (!ok || state.layer < 0) {
            std::fprintf(stderr, "entroscope: --layer: expected a layer index (0, 1, ...), got '%s'\n",
                         qPrintable(parser.value(layerOpt)));
            return 2;
        }
    }
    if (parser.isSet(headOpt)) {
        bool ok = true;
        const QString h = parser.value(headOpt);
        state.head = h == QLatin1String("mean") ? -1 : h.toInt(&ok);
        if (!ok || state.head < -1) {
            std::fprintf(stderr, "entroscope: --head: expected a head index (0, 1, ...) or 'mean', got '%s'\n",
                         qPrintable(h));
            return 2;
        }
    }
    if (parser.isSet(inspectOpt))
        state.inspectQuery = parser.value(inspectOpt).toLongLong();

    // --zoom: applied once, when the first result is shown and the window is idle.
    std::optional<std::array<qint64, 3>> zoom;
    if (parser.isSet(zoomOpt)) {
        const QStringList parts = parser.value(zoomOpt).split(QLatin1Char(','));
        std::array<qint64, 3> v{};
        bool ok = parts.size() == 3;
        for (int i = 0; ok && i < 3; ++i)
            v[size_t(i)] = parts[i].trimmed().toLongLong(&ok);
        if (!ok || v[0] < 0 || v[1] < 0 || v[2] < 2) {
            std::fprintf(stderr, "entroscope: --zoom: expected Q,K,SPAN (non-negative positions, SPAN ≥ 2), got '%s'\n",
                         qPrintable(parser.value(zoomOpt)));
            return 2;
        }
        zoom = v;
    }
    bool zoomed = !zoom;
    auto *zoomPoll = new QTimer(&window);
    QObject::connect(zoomPoll, &QTimer::timeout, &window, [&window, &zoom, &zoomed, zoomPoll] {
        auto *map = qobject_cast<AttentionMapView *>(window.view(MainWindow::AttentionTab));
        if (!window.lastError().isEmpty() || !map) {
            zoomPoll->stop();
            zoomed = true;
            return;
        }
        if (!window.isIdle() || map->map().empty())
            return;
        zoomPoll->stop();
        const auto [q, k, span] = *zoom;
        window.setCurrentView(MainWindow::AttentionTab);
        map->zoomTo(q - span / 2, q - span / 2 + span - 1, k - span / 2, k - span / 2 + span - 1);
        zoomed = true;
    });
    if (zoom)
        zoomPoll->start(100);

    window.show();
    window.applyState(state);

    if (screenshot) {
        const QString dir = parser.value(shotOpt);
        auto *poll = new QTimer(&window);
        auto *elapsed = new QElapsedTimer;
        elapsed->start();
        QObject::connect(poll, &QTimer::timeout, &window, [&window, poll, elapsed, dir, &zoomed] {
            const bool failed = !window.lastError().isEmpty();
            const bool ready = zoomed && window.isIdle() && window.controller()->isBackgroundIdle();
            if (!failed && !ready && elapsed->elapsed() < 600000)
                return;
            poll->stop();
            if (failed)
                std::fprintf(stderr, "entroscope: %s\n", qPrintable(window.lastError()));
            QString error;
            const bool ok = window.grabViews(dir, &error);
            if (!ok)
                std::fprintf(stderr, "entroscope: %s\n", qPrintable(error));
            delete elapsed;
            QApplication::exit(ok && !failed && window.isIdle() ? 0 : 1);
        });
        poll->start(250);
    }
    return app.exec();
}
