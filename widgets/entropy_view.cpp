// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "entropy_view.h"

#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>

namespace entroscope {

namespace {

const QColor kQueryColor("#0072b2");
const QColor kBarColor("#9ecae1");
const QColor kSelectedColor("#e69f00");
const QColor kLnNColor("#555555");
const QColor kTrainColor("#d55e00");

QCPItemStraightLine *makeLine(QCustomPlot *plot, QCPAxisRect *rect, const QPen &pen)
{
    auto *line = new QCPItemStraightLine(plot);
    line->setClipAxisRect(rect);
    for (QCPItemPosition *p : {line->point1, line->point2})
        p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    line->setPen(pen);
    line->setVisible(false);
    return line;
}

QCPItemText *makeLabel(QCustomPlot *plot, QCPAxisRect *rect, const QColor &color)
{
    auto *label = new QCPItemText(plot);
    label->setClipAxisRect(rect);
    label->position->setAxisRect(rect);
    label->position->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    label->setColor(color);
    label->setPadding(QMargins(2, 0, 2, 1));
    // Readable over the data lines: labels sit on a translucent white box on the top layer.
    label->setBrush(QColor(255, 255, 255, 210));
    label->setLayer(QStringLiteral("legend"));
    label->setVisible(false);
    return label;
}

} // namespace

EntropyView::EntropyView(QWidget *parent)
    : PlotView(parent)
{
    QCustomPlot *plot = m_plot;
    m_title = new QCPTextElement(plot, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, m_title);

    m_queryRect = plot->axisRect();
    m_layerRect = new QCPAxisRect(plot);
    plot->plotLayout()->addElement(2, 0, m_layerRect);
    plot->plotLayout()->setRowStretchFactor(1, 3);
    plot->plotLayout()->setRowStretchFactor(2, 2);
    auto *margins = new QCPMarginGroup(plot);
    m_queryRect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    m_layerRect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);

    styleAxis(m_queryRect->axis(QCPAxis::atBottom), tr("query position i"));
    styleAxis(m_queryRect->axis(QCPAxis::atLeft), tr("entropy Hᵢ (nats)"));
    styleAxis(m_layerRect->axis(QCPAxis::atBottom), tr("layer (click a bar to select it)"));
    styleAxis(m_layerRect->axis(QCPAxis::atLeft), tr("mean entropy (nats)"));
    setLayerTicks(m_layerRect->axis(QCPAxis::atBottom), 0);
    m_layerRect->axis(QCPAxis::atBottom)->grid()->setVisible(false);

    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_queryRect->setRangeDrag(Qt::Horizontal);
    m_queryRect->setRangeZoom(Qt::Horizontal);
    m_layerRect->setRangeDrag(Qt::Orientations());
    m_layerRect->setRangeZoom(Qt::Orientations());

    m_queryGraph = new QCPGraph(m_queryRect->axis(QCPAxis::atBottom), m_queryRect->axis(QCPAxis::atLeft));
    m_queryGraph->setPen(QPen(kQueryColor, 1.5));
    m_queryGraph->setName(tr("Hᵢ"));

    m_layerBars = new QCPBars(m_layerRect->axis(QCPAxis::atBottom), m_layerRect->axis(QCPAxis::atLeft));
    m_layerBars->setWidth(0.7);
    m_layerBars->setPen(QPen(kBarColor.darker(140)));
    m_layerBars->setBrush(kBarColor);
    m_selectedBar = new QCPBars(m_layerRect->axis(QCPAxis::atBottom), m_layerRect->axis(QCPAxis::atLeft));
    m_selectedBar->setWidth(0.7);
    m_selectedBar->setPen(QPen(kSelectedColor.darker(140)));
    m_selectedBar->setBrush(kSelectedColor);

    m_lnNLine = makeLine(plot, m_queryRect, QPen(kLnNColor, 1.2, Qt::DashLine));
    m_lnNLabel = makeLabel(plot, m_queryRect, kLnNColor);
    m_trainEntropyLine = makeLine(plot, m_queryRect, QPen(kTrainColor, 1.5, Qt::DashDotLine));
    m_trainEntropyLabel = makeLabel(plot, m_queryRect, kTrainColor);
    m_trainQueryLine = makeLine(plot, m_queryRect, QPen(QColor(0, 0, 0, 120), 1, Qt::DotLine));
    m_trainQueryLabel = makeLabel(plot, m_queryRect, QColor(60, 60, 60));
    m_lnNLayerLine = makeLine(plot, m_layerRect, QPen(kLnNColor, 1.2, Qt::DashLine));
    m_lnNLayerLabel = makeLabel(plot, m_layerRect, kLnNColor);

    connect(plot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        if (m_layers.empty() || !m_layerRect->rect().contains(event->position().toPoint()))
            return;
        const double x = m_layerRect->axis(QCPAxis::atBottom)->pixelToCoord(event->position().x());
        const auto it = std::find_if(m_layers.begin(), m_layers.end(), [x](const LayerMetrics &m) {
            return std::abs(m.layer - x) <= 0.4;
        });
        if (it != m_layers.end())
            Q_EMIT layerSelected(it->layer);
    });

    clear();
}

EntropyView::~EntropyView() = default;

void EntropyView::setData(const AnalysisResult &result, int layer, std::optional<double> entropyAtTrainLength)
{
    m_layers.clear();
    if (result.layers.empty()) {
        clear();
        return;
    }
    auto selected = std::find_if(result.layers.begin(), result.layers.end(),
                                 [layer](const LayerMetrics &m) { return m.layer == layer; });
    if (selected == result.layers.end())
        selected = result.layers.begin();
    const int head = selected->head;
    for (const LayerMetrics &m : result.layers) {
        if (m.head != head)
            continue;
        if (m.layer == selected->layer)
            m_selected = int(m_layers.size());
        m_layers.push_back(m);
    }
    m_length = result.length > 0 ? result.length : int64_t(selected->entropy.size());
    m_trainLength = result.trainLength;
    m_method = QString::fromStdString(result.method.label());
    m_tokens = result.tokenTexts;
    m_entropyAtT = entropyAtTrainLength;
    m_lnN = m_length > 0 ? std::log(double(m_length)) : 0.0;
    rebuild();
}

void EntropyView::clear()
{
    m_layers.clear();
    m_selected = -1;
    m_length = m_trainLength = 0;
    m_lnN = 0;
    m_entropyAtT.reset();
    m_tokens.clear();
    m_method.clear();
    rebuild();
}

int EntropyView::selectedLayer() const
{
    return m_selected >= 0 ? m_layers[size_t(m_selected)].layer : -1;
}

QString EntropyView::title() const { return m_title->text(); }

void EntropyView::setHorizontalLine(QCPItemStraightLine *line, QCPItemText *label, double y, const QString &text)
{
    line->point1->setCoords(0, y);
    line->point2->setCoords(1, y);
    line->setVisible(true);
    label->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    label->position->setTypeY(QCPItemPosition::ptPlotCoords);
    label->position->setCoords(0.995, y);
    label->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
    label->setText(text);
    label->setVisible(true);
}

void EntropyView::rebuild()
{
    const bool empty = m_selected < 0 || m_layers.empty();
    const std::initializer_list<QCPAbstractItem *> items = {
        m_lnNLine, m_lnNLabel, m_trainEntropyLine, m_trainEntropyLabel,
        m_trainQueryLine, m_trainQueryLabel, m_lnNLayerLine, m_lnNLayerLabel};
    for (QCPAbstractItem *item : items)
        item->setVisible(false);
    m_queryGraph->data()->clear();
    m_layerBars->data()->clear();
    m_selectedBar->data()->clear();
    if (empty) {
        m_title->setText(tr("Attention entropy"));
        showEmptyState(tr("No analysis yet — entropy per query and per layer appears here."));
        requestReplot();
        return;
    }
    hideEmptyState();
    const LayerMetrics &sel = m_layers[size_t(m_selected)];
    QString title = tr("Attention entropy · layer %1").arg(sel.layer);
    if (sel.head > 0)
        title += tr(", head %1").arg(sel.head);
    title += QStringLiteral(" · n = %1").arg(m_length);
    if (!m_method.isEmpty())
        title += QStringLiteral(" · ") + m_method;
    m_title->setText(title);

    QVector<double> keys, values;
    keys.reserve(int(sel.entropy.size()));
    values.reserve(int(sel.entropy.size()));
    double maxH = m_lnN;
    for (size_t i = 0; i < sel.entropy.size(); ++i) {
        keys.append(double(i));
        values.append(sel.entropy[i]);
        if (std::isfinite(sel.entropy[i]))
            maxH = std::max(maxH, sel.entropy[i]);
    }
    m_queryGraph->setData(keys, values, true);

    QVector<double> layerKeys, layerValues;
    for (const LayerMetrics &m : m_layers) {
        layerKeys.append(m.layer);
        layerValues.append(m.entropyMean);
        maxH = std::max(maxH, m.entropyMean);
    }
    m_layerBars->setData(layerKeys, layerValues, true);
    m_selectedBar->addData(sel.layer, sel.entropyMean);
    if (m_entropyAtT)
        maxH = std::max(maxH, *m_entropyAtT);

    const double top = maxH > 0 ? maxH * 1.08 : 1.0;
    const double n = double(std::max<int64_t>(m_length, int64_t(sel.entropy.size())));
    m_queryRect->axis(QCPAxis::atBottom)->setRange(-0.5, std::max(n, 1.0) - 0.5);
    m_queryRect->axis(QCPAxis::atLeft)->setRange(0, top);
    const int firstLayer = m_layers.front().layer;
    const int lastLayer = m_layers.back().layer;
    m_layerRect->axis(QCPAxis::atBottom)->setRange(firstLayer - 0.6, lastLayer + 0.6);
    setLayerTicks(m_layerRect->axis(QCPAxis::atBottom), int(m_layers.size()));
    m_layerRect->axis(QCPAxis::atLeft)->setRange(0, top);

    if (m_lnN > 0) {
        const QString text = tr("ln n = %1 (uniform)").arg(m_lnN, 0, 'f', 3);
        setHorizontalLine(m_lnNLine, m_lnNLabel, m_lnN, text);
        setHorizontalLine(m_lnNLayerLine, m_lnNLayerLabel, m_lnN, text);
    }
    if (m_entropyAtT) {
        setHorizontalLine(m_trainEntropyLine, m_trainEntropyLabel, *m_entropyAtT,
                          tr("mean H at n = T (%1): %2").arg(m_trainLength).arg(*m_entropyAtT, 0, 'f', 3));
        // Keep the two labels apart when the lines are close.
        if (m_lnN > 0 && std::abs(m_lnN - *m_entropyAtT) < 0.08 * top)
            m_trainEntropyLabel->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    }
    if (m_trainLength > 0 && m_trainLength < m_length) {
        m_trainQueryLine->point1->setCoords(m_trainLength - 0.5, 0);
        m_trainQueryLine->point2->setCoords(m_trainLength - 0.5, 1);
        m_trainQueryLine->setVisible(true);
        m_trainQueryLabel->position->setTypeX(QCPItemPosition::ptPlotCoords);
        m_trainQueryLabel->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        m_trainQueryLabel->position->setCoords(m_trainLength - 0.5, 0.0);
        m_trainQueryLabel->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
        m_trainQueryLabel->setText(tr(" T = %1: added queries →").arg(m_trainLength));
        m_trainQueryLabel->setVisible(true);
    }
    requestReplot();
    if (!m_compared.empty())
        rebuildCompared();
}

void EntropyView::setCompared(std::vector<Compared> compared)
{
    for (ComparedSeries &c : m_compared) {
        m_plot->removeGraph(c.query);
        m_plot->removeGraph(c.layer);
    }
    m_compared.clear();
    for (Compared &c : compared) {
        ComparedSeries s;
        const QColor color = methodColor(c.label);
        s.query = new QCPGraph(m_queryRect->axis(QCPAxis::atBottom), m_queryRect->axis(QCPAxis::atLeft));
        s.query->setPen(QPen(color, 1.2, Qt::DashLine));
        s.query->setName(c.label);
        s.layer = new QCPGraph(m_layerRect->axis(QCPAxis::atBottom), m_layerRect->axis(QCPAxis::atLeft));
        s.layer->setLineStyle(QCPGraph::lsNone);
        s.layer->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, color, color, 9));
        s.layer->setName(c.label);
        s.layer->removeFromLegend();
        s.data = std::move(c);
        m_compared.push_back(std::move(s));
    }
    m_layerBars->removeFromLegend();
    m_selectedBar->removeFromLegend();
    m_queryGraph->setName(m_method.isEmpty() ? tr("shown method") : m_method);
    m_plot->legend->setVisible(!m_compared.empty());
    // Bottom right of the per-query panel: entropies sit near ln n at the top, the bottom is free.
    if (m_plot->legend->layout() == m_queryRect->insetLayout())
        m_queryRect->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    rebuildCompared();
    requestReplot();
}

QCPGraph *EntropyView::comparedQueryGraph(int i) const
{
    return i >= 0 && i < int(m_compared.size()) ? m_compared[size_t(i)].query : nullptr;
}

QCPGraph *EntropyView::comparedLayerGraph(int i) const
{
    return i >= 0 && i < int(m_compared.size()) ? m_compared[size_t(i)].layer : nullptr;
}

void EntropyView::rebuildCompared()
{
    const int layer = m_selected >= 0 && m_selected < int(m_layers.size()) ? m_layers[size_t(m_selected)].layer : -1;
    double top = m_queryRect->axis(QCPAxis::atLeft)->range().upper;
    for (ComparedSeries &c : m_compared) {
        c.query->data()->clear();
        c.layer->data()->clear();
        for (const LayerMetrics &m : c.data.layers) {
            if (m.head != 0)
                continue;
            c.layer->addData(m.layer, m.entropyMean);
            top = std::max(top, m.entropyMean * 1.08);
            if (m.layer != layer)
                continue;
            QVector<double> keys, values;
            for (size_t i = 0; i < m.entropy.size(); ++i) {
                keys.append(double(i));
                values.append(m.entropy[i]);
                if (std::isfinite(m.entropy[i]))
                    top = std::max(top, m.entropy[i] * 1.08);
            }
            c.query->setData(keys, values, true);
        }
    }
    m_queryRect->axis(QCPAxis::atLeft)->setRange(0, top);
    m_layerRect->axis(QCPAxis::atLeft)->setRange(0, top);
}

QString EntropyView::csv() const
{
    if (m_selected < 0)
        return QString();
    QString out = QStringLiteral("panel,layer,index,token,value\n");
    const LayerMetrics &sel = m_layers[size_t(m_selected)];
    for (size_t i = 0; i < sel.entropy.size(); ++i) {
        const QString token = i < m_tokens.size() ? QString::fromStdString(m_tokens[i]) : QString();
        out += QStringLiteral("query_entropy,%1,%2,").arg(sel.layer).arg(i) + csvField(token) + QLatin1Char(',')
            + numberText(sel.entropy[i]) + QLatin1Char('\n');
    }
    for (const LayerMetrics &m : m_layers)
        out += QStringLiteral("layer_entropy_mean,%1,%1,,").arg(m.layer) + numberText(m.entropyMean) + QLatin1Char('\n');
    if (m_compared.empty())
        return out;
    // Compared methods: the same rows with the method named (a 6th column, empty for the primary above).
    QString withMethod;
    for (const QString &line : out.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        withMethod += line + (withMethod.isEmpty() ? QStringLiteral(",method\n") : QStringLiteral(",\n"));
    for (const ComparedSeries &c : m_compared)
        for (const LayerMetrics &m : c.data.layers) {
            if (m.head != 0)
                continue;
            if (m.layer == sel.layer)
                for (size_t i = 0; i < m.entropy.size(); ++i)
                    withMethod += QStringLiteral("query_entropy,%1,%2,,").arg(m.layer).arg(i) + numberText(m.entropy[i])
                                  + QLatin1Char(',') + csvField(c.data.label) + QLatin1Char('\n');
            withMethod += QStringLiteral("layer_entropy_mean,%1,%1,,").arg(m.layer) + numberText(m.entropyMean)
                          + QLatin1Char(',') + csvField(c.data.label) + QLatin1Char('\n');
        }
    return withMethod;
}

QJsonObject EntropyView::json() const
{
    if (m_selected < 0)
        return QJsonObject();
    const LayerMetrics &sel = m_layers[size_t(m_selected)];
    QJsonArray entropy;
    for (double h : sel.entropy)
        entropy.append(h);
    QJsonArray layers;
    for (const LayerMetrics &m : m_layers)
        layers.append(QJsonObject{{QStringLiteral("layer"), m.layer},
                                  {QStringLiteral("head"), m.head},
                                  {QStringLiteral("entropy_mean"), m.entropyMean},
                                  {QStringLiteral("normalized_entropy_mean"), m.normalizedEntropyMean}});
    return QJsonObject{
        {QStringLiteral("kind"), QStringLiteral("entropy")},
        {QStringLiteral("length"), double(m_length)},
        {QStringLiteral("train_length"), double(m_trainLength)},
        {QStringLiteral("method"), m_method},
        {QStringLiteral("layer"), sel.layer},
        {QStringLiteral("head"), sel.head},
        {QStringLiteral("ln_n"), m_lnN},
        {QStringLiteral("entropy_at_train_length"), m_entropyAtT ? QJsonValue(*m_entropyAtT) : QJsonValue()},
        {QStringLiteral("entropy"), entropy},
        {QStringLiteral("layers"), layers},
        {QStringLiteral("compared"), [this] {
             QJsonArray out;
             for (const ComparedSeries &c : m_compared) {
                 QJsonArray means;
                 for (const LayerMetrics &m : c.data.layers)
                     if (m.head == 0)
                         means.append(m.entropyMean);
                 out.append(QJsonObject{{QStringLiteral("method"), c.data.label},
                                        {QStringLiteral("entropy_mean_per_layer"), means}});
             }
             return out;
         }()},
    };
}

} // namespace entroscope
