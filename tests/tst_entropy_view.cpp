// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "entropy_view.h"
#include "plot_helpers.h"
#include "qcustomplot_compat.h"
#include "widget_test_data.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QtTest>

#include <cmath>

using namespace entroscope;

class TestEntropyView : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void replotsAreDeferredWhileHiddenAndQueuedWhileShown()
    {
        const AnalysisResult result = widgettest::result(64, 32, 4, 1);
        EntropyView view;
        QCoreApplication::processEvents(); // whatever QCustomPlot queued while it was constructed
        QSignalSpy replots(view.plot(), &QCustomPlot::afterReplot);
        view.setData(result, 1, 2.0);
        view.setData(result, 2, 2.0);
        QVERIFY(view.replotPending()); // hidden: nothing is drawn yet
        QCoreApplication::processEvents();
        QCOMPARE(replots.count(), 0);

        view.resize(500, 300);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QTRY_VERIFY(replots.count() >= 1); // drawn once shown
        QVERIFY(!view.replotPending());

        // Shown: several changes in one event cost one queued replot, not one each.
        replots.clear();
        view.setData(result, 0, 2.0);
        view.setData(result, 3, 2.0);
        view.setData(result, 1, 2.0);
        QCOMPARE(replots.count(), 0);
        QTRY_COMPARE(replots.count(), 1);
        QTest::qWait(50);
        QCOMPARE(replots.count(), 1);
        QCOMPARE(view.selectedLayer(), 1);
    }

    void queryAndLayerData_data()
    {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("trainLength");
        QTest::addColumn<int>("layer");
        QTest::newRow("n > T") << 128 << 64 << 3;
        QTest::newRow("n = T") << 64 << 64 << 0;
        QTest::newRow("n < T") << 32 << 64 << 5;
    }
    void queryAndLayerData()
    {
        QFETCH(int, n);
        QFETCH(int, trainLength);
        QFETCH(int, layer);
        const AnalysisResult result = widgettest::result(n, trainLength, 6, 1);
        EntropyView view;
        view.setData(result, layer, 2.0);
        QCOMPARE(view.selectedLayer(), layer);
        QVERIFY(!view.isEmptyState());

        const auto &entropy = result.layers[size_t(layer)].entropy;
        QCOMPARE(view.queryGraph()->dataCount(), n);
        for (int i = 0; i < n; i += 7) {
            QCOMPARE(view.queryGraph()->data()->at(i)->key, double(i));
            QCOMPARE(view.queryGraph()->data()->at(i)->value, entropy[size_t(i)]);
        }
        QCOMPARE(view.layerBars()->dataCount(), 6);
        for (int l = 0; l < 6; ++l)
            QCOMPARE(view.layerBars()->data()->at(l)->value, result.layers[size_t(l)].entropyMean);
        QCOMPARE(view.selectedBar()->dataCount(), 1);
        QCOMPARE(view.selectedBar()->data()->at(0)->key, double(layer));

        // ln n reference in both panels, shared y range with head room above ln n.
        QCOMPARE(view.lnN(), std::log(double(n)));
        QVERIFY(view.lnNLine()->visible());
        QCOMPARE(view.lnNLine()->point1->coords().y(), std::log(double(n)));
        QCOMPARE(view.lnNLine()->point2->coords().y(), std::log(double(n)));
        const QCPRange top = view.queryRect()->axis(QCPAxis::atLeft)->range();
        QCOMPARE(view.layerRect()->axis(QCPAxis::atLeft)->range(), top);
        QVERIFY(top.upper > std::log(double(n)));
        QCOMPARE(top.lower, 0.0);

        QVERIFY(view.trainEntropyLine()->visible());
        QCOMPARE(view.trainEntropyLine()->point1->coords().y(), 2.0);
        QCOMPARE(view.trainQueryLine()->visible(), trainLength < n);
        if (trainLength < n)
            QCOMPARE(view.trainQueryLine()->point1->coords().x(), trainLength - 0.5);
    }

    void noTrainEntropyLineWithoutValue()
    {
        EntropyView view;
        view.setData(widgettest::result(64, 32, 2, 1), 1, std::nullopt);
        QVERIFY(!view.trainEntropyLine()->visible());
        QVERIFY(!view.entropyAtTrainLength().has_value());
        QVERIFY(view.json()[QStringLiteral("entropy_at_train_length")].isNull());
    }

    void unknownLayerSelectsFirst()
    {
        EntropyView view;
        view.setData(widgettest::result(32, 16, 3, 1), 42, std::nullopt);
        QCOMPARE(view.selectedLayer(), 0);
    }

    void titleNamesLayerAndMethod()
    {
        EntropyView view;
        view.setData(widgettest::result(32, 16, 3, 1), 2, std::nullopt);
        QVERIFY(view.title().contains(QStringLiteral("layer 2")));
        QVERIFY(view.title().contains(QStringLiteral("n = 32")));
        QVERIFY(view.title().contains(QStringLiteral("softmax × plain × rope")));
    }

    void clickOnBarSelectsLayer()
    {
        EntropyView view;
        view.setData(widgettest::result(64, 32, 8, 1), 0, std::nullopt);
        view.resize(700, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.plot()->replot();
        QSignalSpy selected(&view, &EntropyView::layerSelected);
        QCPAxisRect *rect = view.layerRect();
        const int x = int(rect->axis(QCPAxis::atBottom)->coordToPixel(5));
        const int y = int(rect->axis(QCPAxis::atLeft)->coordToPixel(0.5));
        QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, QPoint(x, y));
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().at(0).toInt(), 5);
        // A click in the query panel selects nothing.
        const QPoint inQueries = view.queryRect()->rect().center();
        QTest::mouseClick(view.plot(), Qt::LeftButton, Qt::NoModifier, inQueries);
        QCOMPARE(selected.size(), 1);
    }

    void csvAndJson()
    {
        const AnalysisResult result = widgettest::result(16, 8, 3, 1);
        EntropyView view;
        view.setData(result, 1, 1.5);
        const QStringList lines = view.csv().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.first(), QStringLiteral("panel,layer,index,token,value"));
        QCOMPARE(lines.size(), 1 + 16 + 3);
        QVERIFY(lines[1].startsWith(QStringLiteral("query_entropy,1,0,the,")));
        QCOMPARE(lines[1].section(QLatin1Char(','), 4).toDouble(), result.layers[1].entropy[0]);
        QVERIFY(lines[11].startsWith(QStringLiteral("query_entropy,1,10,\",\",")));
        QVERIFY(lines.last().startsWith(QStringLiteral("layer_entropy_mean,2,2,,")));

        const QJsonObject json = view.json();
        QCOMPARE(json[QStringLiteral("layer")].toInt(), 1);
        QCOMPARE(json[QStringLiteral("length")].toInt(), 16);
        QCOMPARE(json[QStringLiteral("entropy")].toArray().size(), 16);
        QCOMPARE(json[QStringLiteral("layers")].toArray().size(), 3);
        QCOMPARE(json[QStringLiteral("entropy_at_train_length")].toDouble(), 1.5);
        QCOMPARE(json[QStringLiteral("ln_n")].toDouble(), std::log(16.0));
    }

    void clearShowsEmptyState()
    {
        EntropyView view;
        QVERIFY(view.isEmptyState());
        view.setData(widgettest::result(16, 8, 2, 1), 0, std::nullopt);
        QVERIFY(!view.isEmptyState());
        view.clear();
        QVERIFY(view.isEmptyState());
        QCOMPARE(view.queryGraph()->dataCount(), 0);
        QCOMPARE(view.layerBars()->dataCount(), 0);
        QCOMPARE(view.selectedLayer(), -1);
        QVERIFY(view.csv().isEmpty());
        view.setData(AnalysisResult(), 0, 1.0);
        QVERIFY(view.isEmptyState());
    }

    void comparedMethodsAreDrawn()
    {
        const AnalysisResult primary = widgettest::result(24, 8, 3, 1);
        AnalysisResult other = widgettest::result(24, 8, 3, 1);
        for (auto &l : other.layers) {
            l.entropyMean += 0.5;
            for (double &h : l.entropy)
                h += 0.5;
        }
        EntropyView view;
        view.setData(primary, 1, std::nullopt);
        view.setCompared({{QStringLiteral("infoscale"), other.layers}});
        QCOMPARE(view.comparedCount(), 1);
        QCOMPARE(view.comparedQueryGraph(0)->data()->size(), 24);
        QCOMPARE(view.comparedLayerGraph(0)->data()->size(), 3);
        QCOMPARE(view.comparedQueryGraph(0)->pen().color(), methodColor(QStringLiteral("infoscale")));
        QCOMPARE(view.comparedLayerGraph(0)->data()->at(1)->value, other.layers[1].entropyMean);
        QVERIFY(view.plot()->legend->visible());
        QVERIFY(view.csv().contains(QLatin1String(",infoscale\n")));
        QCOMPARE(view.json()["compared"].toArray()[0].toObject()["method"].toString(), QStringLiteral("infoscale"));
        // A new layer keeps the compared series, on that layer.
        view.setData(primary, 2, std::nullopt);
        view.setCompared({{QStringLiteral("infoscale"), other.layers}});
        QCOMPARE(view.comparedQueryGraph(0)->data()->at(0)->value, other.layers[2].entropy[0]);
        view.setCompared({});
        QCOMPARE(view.comparedCount(), 0);
        QVERIFY(!view.plot()->legend->visible());
    }
};

QTEST_MAIN(TestEntropyView)
#include "tst_entropy_view.moc"
