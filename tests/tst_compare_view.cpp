// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "compare_view.h"
#include "plot_helpers.h"
#include "qcustomplot_compat.h"
#include "widget_test_data.h"

#include <QJsonArray>
#include <QtTest>

#include <cmath>

using namespace entroscope;

namespace {

std::vector<CompareView::LabelledMap> threeMaps(int n = 64)
{
    return {{QStringLiteral("extrapolate"), widgettest::bandedMap(n, 2, 8.0, 0.5)},
            {QStringLiteral("infoscale"), widgettest::bandedMap(n, 2, 2.0, 1.5)},
            {QStringLiteral("rerope:32"), widgettest::bandedMap(n, 2, 4.0, 4.0)}};
}

double maxOf(const std::vector<CompareView::LabelledMap> &maps)
{
    double hi = 0;
    for (const auto &m : maps)
        hi = std::max(hi, double(*std::max_element(m.second.data.begin(), m.second.data.end())));
    return hi;
}

} // namespace

class TestCompareView : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sharedColourScale_data()
    {
        QTest::addColumn<int>("count");
        QTest::newRow("two") << 2;
        QTest::newRow("three") << 3;
    }
    void sharedColourScale()
    {
        QFETCH(int, count);
        auto maps = threeMaps();
        maps.resize(size_t(count));
        CompareView view;
        view.setMaps(maps, widgettest::tokens(64), 32);
        QCOMPARE(view.mapCount(), count);
        const QCPRange expected(0, maxOf(maps));
        QCOMPARE(view.colorRange(), expected);
        for (int i = 0; i < count; ++i) {
            QVERIFY(view.colorMap(i));
            QCOMPARE(view.colorMap(i)->colorScale(), view.colorScale());
            QCOMPARE(view.colorMap(i)->dataRange(), expected);
            QCOMPARE(view.colorMap(i)->data()->data(3, 10), double(maps[size_t(i)].second.at(10, 3)));
            QCOMPARE(view.mapLabel(i), maps[size_t(i)].first);
        }
        view.setColorRange(0, 0.1);
        for (int i = 0; i < count; ++i)
            QCOMPARE(view.colorMap(i)->dataRange(), QCPRange(0, 0.1));
        view.setLogScale(true);
        for (int i = 0; i < count; ++i) {
            QCOMPARE(view.colorMap(i)->dataScaleType(), QCPAxis::stLogarithmic);
            QCOMPARE(view.colorMap(i)->dataRange(), QCPRange(kLogFloor, 0.1));
        }
        view.setLogScale(false);
        view.resetColorRange();
        QCOMPARE(view.colorMap(0)->dataRange(), expected);
    }

    void atMostFourMaps()
    {
        auto maps = threeMaps();
        auto more = threeMaps();
        maps.insert(maps.end(), more.begin(), more.end());
        CompareView view;
        view.setMaps(maps, {}, 32);
        QCOMPARE(view.mapCount(), CompareView::kMaxMaps);
        QVERIFY(!view.colorMap(4));
        // Fewer maps after more: the extra plots are gone.
        view.setMaps(threeMaps(), {}, 32);
        QCOMPARE(view.mapCount(), 3);
        QCOMPARE(view.plot()->plottableCount(), 3 + 2); // maps + difference + JS bars
    }

    void mapsStaySquare_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<QSize>("size");
        QTest::newRow("4 maps, 900x720") << 4 << QSize(900, 720);
        QTest::newRow("2 maps, 1000x900") << 2 << QSize(1000, 900);
    }
    void mapsStaySquare()
    {
        // Four maps side by side used to become tall strips; each map's rectangle stays square.
        QFETCH(int, count);
        QFETCH(QSize, size);
        auto maps = threeMaps();
        maps.push_back(maps[0]);
        maps.resize(size_t(count));
        CompareView view;
        view.resize(size);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.setMaps(maps, {}, 32);
        view.plot()->replot();
        QTRY_VERIFY([&] {
            const QRect r = view.mapRect(0)->rect();
            return std::abs(r.width() - r.height()) <= 3;
        }());
        const QRect r = view.mapRect(0)->rect();
        QVERIFY2(r.width() > 100, qPrintable(QString::number(r.width())));
    }

    void differenceMap()
    {
        const auto maps = threeMaps();
        CompareView view;
        view.setMaps(maps, {}, 32);
        QVERIFY(view.hasDifference());
        QVERIFY(view.differenceMap()->visible());
        double extent = 0;
        for (int r = 0; r < 64; ++r)
            for (int c = 0; c < 64; ++c) {
                const double d = double(maps[0].second.at(r, c)) - double(maps[1].second.at(r, c));
                extent = std::max(extent, std::abs(d));
                QCOMPARE(view.differenceAt(r, c), d);
            }
        QCOMPARE(view.differenceMap()->data()->data(5, 7), view.differenceAt(7, 5));
        // Diverging gradient, symmetric around 0.
        QCOMPARE(view.differenceScale()->dataRange(), QCPRange(-extent, extent));
        QCOMPARE(view.differenceMap()->gradient(), divergingGradient());
        QCPColorGradient gradient = view.differenceMap()->gradient();
        const QColor middle = QColor::fromRgb(gradient.color(0, QCPRange(-1, 1)));
        QVERIFY(middle.red() > 230 && middle.green() > 230 && middle.blue() > 230);
        QVERIFY(std::isnan(view.differenceAt(64, 0)));
    }

    void noDifferenceForMismatchedShapes()
    {
        CompareView view;
        view.setMaps({{QStringLiteral("a"), widgettest::bandedMap(64, 0, 2, 1)},
                      {QStringLiteral("b"), widgettest::pooled(widgettest::bandedMap(64, 0, 2, 1), 4)}},
                     {}, 32);
        QCOMPARE(view.mapCount(), 2);
        QVERIFY(!view.hasDifference());
        QVERIFY(!view.differenceMap()->visible());
        QVERIFY(std::isnan(view.differenceAt(0, 0)));
        view.setMaps({{QStringLiteral("only"), widgettest::bandedMap(16, 0, 2, 1)}}, {}, 8);
        QVERIFY(!view.hasDifference());
    }

    void jsDivergenceBars()
    {
        CompareView view;
        view.setMaps(threeMaps(), {}, 32);
        const std::vector<double> js{0.01, 0.2, 0.05, 0.3};
        view.setJsDivergence(js, QStringLiteral("extrapolate vs infoscale"));
        QCOMPARE(view.jsBars()->dataCount(), 4);
        for (int l = 0; l < 4; ++l) {
            QCOMPARE(view.jsBars()->data()->at(l)->key, double(l));
            QCOMPARE(view.jsBars()->data()->at(l)->value, js[size_t(l)]);
        }
        QVERIFY(view.jsRect()->axis(QCPAxis::atLeft)->range().upper >= 0.3);
        const QJsonObject json = view.json()[QStringLiteral("js_divergence")].toObject();
        QCOMPARE(json[QStringLiteral("label")].toString(), QStringLiteral("extrapolate vs infoscale"));
        QCOMPARE(json[QStringLiteral("per_layer")].toArray().size(), 4);
    }

    void zoomIsLinked()
    {
        CompareView view;
        view.setMaps(threeMaps(), widgettest::tokens(64), 32);
        view.mapRect(1)->axis(QCPAxis::atBottom)->setRange(10, 30);
        view.mapRect(1)->axis(QCPAxis::atLeft)->setRange(5, 25);
        for (QCPAxisRect *rect : {view.mapRect(0), view.mapRect(2), view.differenceRect()}) {
            QCOMPARE(rect->axis(QCPAxis::atBottom)->range(), QCPRange(10, 30));
            QCOMPARE(rect->axis(QCPAxis::atLeft)->range(), QCPRange(5, 25));
            // Zoomed in: token labels on the linked axes too.
            QVERIFY(rect->axis(QCPAxis::atBottom)->ticker().dynamicCast<QCPAxisTickerText>());
        }
        view.resetView();
        QCOMPARE(view.mapRect(2)->axis(QCPAxis::atBottom)->range(), QCPRange(-0.5, 63.5));
    }

    void toolTip()
    {
        CompareView view;
        const auto maps = threeMaps();
        view.setMaps(maps, widgettest::tokens(64), 32);
        const QString tip = view.toolTipForCell(10, 3);
        QVERIFY2(tip.contains(QStringLiteral("query 10")), qPrintable(tip));
        QVERIFY(tip.contains(QStringLiteral("key 3")));
        for (const auto &m : maps)
            QVERIFY(tip.contains(m.first + QStringLiteral(" (weight): ") + QString::number(m.second.at(10, 3), 'g', 5)));
        QVERIFY(tip.contains(QStringLiteral("difference first − second")));
        view.resize(1000, 700);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.plot()->replot();
        QCPAxisRect *rect = view.mapRect(2);
        const QPointF pixel(rect->axis(QCPAxis::atBottom)->coordToPixel(3), rect->axis(QCPAxis::atLeft)->coordToPixel(10));
        QCOMPARE(view.toolTipAt(pixel), tip);
    }

    void trainOutlines()
    {
        CompareView view;
        view.setMaps(threeMaps(), {}, 32);
        int visible = 0;
        for (int i = 0; i < view.plot()->itemCount(); ++i)
            if (auto *r = qobject_cast<QCPItemRect *>(view.plot()->item(i)); r && r->visible()) {
                ++visible;
                QCOMPARE(r->bottomRight->coords(), QPointF(31.5, 31.5));
            }
        QCOMPARE(visible, 2 * (3 + 1)); // two pens per map and for the difference map
    }

    void csvJsonAndClear()
    {
        CompareView view;
        QVERIFY(view.isEmptyState());
        const auto maps = threeMaps(8);
        view.setMaps(maps, widgettest::tokens(8), 4);
        const QStringList lines = view.csv().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1 + 64);
        QCOMPARE(lines[0], QStringLiteral("row,col,query_first,query_last,key_first,key_last,extrapolate,infoscale,rerope:32,difference"));
        const QStringList cells = lines[1 + 2 * 8 + 5].split(QLatin1Char(','));
        QCOMPARE(cells[0], QStringLiteral("2"));
        QCOMPARE(cells[1], QStringLiteral("5"));
        QCOMPARE(cells[7].toFloat(), maps[1].second.at(2, 5));
        QCOMPARE(cells[9].toDouble(), view.differenceAt(2, 5));
        const QJsonObject json = view.json();
        QCOMPARE(json[QStringLiteral("maps")].toArray().size(), 3);
        QCOMPARE(json[QStringLiteral("color_range")].toArray()[1].toDouble(), view.colorRange().upper);
        QCOMPARE(json[QStringLiteral("difference")].toObject()[QStringLiteral("minuend")].toString(), QStringLiteral("extrapolate"));
        QVERIFY(json[QStringLiteral("js_divergence")].isNull());
        view.clear();
        QVERIFY(view.isEmptyState());
        QCOMPARE(view.mapCount(), 0);
        QVERIFY(view.csv().isEmpty());
        QVERIFY(view.json().isEmpty());
    }
};

QTEST_MAIN(TestCompareView)
#include "tst_compare_view.moc"
