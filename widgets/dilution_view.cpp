// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "dilution_view.h"

#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace entroscope {

namespace {

void setupLog2Axis(QCPAxis *axis)
{
    axis->setScaleType(QCPAxis::stLogarithmic);
    QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
    ticker->setLogBase(2);
    ticker->setSubTickCount(0);
    ticker->setTickCount(8);
    axis->setTicker(ticker);
    axis->setNumberFormat(QStringLiteral("f"));
    axis->setNumberPrecision(0);
}

} // namespace

DilutionView::DilutionView(QWidget *parent)
    : PlotView(parent)
{
    QCustomPlot *plot = m_plot;
    QCPLayoutGrid *layout = plot->plotLayout();
    m_retainedRect = plot->axisRect();
    // Re-arrange the default layout: title / [retained | entropy] / legend across the bottom.
    m_retainedRect->insetLayout()->take(plot->legend);
    layout->take(m_retainedRect);
    layout->simplify();
    m_title = new QCPTextElement(plot, tr("Score dilution vs context length"),
                                 QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    layout->addElement(0, 0, m_title);
    auto *panels = new QCPLayoutGrid;
    layout->addElement(1, 0, panels);
    panels->addElement(0, 0, m_retainedRect);
    m_entropyRect = new QCPAxisRect(plot);
    panels->addElement(0, 1, m_entropyRect);
    panels->setColumnSpacing(12);
    layout->addElement(2, 0, plot->legend);
    layout->setRowStretchFactor(2, 0.001);
    plot->legend->setVisible(true);
    plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot->legend->setWrap(4);
    plot->legend->setBorderPen(Qt::NoPen);
    plot->legend->setIconSize(24, 10);
    auto *margins = new QCPMarginGroup(plot);
    m_retainedRect->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    m_entropyRect->setMarginGroup(QCP::msTop | QCP::msBottom, margins);

    for (QCPAxisRect *rect : {m_retainedRect, m_entropyRect}) {
        styleAxis(rect->axis(QCPAxis::atBottom), tr("context length n (log₂)"));
        setupLog2Axis(rect->axis(QCPAxis::atBottom));
    }
    styleAxis(m_retainedRect->axis(QCPAxis::atLeft),
              tr("mean over layers: retained mass (solid; first T queries on first T keys),\nlocal mass (dashed; "
                 "mass on |i − j| < T)"));
    styleAxis(m_entropyRect->axis(QCPAxis::atLeft), tr("entropy, mean over queries and layers (nats)"));
    m_retainedRect->axis(QCPAxis::atLeft)->setRange(0, 1.05);

    m_lnNGraph = new QCPGraph(m_entropyRect->axis(QCPAxis::atBottom), m_entropyRect->axis(QCPAxis::atLeft));
    m_lnNGraph->setName(tr("ln n (uniform)"));
    m_lnNGraph->setPen(QPen(QColor(120, 120, 120), 1.2, Qt::DashLine));

    for (int i = 0; i < 2; ++i) {
        QCPAxisRect *rect = i == 0 ? m_retainedRect : m_entropyRect;
        auto *line = new QCPItemStraightLine(plot);
        line->setClipAxisRect(rect);
        for (QCPItemPosition *p : {line->point1, line->point2})
            p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        line->setPen(QPen(QColor(0, 0, 0, 140), 1.2, Qt::DotLine));
        line->setVisible(false);
        auto *label = new QCPItemText(plot);
        label->setClipAxisRect(rect);
        label->position->setAxisRect(rect);
        label->position->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        label->position->setTypeX(QCPItemPosition::ptPlotCoords);
        label->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setColor(QColor(60, 60, 60));
        label->setVisible(false);
        m_trainLines[i] = line;
        m_trainLabels[i] = label;
        auto *current = new QCPItemStraightLine(plot);
        current->setClipAxisRect(rect);
        for (QCPItemPosition *p : {current->point1, current->point2})
            p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        current->setPen(QPen(QColor(200, 30, 30, 170), 1.5));
        current->setVisible(false);
        m_currentLines[i] = current;
    }
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    clearSeries();
}

DilutionView::~DilutionView() = default;

void DilutionView::addPoint(const QString &methodLabel, int64_t length, double retainedMassMean, double entropyMean,
                            double localMassMean)
{
    if (length <= 0)
        return;
    auto it = std::find_if(m_series.begin(), m_series.end(),
                           [&](const Series &s) { return s.label == methodLabel; });
    if (it == m_series.end()) {
        Series series;
        series.label = methodLabel;
        const QColor color = methodColor(methodLabel);
        const QCPScatterStyle marker(QCPScatterStyle::ssCircle, color, Qt::white, 6);
        series.retained = new QCPGraph(m_retainedRect->axis(QCPAxis::atBottom), m_retainedRect->axis(QCPAxis::atLeft));
        series.entropy = new QCPGraph(m_entropyRect->axis(QCPAxis::atBottom), m_entropyRect->axis(QCPAxis::atLeft));
        series.local = new QCPGraph(m_retainedRect->axis(QCPAxis::atBottom), m_retainedRect->axis(QCPAxis::atLeft));
        for (QCPGraph *graph : {series.retained, series.entropy, series.local}) {
            graph->setName(methodLabel);
            graph->setPen(QPen(color, 2));
            graph->setScatterStyle(marker);
        }
        series.local->setPen(QPen(color, 1.5, Qt::DashLine));
        series.local->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssTriangle, color, Qt::white, 5));
        series.entropy->removeFromLegend();
        series.local->removeFromLegend();
        // Keep the reference entry last in the legend.
        m_lnNGraph->removeFromLegend();
        m_lnNGraph->addToLegend();
        m_series.push_back(series);
        it = m_series.end() - 1;
    }
    it->points[length] = Point{retainedMassMean, entropyMean, localMassMean};
    const double x = double(length);
    it->retained->data()->remove(x);
    it->entropy->data()->remove(x);
    it->local->data()->remove(x);
    if (std::isfinite(localMassMean))
        it->local->addData(x, localMassMean);
    if (std::isfinite(retainedMassMean))
        it->retained->addData(x, retainedMassMean);
    if (std::isfinite(entropyMean))
        it->entropy->addData(x, entropyMean);
    hideEmptyState();
    updateRanges();
    requestReplot();
}

void DilutionView::clearSeries()
{
    for (Series &s : m_series) {
        m_plot->removeGraph(s.retained);
        m_plot->removeGraph(s.entropy);
        m_plot->removeGraph(s.local);
    }
    m_series.clear();
    m_lnNGraph->data()->clear();
    showEmptyState(tr("No sweep yet — retained mass and entropy against length appear here."));
    updateRanges();
    requestReplot();
}

void DilutionView::setTrainLength(int64_t trainLength)
{
    m_trainLength = trainLength;
    for (int i = 0; i < 2; ++i) {
        m_trainLines[i]->point1->setCoords(double(trainLength), 0);
        m_trainLines[i]->point2->setCoords(double(trainLength), 1);
        m_trainLines[i]->setVisible(trainLength > 0);
        m_trainLabels[i]->position->setCoords(double(trainLength), 1.0);
        m_trainLabels[i]->setText(QStringLiteral(" T = %1").arg(trainLength));
        m_trainLabels[i]->setVisible(trainLength > 0);
    }
    updateRanges();
    requestReplot();
}

void DilutionView::setCurrentLength(int64_t length)
{
    m_currentLength = length;
    for (QCPItemStraightLine *line : m_currentLines) {
        line->point1->setCoords(double(length), 0);
        line->point2->setCoords(double(length), 1);
        line->setVisible(length > 0);
    }
    updateRanges();
    requestReplot();
}

QStringList DilutionView::seriesLabels() const
{
    QStringList labels;
    for (const Series &s : m_series)
        labels << s.label;
    return labels;
}

QCPGraph *DilutionView::retainedGraph(const QString &methodLabel) const
{
    for (const Series &s : m_series)
        if (s.label == methodLabel)
            return s.retained;
    return nullptr;
}

QCPGraph *DilutionView::localGraph(const QString &methodLabel) const
{
    for (const Series &s : m_series)
        if (s.label == methodLabel)
            return s.local;
    return nullptr;
}

QCPGraph *DilutionView::entropyGraph(const QString &methodLabel) const
{
    for (const Series &s : m_series)
        if (s.label == methodLabel)
            return s.entropy;
    return nullptr;
}

void DilutionView::updateRanges()
{
    std::set<int64_t> lengths;
    double hiEntropy = 0;
    double loMass = 1;
    for (const Series &s : m_series)
        for (const auto &[n, p] : s.points) {
            lengths.insert(n);
            if (std::isfinite(p.entropy))
                hiEntropy = std::max(hiEntropy, p.entropy);
            for (double m : {p.retained, p.local})
                if (std::isfinite(m))
                    loMass = std::min(loMass, m);
        }
    m_lnNGraph->data()->clear();
    for (int64_t n : lengths) {
        m_lnNGraph->addData(double(n), std::log(double(n)));
        hiEntropy = std::max(hiEntropy, std::log(double(n)));
    }
    double lo = lengths.empty() ? 32.0 : double(*lengths.begin());
    double hi = lengths.empty() ? 4096.0 : double(*lengths.rbegin());
    if (m_trainLength > 0) {
        lo = std::min(lo, double(m_trainLength));
        hi = std::max(hi, double(m_trainLength));
    }
    if (m_currentLength > 0) {
        lo = std::min(lo, double(m_currentLength));
        hi = std::max(hi, double(m_currentLength));
    }
    for (QCPAxisRect *rect : {m_retainedRect, m_entropyRect})
        rect->axis(QCPAxis::atBottom)->setRange(lo / 1.4, hi * 1.4);
    m_entropyRect->axis(QCPAxis::atLeft)->setRange(0, hiEntropy > 0 ? hiEntropy * 1.08 : 1.0);
    // The mass axis follows the data (a window's 0.92 … 1 would be a flat line on 0 … 1), never past [0, 1].
    const double floor = std::max(0.0, loMass - 0.05 * std::max(0.05, 1.0 - loMass));
    m_retainedRect->axis(QCPAxis::atLeft)->setRange(loMass > 0.5 ? floor : 0.0, 1.02);
}

void DilutionView::resetZoom()
{
    updateRanges();
    requestReplot();
}

QString DilutionView::csv() const
{
    if (m_series.empty())
        return QString();
    QString out = QStringLiteral("method,length,retained_mass_mean,entropy_mean,local_mass_mean\n");
    for (const Series &s : m_series)
        for (const auto &[n, p] : s.points)
            out += csvField(s.label) + QStringLiteral(",%1,").arg(n) + numberText(p.retained) + QLatin1Char(',')
                + numberText(p.entropy) + QLatin1Char(',') + numberText(p.local) + QLatin1Char('\n');
    return out;
}

QJsonObject DilutionView::json() const
{
    if (m_series.empty())
        return QJsonObject();
    QJsonArray series;
    for (const Series &s : m_series) {
        QJsonArray points;
        for (const auto &[n, p] : s.points)
            points.append(QJsonObject{
                {QStringLiteral("length"), double(n)},
                {QStringLiteral("retained_mass_mean"), std::isfinite(p.retained) ? QJsonValue(p.retained) : QJsonValue()},
                {QStringLiteral("entropy_mean"), std::isfinite(p.entropy) ? QJsonValue(p.entropy) : QJsonValue()},
                {QStringLiteral("local_mass_mean"), std::isfinite(p.local) ? QJsonValue(p.local) : QJsonValue()},
            });
        series.append(QJsonObject{{QStringLiteral("method"), s.label}, {QStringLiteral("points"), points}});
    }
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("dilution")},
                       {QStringLiteral("train_length"), double(m_trainLength)},
                       {QStringLiteral("series"), series}};
}

} // namespace entroscope
