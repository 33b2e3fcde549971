// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "attention_map_view.h"
#include "plot_helpers.h"
#include "qcustomplot_compat.h"
#include "widget_test_data.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QtTest>

using namespace entroscope;

class TestAttentionMapView : public QObject
{
    Q_OBJECT
private:
    static void showView(AttentionMapView &view)
    {
        view.resize(700, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.plot()->replot();
    }

private Q_SLOTS:
    void cellValues_data()
    {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("pool");
        QTest::newRow("full 128") << 128 << 1;
        QTest::newRow("pooled 8") << 128 << 8;
        QTest::newRow("pooled partial") << 100 << 16;
        QTest::newRow("single cell") << 5 << 8;
    }
    void cellValues()
    {
        QFETCH(int, n);
        QFETCH(int, pool);
        const AttentionMap full = widgettest::bandedMap(n, 2, 3.0, 1.0);
        const AttentionMap map = pool > 1 ? widgettest::pooled(full, pool) : full;
        AttentionMapView view;
        view.setMap(map, widgettest::tokens(n), 64);
        QCPColorMapData *data = view.colorMap()->data();
        if (map.cols > 1) {
            QCOMPARE(data->keySize(), map.cols);
            QCOMPARE(data->valueSize(), map.rows);
        }
        for (int r = 0; r < map.rows; r += std::max(1, map.rows / 7))
            for (int c = 0; c < map.cols; c += std::max(1, map.cols / 5)) {
                // Cell centres are in token coordinates: c·pool + (pool−1)/2.
                const double key = c * double(pool) + (pool - 1) / 2.0;
                const double value = r * double(pool) + (pool - 1) / 2.0;
                QCOMPARE(data->data(key, value), double(map.at(r, c)));
            }
        // Axes span the tokens, not the cells.
        QCOMPARE(view.plot()->xAxis->range().lower, -0.5);
        QCOMPARE(view.plot()->xAxis->range().upper, n - 0.5);
        QVERIFY(!view.isEmptyState());
    }

    void queryZeroAtTop()
    {
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(32, 0, 2, 0), {}, 0);
        showView(view);
        QCPAxis *y = view.plot()->yAxis;
        QVERIFY(y->rangeReversed());
        QVERIFY(y->coordToPixel(0) < y->coordToPixel(31));
        QCOMPARE(view.plot()->xAxis->axisType(), QCPAxis::atBottom);
    }

    void title_data()
    {
        QTest::addColumn<int>("pool");
        QTest::addColumn<int>("pooling");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<bool>("mentionsPool");
        QTest::newRow("full") << 1 << int(AttentionMap::Pooling::None) << QStringLiteral("layer 3 · n = 128") << false;
        QTest::newRow("max") << 8 << int(AttentionMap::Pooling::Max) << QStringLiteral("pooled 8×8 (max)") << true;
        QTest::newRow("mean") << 4 << int(AttentionMap::Pooling::Mean) << QStringLiteral("pooled 4×4 (mean)") << true;
    }
    void title()
    {
        QFETCH(int, pool);
        QFETCH(int, pooling);
        QFETCH(QString, expected);
        QFETCH(bool, mentionsPool);
        AttentionMap full = widgettest::bandedMap(128, 3, 2, 1);
        AttentionMap map = pool > 1 ? widgettest::pooled(full, pool, AttentionMap::Pooling(pooling)) : full;
        AttentionMapView view;
        view.setTitlePrefix(QStringLiteral("infoscale"));
        view.setMap(map, {}, 64);
        QVERIFY2(view.title().contains(expected), qPrintable(view.title()));
        QVERIFY(view.title().startsWith(QStringLiteral("infoscale")));
        QCOMPARE(view.title().contains(QStringLiteral("pooled")), mentionsPool);
    }

    void logScale()
    {
        AttentionMap map = widgettest::bandedMap(64, 0, 1.0, 0);
        map.data[5] = 0.0f; // row 0, key 5: exactly zero must not break the log scale
        AttentionMapView view;
        view.setMap(map, {}, 32);
        QCOMPARE(view.colorScale()->dataScaleType(), QCPAxis::stLinear);
        QCOMPARE(view.colorRange().lower, 0.0);
        view.setLogScale(true);
        QVERIFY(view.logScale());
        QCOMPARE(view.colorScale()->dataScaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(view.colorMap()->dataScaleType(), QCPAxis::stLogarithmic);
        QVERIFY(view.colorScale()->axis()->ticker().dynamicCast<QCPAxisTickerLog>());
        QVERIFY(view.colorRange().lower >= kLogFloor);
        QCOMPARE(view.colorMap()->data()->data(5, 0), kLogFloor);
        QVERIFY(view.colorScale()->label().contains(QStringLiteral("log")));
        view.setLogScale(false);
        QCOMPARE(view.colorScale()->dataScaleType(), QCPAxis::stLinear);
        QCOMPARE(view.colorMap()->data()->data(5, 0), 0.0);
    }

    void logScaleKeepsTheMapShape()
    {
        // Log ticks (10^-6 …) are wider than linear ones (0.025 …); the map's rectangle must not change.
        AttentionMap map = widgettest::bandedMap(64, 0, 1.0, 0);
        AttentionMapView view;
        view.resize(700, 560);
        view.setMap(map, {}, 32);
        view.plot()->toPixmap(700, 560);
        const QRect linear = view.plot()->axisRect()->rect();
        const QRect linearScale = view.colorScale()->outerRect();
        view.setLogScale(true);
        view.plot()->toPixmap(700, 560);
        QCOMPARE(view.plot()->axisRect()->rect(), linear);
        QCOMPARE(view.colorScale()->outerRect().width(), 100);
    }

    void colorRange()
    {
        const AttentionMap map = widgettest::bandedMap(64, 0, 2.0, 3.0);
        const double max = *std::max_element(map.data.begin(), map.data.end());
        AttentionMapView view;
        view.setMap(map, {}, 32);
        QCOMPARE(view.colorRange().upper, max);
        view.setColorRange(0.0, 0.25);
        QCOMPARE(view.colorRange().lower, 0.0);
        QCOMPARE(view.colorRange().upper, 0.25);
        QCOMPARE(view.colorMap()->dataRange().upper, 0.25);
        // A pinned range survives a new map (comparisons keep one scale).
        view.setMap(widgettest::bandedMap(64, 1, 5.0, 0), {}, 32);
        QCOMPARE(view.colorRange().upper, 0.25);
        view.setLogScale(true);
        QCOMPARE(view.colorRange().lower, kLogFloor);
        view.setLogScale(false);
        view.resetColorRange();
        QCOMPARE(view.colorRange().upper, double(*std::max_element(view.map().data.begin(), view.map().data.end())));
    }

    void tokenLabelsOnlyWhenZoomedIn()
    {
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(128, 0, 2, 1), widgettest::tokens(128), 64);
        QVERIFY(!view.keyTokenLabelsShown());
        QVERIFY(!view.queryTokenLabelsShown());
        QVERIFY(!view.plot()->xAxis->ticker().dynamicCast<QCPAxisTickerText>());

        view.plot()->xAxis->setRange(9.5, 29.5);
        QVERIFY(view.keyTokenLabelsShown());
        QVERIFY(!view.queryTokenLabelsShown());
        auto ticker = view.plot()->xAxis->ticker().dynamicCast<QCPAxisTickerText>();
        QVERIFY(ticker);
        QCOMPARE(ticker->ticks().size(), 20);
        QCOMPARE(ticker->ticks().value(13.0), QStringLiteral("13 cat"));

        view.plot()->yAxis->setRange(-0.5, 47.5); // exactly kMaxLabelledTokens rows
        QVERIFY(view.queryTokenLabelsShown());
        view.plot()->yAxis->setRange(-0.5, 48.5);
        QVERIFY(!view.queryTokenLabelsShown());

        view.resetView();
        QVERIFY(!view.keyTokenLabelsShown());
        QVERIFY(!view.plot()->xAxis->ticker().dynamicCast<QCPAxisTickerText>());
    }

    void tokenLabelsThinOnShortAxes_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::addColumn<bool>("thinned");
        QTest::newRow("roomy") << QSize(1400, 1200) << false;
        QTest::newRow("cramped") << QSize(360, 300) << true;
    }
    void tokenLabelsThinOnShortAxes()
    {
        QFETCH(QSize, size);
        QFETCH(bool, thinned);
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(128, 0, 2, 1), widgettest::tokens(128), 64);
        view.resize(size);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.plot()->yAxis->setRange(7.5, 47.5); // 40 tokens
        view.plot()->replot();
        view.plot()->replot(); // tick vectors follow the previous layout's axis length
        QCPAxis *y = view.plot()->yAxis;
        QVERIFY(view.queryTokenLabelsShown());
        QCOMPARE(y->ticker().dynamicCast<QCPAxisTickerText>()->ticks().size(), 40);
        const QVector<double> drawn = y->tickVector();
        QCOMPARE(drawn.size() < 40, thinned);
        // Thinned labels keep a regular stride and still name tokens.
        if (drawn.size() > 1) {
            const double stride = drawn[1] - drawn[0];
            for (int k = 1; k < drawn.size(); ++k)
                QCOMPARE(drawn[k] - drawn[k - 1], stride);
        }
        QVERIFY(y->tickVectorLabels().first().contains(QLatin1Char(' ')));
        // Each drawn label has at least one text line of room.
        const double pixelsPerLabel = y->axisRect()->height() / double(drawn.size());
        QVERIFY(pixelsPerLabel >= QFontMetrics(y->tickLabelFont()).height() || !thinned);
    }

    void noTokensMeansNumericTicks()
    {
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(64, 0, 2, 1), {}, 32);
        view.plot()->xAxis->setRange(0, 10);
        QVERIFY(!view.keyTokenLabelsShown());
    }

    void rangeIsClampedToTheMap()
    {
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(64, 0, 2, 1), {}, 32);
        view.plot()->xAxis->setRange(-100, 500);
        QCOMPARE(view.plot()->xAxis->range(), QCPRange(-0.5, 63.5));
        view.plot()->xAxis->setRange(50, 70);
        QCOMPARE(view.plot()->xAxis->range(), QCPRange(43.5, 63.5));
    }

    void interactions()
    {
        AttentionMapView view;
        QVERIFY(view.plot()->interactions().testFlag(QCP::iRangeDrag));
        QVERIFY(view.plot()->interactions().testFlag(QCP::iRangeZoom));
        view.setMap(widgettest::bandedMap(128, 0, 2, 1), widgettest::tokens(128), 64);
        showView(view);
        const double before = view.plot()->xAxis->range().size();
        const QPointF centre = view.plot()->axisRect()->rect().center();
        for (int k = 0; k < 12; ++k) {
            QWheelEvent wheel(centre, view.plot()->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton,
                              Qt::NoModifier, Qt::NoScrollPhase, false);
            QApplication::sendEvent(view.plot(), &wheel);
        }
        QVERIFY(view.plot()->xAxis->range().size() < before / 2);
        // Zoomed in far enough: token labels appear without any other call.
        QVERIFY(view.keyTokenLabelsShown());
        QVERIFY(view.queryTokenLabelsShown());
    }

    // Zoomed into a pooled map with the wheel: the view asks once for the exact weights of a window around
    // what is visible, draws them unpooled at their token positions over the pooled cells, and says so.
    void exactRegionOfAZoomedPooledMap()
    {
        const int n = 2048, p = 8;
        const AttentionMap full = widgettest::bandedMap(n, 1, 3.0, 1.0);
        AttentionMapView view;
        view.setMap(widgettest::pooled(full, p), widgettest::tokens(n), 64);
        showView(view);
        QSignalSpy wanted(&view, &AttentionMapView::exactRegionWanted);
        const QPointF centre = view.plot()->axisRect()->rect().center();
        for (int k = 0; k < 18; ++k) {
            QWheelEvent wheel(centre, view.plot()->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton,
                              Qt::NoModifier, Qt::NoScrollPhase, false);
            QApplication::sendEvent(view.plot(), &wheel);
        }
        const QCPRange x = view.plot()->xAxis->range(), y = view.plot()->yAxis->range();
        QVERIFY(x.size() <= AttentionMapView::kExactRegionMaxVisible);
        QVERIFY(wanted.wait(2000));
        QCOMPARE(wanted.count(), 1); // debounced: once for the whole zoom gesture
        const auto args = wanted.at(0);
        const AttentionMapView::Region region{args.at(0).toLongLong(), args.at(1).toLongLong(),
                                              args.at(2).toLongLong(), args.at(3).toLongLong()};
        QCOMPARE(region.rows, AttentionMapView::kExactRegionSide);
        QCOMPARE(region.cols, AttentionMapView::kExactRegionSide);
        QVERIFY(region.contains(int64_t(std::ceil(y.lower)), int64_t(std::floor(y.upper)),
                                int64_t(std::ceil(x.lower)), int64_t(std::floor(x.upper))));

        std::vector<float> exact(size_t(region.rows * region.cols));
        for (int64_t i = 0; i < region.rows; ++i)
            for (int64_t j = 0; j < region.cols; ++j)
                exact[size_t(i * region.cols + j)] = full.at(int(region.row0 + i), int(region.col0 + j));
        view.setExactRegion(region, exact);
        QVERIFY(view.exactRegion() == region);
        QVERIFY(view.exactColorMap()->visible());
        QVERIFY(view.title().contains(QStringLiteral("exact rows %1–%2").arg(region.row0).arg(region.row0 + region.rows - 1)));
        for (int64_t i = region.row0; i < region.row0 + region.rows; i += 37)
            for (int64_t j = region.col0; j < region.col0 + region.cols; j += 29) {
                QCOMPARE(view.exactColorMap()->data()->data(double(j), double(i)), double(full.at(int(i), int(j))));
                QCOMPARE(view.exactWeight(i, j), double(full.at(int(i), int(j))));
            }
        QVERIFY(std::isnan(view.exactWeight(region.row0 - 1, region.col0)));
        // The tooltip over the middle of the view is a single token pair's exact weight.
        const QString tip = view.toolTipAt(centre);
        QVERIFY2(tip.contains(QStringLiteral("exact weight = ")), qPrintable(tip));
        QVERIFY(tip.contains(QStringLiteral("query ")) && !tip.contains(QStringLiteral("queries")));
        const QJsonObject json = view.json().value(QStringLiteral("exact_region")).toObject();
        QCOMPARE(json.value(QStringLiteral("row0")).toDouble(), double(region.row0));
        QCOMPARE(json.value(QStringLiteral("data")).toArray().size(), int(region.rows));

        // A small pan inside the region asks nothing more.
        view.plot()->xAxis->moveRange(4);
        QTest::qWait(300);
        QCOMPARE(wanted.count(), 1);

        // A new result of the same shape keeps the zoom but not the region (it belonged to the old map),
        // and the view asks again; another length shows the whole map.
        const QCPRange zoomed = view.plot()->xAxis->range();
        view.setMap(widgettest::pooled(full, p), widgettest::tokens(n), 64);
        QVERIFY(view.exactRegion().empty());
        QVERIFY(!view.exactColorMap()->visible());
        QCOMPARE(view.plot()->xAxis->range(), zoomed);
        QVERIFY(wanted.wait(2000));
        QCOMPARE(wanted.count(), 2);
        const AttentionMap other = widgettest::bandedMap(1024, 1, 3.0, 1.0);
        view.setMap(widgettest::pooled(other, p), widgettest::tokens(1024), 64);
        QCOMPARE(view.plot()->xAxis->range(), QCPRange(-0.5, 1023.5));

        // A wrong-sized region is ignored.
        view.setExactRegion({0, 10, 0, 10}, std::vector<float>(99));
        QVERIFY(view.exactRegion().empty());
    }

    // An unpooled map has every weight already: zooming never asks for an exact region.
    void unpooledMapAsksNoExactRegion()
    {
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(512, 0, 2, 1), widgettest::tokens(512), 64);
        showView(view);
        QSignalSpy wanted(&view, &AttentionMapView::exactRegionWanted);
        view.plot()->xAxis->setRange(100, 150);
        view.plot()->yAxis->setRange(100, 150);
        view.checkExactRegion();
        QTest::qWait(250);
        QCOMPARE(wanted.count(), 0);
        view.setExactRegion({0, 4, 0, 4}, std::vector<float>(16, 0.5f));
        QVERIFY(view.exactRegion().empty());
    }

    void toolTipForCell_data()
    {
        QTest::addColumn<int>("pool");
        QTest::addColumn<int>("r");
        QTest::addColumn<int>("c");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("full") << 1 << 12 << 3
                              << QStringList{QStringLiteral("query 12 “a”"), QStringLiteral("key 3 “fox”"),
                                             QStringLiteral("weight "), QStringLiteral("distance |i−j| = 9"),
                                             QStringLiteral("inside the training block")};
        QTest::newRow("beyond T") << 1 << 100 << 3
                                  << QStringList{QStringLiteral("query 100"), QStringLiteral("beyond the training length (T = 64)")};
        QTest::newRow("pooled") << 8 << 2 << 0
                                << QStringList{QStringLiteral("queries 16–23"), QStringLiteral("keys 0–7"),
                                               QStringLiteral("max of 8×8 = "), QStringLiteral("distance |i−j| 9–23")};
    }
    void toolTipForCell()
    {
        QFETCH(int, pool);
        QFETCH(int, r);
        QFETCH(int, c);
        QFETCH(QStringList, expected);
        const AttentionMap full = widgettest::bandedMap(128, 0, 2, 1);
        const AttentionMap map = pool > 1 ? widgettest::pooled(full, pool) : full;
        AttentionMapView view;
        view.setMap(map, widgettest::tokens(128), 64);
        const QString tip = view.toolTipForCell(r, c);
        for (const QString &part : expected)
            QVERIFY2(tip.contains(part), qPrintable(tip));
        QVERIFY(tip.contains(QString::number(map.at(r, c), 'g', 5)));
        QVERIFY(view.toolTipForCell(-1, 0).isEmpty());
        QVERIFY(view.toolTipForCell(map.rows, 0).isEmpty());
    }

    void toolTipAtPixel()
    {
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(32, 0, 2, 1), widgettest::tokens(32), 16);
        showView(view);
        QCustomPlot *plot = view.plot();
        const QPointF pixel(plot->xAxis->coordToPixel(7), plot->yAxis->coordToPixel(20));
        QCOMPARE(view.toolTipAt(pixel), view.toolTipForCell(20, 7));
        QVERIFY(view.toolTipAt(QPointF(1, 1)).isEmpty()); // outside the axis rect

        QSignalSpy hovered(&view, &AttentionMapView::cellHovered);
        QTest::mouseMove(plot, pixel.toPoint());
        QTRY_VERIFY(!hovered.isEmpty());
        QCOMPARE(hovered.last().at(0).toInt(), 20);
        QCOMPARE(hovered.last().at(1).toInt(), 7);
    }

    void trainRegion_data()
    {
        QTest::addColumn<int>("trainLength");
        QTest::addColumn<bool>("visible");
        QTest::newRow("T < n") << 64 << true;
        QTest::newRow("T = n") << 128 << false;
        QTest::newRow("unknown") << 0 << false;
    }
    void trainRegion()
    {
        QFETCH(int, trainLength);
        QFETCH(bool, visible);
        AttentionMapView view;
        view.setMap(widgettest::bandedMap(128, 0, 2, 1), {}, trainLength);
        QCOMPARE(view.trainRegion()->visible(), visible);
        if (visible) {
            QCOMPARE(view.trainRegion()->topLeft->coords(), QPointF(-0.5, -0.5));
            QCOMPARE(view.trainRegion()->bottomRight->coords(), QPointF(trainLength - 0.5, trainLength - 0.5));
        }
    }

    void clearShowsEmptyState()
    {
        AttentionMapView view;
        QVERIFY(view.isEmptyState());
        QVERIFY(!view.emptyStateText().isEmpty());
        view.setMap(widgettest::bandedMap(16, 0, 2, 1), {}, 8);
        QVERIFY(!view.isEmptyState());
        QVERIFY(view.colorMap()->visible());
        view.clear();
        QVERIFY(view.isEmptyState());
        QVERIFY(!view.colorMap()->visible());
        QVERIFY(view.csv().isEmpty());
        QVERIFY(view.json().isEmpty());
        QVERIFY(view.toolTipForCell(0, 0).isEmpty());
        // A malformed map is treated as no map.
        AttentionMap bad = widgettest::bandedMap(16, 0, 2, 1);
        bad.data.resize(10);
        view.setMap(bad, {}, 8);
        QVERIFY(view.isEmptyState());
    }

    void csvAndJson()
    {
        const AttentionMap full = widgettest::bandedMap(20, 4, 2, 1);
        const AttentionMap map = widgettest::pooled(full, 8, AttentionMap::Pooling::Mean);
        AttentionMapView view;
        view.setMap(map, widgettest::tokens(20), 8);
        const QStringList lines = view.csv().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), map.rows + 1);
        QCOMPARE(lines[0], QStringLiteral("query\\key,0-7,8-15,16-19"));
        const QStringList row1 = lines[2].split(QLatin1Char(','));
        QCOMPARE(row1[0], QStringLiteral("8-15"));
        QCOMPARE(row1[2].toFloat(), map.at(1, 1));

        const QJsonObject json = view.json();
        QCOMPARE(json[QStringLiteral("layer")].toInt(), 4);
        QCOMPARE(json[QStringLiteral("pool")].toInt(), 8);
        QCOMPARE(json[QStringLiteral("pooling")].toString(), QStringLiteral("mean"));
        QCOMPARE(json[QStringLiteral("length")].toInt(), 20);
        QCOMPARE(json[QStringLiteral("train_length")].toInt(), 8);
        QCOMPARE(json[QStringLiteral("tokens")].toArray().size(), 20);
        const QJsonArray data = json[QStringLiteral("data")].toArray();
        QCOMPARE(data.size(), map.rows);
        QCOMPARE(float(data[2].toArray()[1].toDouble()), map.at(2, 1));
    }
};

QTEST_MAIN(TestAttentionMapView)
#include "tst_attention_map_view.moc"
