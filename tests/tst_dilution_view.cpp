// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "dilution_view.h"
#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QJsonArray>
#include <QSet>
#include <QtTest>

#include <cmath>
#include <limits>

using namespace entroscope;

class TestDilutionView : public QObject
{
    Q_OBJECT
private:
    static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

private Q_SLOTS:
    void seriesFillProgressively()
    {
        DilutionView view;
        QVERIFY(view.isEmptyState());
        view.setTrainLength(64);
        // Out of order, as a background sweep may deliver them.
        view.addPoint(QStringLiteral("extrapolate"), 256, 0.5, 4.0);
        view.addPoint(QStringLiteral("extrapolate"), 64, 1.0, 2.0);
        view.addPoint(QStringLiteral("infoscale"), 64, 1.0, 2.0);
        view.addPoint(QStringLiteral("extrapolate"), 128, 0.7, 3.0);
        QVERIFY(!view.isEmptyState());
        QCOMPARE(view.seriesLabels(), (QStringList{QStringLiteral("extrapolate"), QStringLiteral("infoscale")}));

        QCPGraph *retained = view.retainedGraph(QStringLiteral("extrapolate"));
        QCPGraph *entropy = view.entropyGraph(QStringLiteral("extrapolate"));
        QVERIFY(retained && entropy);
        QCOMPARE(retained->dataCount(), 3);
        QCOMPARE(retained->data()->at(0)->key, 64.0);
        QCOMPARE(retained->data()->at(1)->key, 128.0);
        QCOMPARE(retained->data()->at(1)->value, 0.7);
        QCOMPARE(entropy->data()->at(2)->value, 4.0);
        QCOMPARE(view.retainedGraph(QStringLiteral("infoscale"))->dataCount(), 1);
        QVERIFY(!view.retainedGraph(QStringLiteral("nope")));

        // Same length again replaces the point.
        view.addPoint(QStringLiteral("extrapolate"), 128, 0.65, 3.1);
        QCOMPARE(retained->dataCount(), 3);
        QCOMPARE(retained->data()->at(1)->value, 0.65);

        // Below T: no retained mass, only entropy.
        view.addPoint(QStringLiteral("extrapolate"), 32, kNaN, 1.5);
        QCOMPARE(retained->dataCount(), 3);
        QCOMPARE(entropy->dataCount(), 4);
        // ln n reference covers every length seen.
        QCOMPARE(view.lnNGraph()->dataCount(), 4);
        QCOMPARE(view.lnNGraph()->data()->at(0)->value, std::log(32.0));
    }

    void axesAreLog2WithTrainMarker()
    {
        DilutionView view;
        view.setTrainLength(64);
        view.addPoint(QStringLiteral("a"), 64, 1.0, 2.0);
        view.addPoint(QStringLiteral("a"), 4096, 0.2, 6.0);
        for (QCPAxisRect *rect : {view.retainedRect(), view.entropyRect()}) {
            QCPAxis *x = rect->axis(QCPAxis::atBottom);
            QCOMPARE(x->scaleType(), QCPAxis::stLogarithmic);
            auto ticker = x->ticker().dynamicCast<QCPAxisTickerLog>();
            QVERIFY(ticker);
            QCOMPARE(ticker->logBase(), 2.0);
            QVERIFY(x->range().contains(64) && x->range().contains(4096));
        }
        QCOMPARE(view.retainedRect()->axis(QCPAxis::atLeft)->range(), QCPRange(0, 1.02));
        // The current length is marked; a window's narrow band of retained mass is not drawn flat on 0 … 1.
        view.setCurrentLength(1024);
        QVERIFY(view.currentLine(0)->visible() && view.currentLine(1)->visible());
        QCOMPARE(view.currentLine(0)->point1->coords().x(), 1024.0);
        DilutionView narrow;
        narrow.addPoint(QStringLiteral("window"), 128, 0.92, 2.0, 1.0);
        narrow.addPoint(QStringLiteral("window"), 4096, 0.91, 2.1, 1.0);
        const QCPRange r = narrow.retainedRect()->axis(QCPAxis::atLeft)->range();
        QVERIFY2(r.lower > 0.8 && r.lower < 0.91 && r.upper >= 1.0, qPrintable(QString("%1 %2").arg(r.lower).arg(r.upper)));
        QVERIFY(view.entropyRect()->axis(QCPAxis::atLeft)->range().upper >= std::log(4096.0));
        for (int panel = 0; panel < 2; ++panel) {
            QVERIFY(view.trainLine(panel)->visible());
            QCOMPARE(view.trainLine(panel)->point1->coords().x(), 64.0);
            QCOMPARE(view.trainLine(panel)->point2->coords().x(), 64.0);
        }
        view.setTrainLength(0);
        QVERIFY(!view.trainLine(0)->visible());
    }

    void legendAndColours()
    {
        DilutionView view;
        const QStringList labels{QStringLiteral("extrapolate"), QStringLiteral("log-n"), QStringLiteral("infoscale"),
                                 QStringLiteral("cosscale"), QStringLiteral("pi")};
        for (const QString &label : labels)
            view.addPoint(label, 128, 0.8, 3.0);
        // One legend entry per method (the retained graph) plus the ln n reference, which stays last.
        QCPLegend *legend = view.plot()->legend;
        QList<QCPAbstractLegendItem *> items; // the legend grid may hold empty cells
        for (int i = 0; i < legend->itemCount(); ++i)
            if (legend->item(i))
                items << legend->item(i);
        QCOMPARE(items.size(), labels.size() + 1);
        QVERIFY(legend->hasItemWithPlottable(view.retainedGraph(labels[0])));
        QVERIFY(!legend->hasItemWithPlottable(view.entropyGraph(labels[0])));
        QCOMPARE(legend->itemWithPlottable(view.lnNGraph()), items.last());
        QSet<QRgb> colours;
        for (const QString &label : labels) {
            const QColor c = view.retainedGraph(label)->pen().color();
            QCOMPARE(view.entropyGraph(label)->pen().color(), c);
            colours.insert(c.rgb());
        }
        QCOMPARE(colours.size(), labels.size());
    }

    void clearSeries()
    {
        DilutionView view;
        view.addPoint(QStringLiteral("a"), 128, 0.8, 3.0);
        const QColor first = view.retainedGraph(QStringLiteral("a"))->pen().color();
        view.clearSeries();
        QVERIFY(view.seriesLabels().isEmpty());
        QVERIFY(view.isEmptyState());
        QCOMPARE(view.plot()->graphCount(), 1); // the ln n reference
        QVERIFY(view.csv().isEmpty());
        // A method keeps its colour whatever came before it (colours follow the method, not the slot).
        view.addPoint(QStringLiteral("b"), 128, 0.8, 3.0);
        view.addPoint(QStringLiteral("a"), 128, 0.8, 3.0);
        QCOMPARE(view.retainedGraph(QStringLiteral("a"))->pen().color(), first);
        QCOMPARE(view.retainedGraph(QStringLiteral("a"))->pen().color(), methodColor(QStringLiteral("a")));
    }

    void presetsHaveFixedDistinctColours()
    {
        QSet<QRgb> colours;
        for (const char *p : {"native", "extrapolate", "log-n", "logn", "infoscale", "ssmax", "cosscale",
                              "infoscale+cosscale", "pi", "ntk", "yarn", "rerope", "window", "alibi", "streamingllm",
                              "lminfinite"})
            colours.insert(methodColor(QString::fromLatin1(p)).rgb());
        QCOMPARE(colours.size(), 16);
        QCOMPARE(methodColor(QStringLiteral("softmax,plain,rope")), methodColor(QStringLiteral("softmax,plain,rope")));
    }

    void csvAndJson()
    {
        DilutionView view;
        view.setTrainLength(64);
        view.addPoint(QStringLiteral("infoscale, cosscale"), 128, 0.75, 3.25, 0.625);
        view.addPoint(QStringLiteral("infoscale, cosscale"), 32, kNaN, 1.25, 1.0);
        const QString csv = view.csv();
        QCOMPARE(csv, QStringLiteral("method,length,retained_mass_mean,entropy_mean,local_mass_mean\n"
                                     "\"infoscale, cosscale\",32,,1.25,1\n"
                                     "\"infoscale, cosscale\",128,0.75,3.25,0.625\n"));
        // The local mass is drawn (dashed) in the retained panel, at every length.
        QCPGraph *local = view.localGraph(QStringLiteral("infoscale, cosscale"));
        QVERIFY(local);
        QCOMPARE(local->data()->size(), 2);
        QCOMPARE(local->pen().style(), Qt::DashLine);
        QCOMPARE(local->valueAxis(), view.retainedRect()->axis(QCPAxis::atLeft));
        const QJsonObject json = view.json();
        QCOMPARE(json[QStringLiteral("train_length")].toInt(), 64);
        const QJsonArray series = json[QStringLiteral("series")].toArray();
        QCOMPARE(series.size(), 1);
        const QJsonArray points = series[0].toObject()[QStringLiteral("points")].toArray();
        QCOMPARE(points.size(), 2);
        QVERIFY(points[0].toObject()[QStringLiteral("retained_mass_mean")].isNull());
        QCOMPARE(points[1].toObject()[QStringLiteral("retained_mass_mean")].toDouble(), 0.75);
        QCOMPARE(points[1].toObject()[QStringLiteral("local_mass_mean")].toDouble(), 0.625);
    }
};

QTEST_MAIN(TestDilutionView)
#include "tst_dilution_view.moc"
