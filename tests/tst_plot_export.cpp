// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "attention_map_view.h"
#include "compare_view.h"
#include "dilution_view.h"
#include "distance_profile_view.h"
#include "entropy_view.h"
#include "layer_overview.h"
#include "plot_export.h"
#include "qcustomplot_compat.h"
#include "widget_test_data.h"

#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace entroscope;

namespace {

// Every widget kind with data, for the data-driven export tests.
std::unique_ptr<PlotView> makeView(const QString &kind)
{
    if (kind == QLatin1String("attention_map")) {
        auto view = std::make_unique<AttentionMapView>();
        view->setMap(widgettest::bandedMap(64, 1, 3, 1), widgettest::tokens(64), 32);
        return view;
    }
    if (kind == QLatin1String("entropy")) {
        auto view = std::make_unique<EntropyView>();
        view->setData(widgettest::result(64, 32, 4, 1), 1, 2.0);
        return view;
    }
    if (kind == QLatin1String("dilution")) {
        auto view = std::make_unique<DilutionView>();
        view->setTrainLength(64);
        for (int n = 64; n <= 1024; n *= 2)
            view->addPoint(QStringLiteral("extrapolate"), n, 64.0 / n, std::log(double(n)) / 2);
        return view;
    }
    if (kind == QLatin1String("distance_profile")) {
        auto view = std::make_unique<DistanceProfileView>();
        view->setProfiles({{QStringLiteral("a"), {0.4, 0.3, 0.2, 0.1}}});
        return view;
    }
    if (kind == QLatin1String("layer_overview")) {
        auto view = std::make_unique<LayerOverview>();
        view->setResult(widgettest::result(64, 32, 6, 8, -1));
        return view;
    }
    auto view = std::make_unique<CompareView>();
    view->setMaps({{QStringLiteral("a"), widgettest::bandedMap(32, 0, 2, 1)}, {QStringLiteral("b"), widgettest::bandedMap(32, 0, 5, 0)}},
                  widgettest::tokens(32), 16);
    view->setJsDivergence({0.1, 0.2}, QStringLiteral("a vs b"));
    return view;
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestPlotExport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void exportFormats_data()
    {
        QTest::addColumn<QString>("kind");
        for (const char *kind : {"attention_map", "entropy", "dilution", "distance_profile", "layer_overview", "compare"})
            QTest::newRow(kind) << QString::fromLatin1(kind);
    }
    void exportFormats()
    {
        QFETCH(QString, kind);
        std::unique_ptr<PlotView> view = makeView(kind);
        view->resize(640, 480);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString error;

        const QString png = dir.filePath(QStringLiteral("plot.png"));
        QVERIFY2(exportPng(view->plot(), png, 800, 600, 2.0, 300, &error), qPrintable(error));
        QImage image(png);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), QSize(1600, 1200));
        QCOMPARE(image.dotsPerMeterX(), qRound(300 / 0.0254));
        // Not a blank page.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7)
                colours.insert(image.pixel(x, y));
        QVERIFY(colours.size() > 8);
        if (const QString keep = qEnvironmentVariable("ENTROSCOPE_SHOT_DIR"); !keep.isEmpty())
            image.save(QDir(keep).filePath(QStringLiteral("export_%1.png").arg(kind)));

        const QString svg = dir.filePath(QStringLiteral("plot.svg"));
        QVERIFY2(exportSvg(view->plot(), svg, 800, 600, &error), qPrintable(error));
        const QByteArray svgBytes = readAll(svg);
        QVERIFY(svgBytes.startsWith("<?xml"));
        QVERIFY(svgBytes.contains("<svg"));
        QVERIFY(svgBytes.contains("</svg>"));
        QVERIFY(svgBytes.contains("viewBox=\"0 0 800 600\""));

        const QString pdf = dir.filePath(QStringLiteral("plot.pdf"));
        QVERIFY2(exportPdf(view->plot(), pdf, 800, 600, &error), qPrintable(error));
        const QByteArray pdfBytes = readAll(pdf);
        QVERIFY(pdfBytes.startsWith("%PDF"));
        QVERIFY(pdfBytes.trimmed().endsWith("%%EOF"));

        const QString csv = dir.filePath(QStringLiteral("plot.csv"));
        QVERIFY2(writeTextFile(csv, view->csv(), &error), qPrintable(error));
        QCOMPARE(QString::fromUtf8(readAll(csv)), view->csv());
        QVERIFY(!view->csv().isEmpty());

        const QString json = dir.filePath(QStringLiteral("plot.json"));
        QVERIFY2(writeTextFile(json, QString::fromUtf8(QJsonDocument(view->json()).toJson()), &error), qPrintable(error));
        QJsonParseError parse;
        const QJsonDocument doc = QJsonDocument::fromJson(readAll(json), &parse);
        QCOMPARE(parse.error, QJsonParseError::NoError);
        QCOMPARE(doc.object(), view->json());
        QVERIFY(!doc.object().isEmpty());

        // Only the five files: no temporary leftovers.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 5);
    }

    void exportDoesNotDisturbTheWidget()
    {
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(32, 0, 2, 1), {}, 16);
        view.resize(500, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const QRect viewport = view.plot()->viewport();
        QTemporaryDir dir;
        QVERIFY(exportPng(view.plot(), dir.filePath(QStringLiteral("a.png")), 1200, 900));
        QVERIFY(exportPdf(view.plot(), dir.filePath(QStringLiteral("a.pdf")), 1200, 900));
        QVERIFY(exportSvg(view.plot(), dir.filePath(QStringLiteral("a.svg")), 1200, 900));
        QCOMPARE(view.plot()->viewport(), viewport);
    }

    void defaultSizeIsTheWidgetSize()
    {
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(16, 0, 2, 1), {}, 8);
        view.resize(420, 310);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("a.png"));
        QVERIFY(exportPng(view.plot(), png));
        QCOMPARE(QImage(png).size(), view.plot()->size());
    }

    void replacesAnExistingFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("data.csv"));
        QVERIFY(writeTextFile(path, QStringLiteral("old\n")));
        QVERIFY(writeTextFile(path, QStringLiteral("new,ü\n")));
        QCOMPARE(readAll(path), QByteArray("new,\xc3\xbc\n"));
    }

    void failuresReportAndLeaveNothing_data()
    {
        QTest::addColumn<QString>("format");
        for (const char *format : {"png", "svg", "pdf", "csv"})
            QTest::newRow(format) << QString::fromLatin1(format);
    }
    void failuresReportAndLeaveNothing()
    {
        QFETCH(QString, format);
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(16, 0, 2, 1), {}, 8);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("missing/folder/out.") + format);
        QString error;
        bool ok = true;
        if (format == QLatin1String("png"))
            ok = exportPng(view.plot(), path, 100, 100, 1.0, 96, &error);
        else if (format == QLatin1String("svg"))
            ok = exportSvg(view.plot(), path, 100, 100, &error);
        else if (format == QLatin1String("pdf"))
            ok = exportPdf(view.plot(), path, 100, 100, &error);
        else
            ok = writeTextFile(path, view.csv(), &error);
        QVERIFY(!ok);
        QVERIFY(error.contains(path));
        QVERIFY(!QFile::exists(path));
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).size(), 0);
    }

    void badArguments()
    {
        QString error;
        QVERIFY(!exportPng(nullptr, QStringLiteral("/tmp/x.png"), 10, 10, 1.0, 96, &error));
        QVERIFY(!error.isEmpty());
        AttentionMapView view;
        error.clear();
        QVERIFY(!exportSvg(view.plot(), QString(), 10, 10, &error));
        QVERIFY(!error.isEmpty());
        error.clear();
        QVERIFY(!exportPng(view.plot(), QStringLiteral("/tmp/x.png"), 10, 10, 0.0, 96, &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!copyToClipboard(nullptr, 1.0, &error));
    }

    void clipboard()
    {
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(16, 0, 2, 1), {}, 8);
        view.resize(300, 200);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QString error;
        QVERIFY2(copyToClipboard(view.plot(), 1.0, &error), qPrintable(error));
        const QImage image = QGuiApplication::clipboard()->image();
        if (image.isNull())
            QSKIP("this platform plugin keeps no clipboard contents");
        QCOMPARE(image.size(), view.plot()->size());
    }
};

QTEST_MAIN(TestPlotExport)
#include "tst_plot_export.moc"
