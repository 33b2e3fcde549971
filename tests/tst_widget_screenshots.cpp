// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Renders every widget with realistic synthetic data via QWidget::grab() and checks the pictures are
// not blank. With ENTROSCOPE_SHOT_DIR set, the PNGs are kept there for a human to look at.
#include "attention_map_view.h"
#include "compare_view.h"
#include "dilution_view.h"
#include "distance_profile_view.h"
#include "entropy_view.h"
#include "layer_overview.h"
#include "qcustomplot_compat.h"
#include "widget_test_data.h"

#include <QDir>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace entroscope;

class TestWidgetScreenshots : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_tmp;
    QString m_dir;

    void shoot(QWidget &widget, const QString &name, QSize size = QSize(760, 620))
    {
        widget.resize(size);
        widget.show();
        QVERIFY(QTest::qWaitForWindowExposed(&widget));
        const QImage image = widget.grab().toImage();
        QCOMPARE(image.size() / image.devicePixelRatio(), size);
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 3)
            for (int x = 0; x < image.width(); x += 3)
                colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 8, qPrintable(name + QStringLiteral(" looks blank")));
        QVERIFY(image.save(QDir(m_dir).filePath(name + QStringLiteral(".png"))));
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_dir = qEnvironmentVariable("ENTROSCOPE_SHOT_DIR");
        if (m_dir.isEmpty())
            m_dir = m_tmp.path();
        QVERIFY(QDir().mkpath(m_dir));
    }

    void attentionMap()
    {
        AttentionMapView view;
        view.setTitlePrefix(QStringLiteral("softmax × plain × rope"));
        view.setMap(widgettest::bandedMap(128, 2, 4.0, 1.5), widgettest::tokens(128), 64);
        shoot(view, QStringLiteral("attention_map"));
        view.setLogScale(true);
        shoot(view, QStringLiteral("attention_map_log"));
        view.setLogScale(false);
        view.plot()->xAxis->setRange(50.5, 80.5);
        view.plot()->yAxis->setRange(55.5, 85.5);
        view.plot()->replot();
        shoot(view, QStringLiteral("attention_map_zoomed"));
    }

    void attentionMapPooled()
    {
        AttentionMapView view;
        view.setTitlePrefix(QStringLiteral("infoscale × plain × rope"));
        const AttentionMap full = widgettest::bandedMap(1024, 5, 12.0, 3.0);
        view.setMap(widgettest::pooled(full, 16), widgettest::tokens(1024), 64);
        view.setLogScale(true);
        shoot(view, QStringLiteral("attention_map_pooled"));
    }

    void attentionMapEmpty()
    {
        AttentionMapView view;
        shoot(view, QStringLiteral("attention_map_empty"), QSize(500, 400));
    }

    void entropy()
    {
        const AnalysisResult result = widgettest::result(128, 64, 12, 1);
        EntropyView view;
        view.setData(result, 5, 2.35);
        shoot(view, QStringLiteral("entropy"));
    }

    void dilution()
    {
        DilutionView view;
        view.setTrainLength(64);
        struct Method { const char *label; double retainedExp; double entropyFrac; };
        const Method methods[] = {{"extrapolate", 0.55, 0.72}, {"log-n", 0.25, 0.55}, {"infoscale", 0.12, 0.47},
                                  {"infoscale+cosscale", 0.08, 0.44}};
        for (int n = 32; n <= 4096; n *= 2)
            for (const Method &m : methods) {
                const double retained = n >= 64 ? std::pow(64.0 / n, m.retainedExp) : std::nan("");
                const double entropy = std::log(double(n)) * (n <= 64 ? 0.45 : m.entropyFrac);
                view.addPoint(QString::fromLatin1(m.label), n, retained, entropy);
            }
        shoot(view, QStringLiteral("dilution"), QSize(960, 520));
    }

    void distanceProfile()
    {
        DistanceProfileView view;
        view.setSubtitle(QStringLiteral("layer 3 · n = 1024"));
        std::vector<DistanceProfileView::Profile> profiles;
        const char *labels[] = {"extrapolate", "infoscale", "window:64"};
        for (int k = 0; k < 3; ++k) {
            const AnalysisResult r = widgettest::result(256, 64, 1, 1);
            const AttentionMap map = widgettest::bandedMap(256, 0, 2.0 + 6.0 * k, 0.5 * k);
            profiles.emplace_back(QString::fromLatin1(labels[k]), widgettest::metricsOf(map, 64).distanceProfile);
        }
        view.setProfiles(profiles);
        shoot(view, QStringLiteral("distance_profile"));
        view.setLogScale(true);
        shoot(view, QStringLiteral("distance_profile_log"));
    }

    void layerOverview()
    {
        const AnalysisResult result = widgettest::result(512, 64, 24, 8, -1);
        LayerOverview view;
        view.setResult(result);
        view.setSelectedLayer(5);
        shoot(view, QStringLiteral("layer_overview"), QSize(900, 620));
    }

    void compare()
    {
        CompareView view;
        const std::vector<CompareView::LabelledMap> maps = {
            {QStringLiteral("extrapolate"), widgettest::bandedMap(128, 3, 10.0, 0.5)},
            {QStringLiteral("infoscale"), widgettest::bandedMap(128, 3, 3.0, 1.5)},
            {QStringLiteral("rerope:64"), widgettest::bandedMap(128, 3, 5.0, 1.0)},
        };
        view.setMaps(maps, widgettest::tokens(128), 64);
        std::vector<double> js;
        for (int l = 0; l < 12; ++l)
            js.push_back(0.02 + 0.15 * std::exp(-std::pow(l - 6.0, 2) / 10.0));
        view.setJsDivergence(js, QStringLiteral("extrapolate vs infoscale"));
        shoot(view, QStringLiteral("compare"), QSize(1100, 760));
    }
};

QTEST_MAIN(TestWidgetScreenshots)
#include "tst_widget_screenshots.moc"
