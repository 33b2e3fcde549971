// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "layer_overview.h"
#include "plot_helpers.h"
#include "qcustomplot_compat.h"
#include "widget_test_data.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QtTest>

using namespace entroscope;

class TestLayerOverview : public QObject
{
    Q_OBJECT
private:
    static void showView(LayerOverview &view, QSize size)
    {
        view.resize(size);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.plot()->replot();
    }

private Q_SLOTS:
    void picksTheOverviewMapPerLayer()
    {
        // Full map of layer 0 plus 8×8 pooled maps of all layers: the pooled one is the thumbnail.
        const AnalysisResult result = widgettest::result(64, 32, 4, 8, 0);
        LayerOverview view;
        view.setResult(result);
        QCOMPARE(view.thumbnailCount(), 4);
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(view.thumbnailImage(i).size(), QSize(8, 8));
            QCOMPARE(view.caption(i), QStringLiteral("L%1 H=%2").arg(i).arg(result.layers[size_t(i)].entropyMean, 0, 'f', 2));
        }
        QVERIFY(!view.isEmptyState());
    }

    void thumbnailColours()
    {
        AttentionMap map = widgettest::bandedMap(32, 0, 1.0, 0);
        LayerOverview view;
        view.setMaps({map}, {});
        const QImage image = view.thumbnailImage(0);
        QCOMPARE(image.size(), QSize(32, 32));
        // Diagonal (large weights) is bright, far off-diagonal (tiny) is the gradient's dark end.
        QCOMPARE(image.pixelColor(5, 5), QColor(viridisGradient().color(1, QCPRange(0, 1))));
        QCOMPARE(image.pixelColor(30, 2), QColor(viridisGradient().color(0, QCPRange(0, 1))));
        QCOMPARE(view.caption(0), QStringLiteral("L0")); // no metrics given
        // Row 2, key 12: weight ~2e-5, the dark end on a linear scale, visible on a log scale.
        const QColor dark = QColor(viridisGradient().color(0, QCPRange(0, 1)));
        QCOMPARE(image.pixelColor(12, 2), dark);
        view.setLogScale(true);
        QVERIFY(view.logScale());
        QVERIFY(view.thumbnailImage(0).pixelColor(12, 2) != dark);
        QCOMPARE(view.thumbnailImage(0).pixelColor(30, 2), dark); // ~1e-12, below the log floor
    }

    void clickSelectsLayer_data()
    {
        QTest::addColumn<int>("index");
        QTest::newRow("first") << 0;
        QTest::newRow("middle") << 11;
        QTest::newRow("last") << 23;
    }
    void clickSelectsLayer()
    {
        QFETCH(int, index);
        LayerOverview view;
        view.setResult(widgettest::result(64, 32, 24, 4, -1));
        showView(view, QSize(800, 500));
        QSignalSpy selected(&view, &LayerOverview::layerSelected);
        const QRect rect = view.thumbnailRect(index);
        QVERIFY(!rect.isEmpty());
        QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, rect.center());
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().at(0).toInt(), index);
        QCOMPARE(view.selectedLayer(), index);
        // Clicking the gap between thumbnails selects nothing.
        QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
        QCOMPARE(selected.size(), 1);
    }

    void highlightFollowsSelection()
    {
        LayerOverview view;
        view.setResult(widgettest::result(64, 32, 6, 4, -1));
        showView(view, QSize(600, 400));
        view.setSelectedLayer(3);
        QCPItemRect *highlight = nullptr;
        for (int i = 0; i < view.plot()->itemCount(); ++i)
            if (auto *r = qobject_cast<QCPItemRect *>(view.plot()->item(i)))
                highlight = r;
        QVERIFY(highlight && highlight->visible());
        QVERIFY(QRectF(highlight->topLeft->pixelPosition(), highlight->bottomRight->pixelPosition())
                    .contains(view.thumbnailRect(3)));
        view.setSelectedLayer(-1);
        QVERIFY(!highlight->visible());
    }

    void gridReflowsAndFits_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("wide") << QSize(1000, 400);
        QTest::newRow("tall") << QSize(300, 900);
        QTest::newRow("small") << QSize(320, 240);
    }
    void gridReflowsAndFits()
    {
        QFETCH(QSize, size);
        LayerOverview view;
        view.setResult(widgettest::result(64, 32, 24, 4, -1));
        showView(view, size);
        const QRect area(QPoint(0, 0), view.plot()->size());
        for (int i = 0; i < 24; ++i) {
            const QRect r = view.thumbnailRect(i);
            QVERIFY2(area.contains(r), qPrintable(QStringLiteral("thumbnail %1 outside the widget").arg(i)));
            QCOMPARE(r.width(), r.height());
            for (int j = 0; j < i; ++j)
                QVERIFY(!r.intersects(view.thumbnailRect(j)));
        }
    }

    void largeMapsMakeSmallThumbnails()
    {
        // A 1024² full map is max-pooled for its thumbnail (at most 256 cells a side): one bright
        // cell survives the pooling, the rest stays dark.
        AnalysisResult result = widgettest::result(1024, 64, 2, 1, 0); // layer 0's full map only
        for (AttentionMap &m : result.maps)
            if (m.rows == 1024) {
                std::fill(m.data.begin(), m.data.end(), 0.0f);
                m.data[size_t(1000) * 1024 + 3] = 1.0f; // row 1000, column 3
            }
        LayerOverview view;
        view.setResult(result);
        QCOMPARE(view.thumbnailCount(), 1);
        const QImage image = view.thumbnailImage(0);
        QCOMPARE(image.size(), QSize(256, 256));
        const QColor dark = image.pixelColor(100, 100);
        QVERIFY(image.pixelColor(0, 250) != dark); // (1000 / 4, 3 / 4)
        QCOMPARE(image.pixelColor(1, 250), dark);
    }

    void twentyFourLayers()
    {
        const AnalysisResult result = widgettest::result(512, 64, 24, 8, -1);
        LayerOverview view;
        view.resize(900, 600);
        view.setResult(result);
        view.plot()->replot();
        QCOMPARE(view.thumbnailCount(), 24);
    }

    void toolTip()
    {
        LayerOverview view;
        view.setResult(widgettest::result(64, 32, 3, 8, -1));
        showView(view, QSize(600, 300));
        const QString tip = view.toolTipAt(view.thumbnailRect(2).center());
        QVERIFY2(tip.contains(QStringLiteral("layer 2")), qPrintable(tip));
        QVERIFY(tip.contains(QStringLiteral("pooled 8×8 (max)")));
        QVERIFY(tip.contains(QStringLiteral("entropy mean")));
        QVERIFY(view.toolTipAt(QPointF(1, 1)).isEmpty());
    }

    void csvJsonAndClear()
    {
        LayerOverview view;
        QVERIFY(view.isEmptyState());
        view.setResult(widgettest::result(16, 8, 2, 4, -1));
        view.setSelectedLayer(1);
        const QStringList lines = view.csv().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0], QStringLiteral("index,layer,head,entropy_mean,length,pool,pooling,rows,cols"));
        QVERIFY(lines[2].startsWith(QStringLiteral("1,1,0,")));
        QVERIFY(lines[2].endsWith(QStringLiteral(",16,4,max,4,4")));
        const QJsonObject json = view.json();
        QCOMPARE(json[QStringLiteral("selected_layer")].toInt(), 1);
        const QJsonArray thumbs = json[QStringLiteral("thumbnails")].toArray();
        QCOMPARE(thumbs.size(), 2);
        QCOMPARE(thumbs[0].toObject()[QStringLiteral("data")].toArray().size(), 4);
        view.clear();
        QVERIFY(view.isEmptyState());
        QCOMPARE(view.thumbnailCount(), 0);
        QVERIFY(view.json().isEmpty());
    }

    void titleSaysWhatIsShown()
    {
        LayerOverview view;
        view.resize(900, 500);
        view.setResult(widgettest::result(64, 16, 3, 4));
        QVERIFY2(view.title().contains(QLatin1String("n = 64")) && view.title().contains(QLatin1String("softmax")),
                 qPrintable(view.title()));
        QVERIFY(view.title().contains(QLatin1String("percentile")));
        view.setLogScale(true);
        QVERIFY(view.title().contains(QLatin1String("log")));
        // The thumbnails are large in a large tab (no strip of stamps with white space around it).
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.plot()->replot();
        QVERIFY2(view.thumbnailRect(0).width() > 200, qPrintable(QString::number(view.thumbnailRect(0).width())));
    }
};

QTEST_MAIN(TestLayerOverview)
#include "tst_layer_overview.moc"
