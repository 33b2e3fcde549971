// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "distance_profile_view.h"
#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QJsonArray>
#include <QtTest>

using namespace entroscope;

class TestDistanceProfileView : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void binLabels_data()
    {
        QTest::addColumn<int>("bin");
        QTest::addColumn<QString>("label");
        QTest::newRow("0") << 0 << QStringLiteral("0");
        QTest::newRow("1") << 1 << QStringLiteral("1");
        QTest::newRow("2") << 2 << QStringLiteral("2–3");
        QTest::newRow("3") << 3 << QStringLiteral("4–7");
        QTest::newRow("4") << 4 << QStringLiteral("8–15");
        QTest::newRow("13") << 13 << QStringLiteral("4096–8191");
    }
    void binLabels()
    {
        QFETCH(int, bin);
        QFETCH(QString, label);
        QCOMPARE(distanceBinLabel(bin), label);
    }

    void barsHoldTheProfiles()
    {
        DistanceProfileView view;
        QVERIFY(view.isEmptyState());
        view.setProfiles({{QStringLiteral("a"), {0.5, 0.25, 0.125, 0.125}}, {QStringLiteral("b"), {0.1, 0.2, 0.3, 0.3, 0.1}}});
        QVERIFY(!view.isEmptyState());
        QCOMPARE(view.binCount(), 5);
        QVERIFY(view.bars(0) && view.bars(1) && !view.bars(2));
        QCOMPARE(view.bars(0)->dataCount(), 4);
        QCOMPARE(view.bars(1)->dataCount(), 5);
        QCOMPARE(view.bars(1)->data()->at(2)->value, 0.3);
        QVERIFY(view.bars(0)->brush().color() != view.bars(1)->brush().color());
        QCOMPARE(view.plot()->legend->itemCount(), 2);

        auto ticker = view.plot()->xAxis->ticker().dynamicCast<QCPAxisTickerText>();
        QVERIFY(ticker);
        QCOMPARE(ticker->ticks().size(), 5);
        QCOMPARE(ticker->ticks().value(4), QStringLiteral("8–15"));
        QCOMPARE(view.plot()->yAxis->range().lower, 0.0);
        QVERIFY(view.plot()->yAxis->range().upper >= 0.5);
    }

    void logScale()
    {
        DistanceProfileView view;
        view.setProfiles({{QStringLiteral("a"), {0.9, 0.09, 0.0, 0.01}}});
        view.setLogScale(true);
        QCPAxis *y = view.plot()->yAxis;
        QCOMPARE(y->scaleType(), QCPAxis::stLogarithmic);
        QVERIFY(y->ticker().dynamicCast<QCPAxisTickerLog>());
        QVERIFY(y->range().lower > 0 && y->range().lower <= 0.01);
        QVERIFY(y->range().upper >= 0.9);
        QCOMPARE(view.bars(0)->baseValue(), y->range().lower);
        view.setLogScale(false);
        QCOMPARE(y->scaleType(), QCPAxis::stLinear);
        QCOMPARE(y->range().lower, 0.0);
    }

    void subtitle()
    {
        DistanceProfileView view;
        view.setSubtitle(QStringLiteral("layer 3"));
        view.setProfiles({{QStringLiteral("a"), {1.0}}});
        QVERIFY(view.json()[QStringLiteral("title")].toString().endsWith(QStringLiteral("· layer 3")));
    }

    void csvAndJson()
    {
        DistanceProfileView view;
        view.setProfiles({{QStringLiteral("x, y"), {0.5, 0.5}}, {QStringLiteral("z"), {0.2, 0.3, 0.5}}});
        QCOMPARE(view.csv(), QStringLiteral("bin,distance,\"x, y\",z\n0,0,0.5,0.2\n1,1,0.5,0.3\n2,2-3,,0.5\n"));
        const QJsonObject json = view.json();
        QCOMPARE(json[QStringLiteral("bins")].toArray().size(), 3);
        QCOMPARE(json[QStringLiteral("profiles")].toArray().size(), 2);
        QCOMPARE(json[QStringLiteral("profiles")].toArray()[1].toObject()[QStringLiteral("mass")].toArray()[2].toDouble(), 0.5);
        view.clear();
        QVERIFY(view.isEmptyState());
        QVERIFY(view.csv().isEmpty());
        QCOMPARE(view.plot()->plottableCount(), 0);
    }
};

QTEST_MAIN(TestDistanceProfileView)
#include "tst_distance_profile_view.moc"
