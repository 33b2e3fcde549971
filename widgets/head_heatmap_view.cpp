// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "head_heatmap_view.h"

#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QToolTip>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace entroscope {

namespace {

const char *metricKey(HeadHeatmapView::Metric m)
{
    switch (m) {
    case HeadHeatmapView::Entropy: return "entropy_mean";
    case HeadHeatmapView::NormalizedEntropy: return "normalized_entropy_mean";
    case HeadHeatmapView::LocalMass: return "local_mass_mean";
    case HeadHeatmapView::SinkMass: return "sink_mass_mean";
    default: return "";
    }
}

double metricValue(const LayerMetrics &l, HeadHeatmapView::Metric m)
{
    switch (m) {
    case HeadHeatmapView::Entropy: return l.entropyMean;
    case HeadHeatmapView::NormalizedEntropy: return l.normalizedEntropyMean;
    case HeadHeatmapView::LocalMass: return l.localMassMean;
    case HeadHeatmapView::SinkMass: return l.sinkMassMean;
    default: return std::numeric_limits<double>::quiet_NaN();
    }
}

} // namespace

HeadHeatmapView::HeadHeatmapView(QWidget *parent)
    : PlotView(parent)
{
    // The metric choice sits above the plot (not in it: exports show the plot only, titled by the metric).
    auto *row = new QHBoxLayout;
    row->setContentsMargins(6, 4, 6, 0);
    row->addWidget(new QLabel(tr("Metric")));
    m_combo = new QComboBox;
    m_combo->setObjectName(QStringLiteral("headMetricCombo"));
    for (int m = 0; m < MetricCount; ++m)
        m_combo->addItem(metricName(Metric(m)));
    row->addWidget(m_combo);
    row->addStretch(1);
    static_cast<QVBoxLayout *>(layout())->insertLayout(0, row);
    connect(m_combo, &QComboBox::currentIndexChanged, this, [this](int i) { setMetric(Metric(i)); });

    QCustomPlot *plot = m_plot;
    m_title = new QCPTextElement(plot, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, m_title);
    styleAxis(plot->xAxis, tr("head"));
    styleAxis(plot->yAxis, tr("layer"));
    plot->xAxis->grid()->setVisible(false);
    plot->yAxis->grid()->setVisible(false);

    m_scale = new QCPColorScale(plot);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setBarWidth(14);
    fixColorScaleWidth(m_scale);
    m_scale->setGradient(viridisGradient());
    plot->plotLayout()->addElement(1, 1, m_scale);
    auto *margins = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    m_scale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);

    m_map = new QCPColorMap(plot->xAxis, plot->yAxis);
    m_map->setInterpolate(false);
    m_map->setTightBoundary(false);
    m_map->setGradient(viridisGradient());
    m_map->setColorScale(m_scale);

    m_highlight = new QCPItemRect(plot);
    m_highlight->setPen(QPen(QColor(255, 64, 64), 3));
    m_highlight->setVisible(false);

    connect(plot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        if (m_layers == 0 || event->button() != Qt::LeftButton)
            return;
        const int head = int(std::lround(m_plot->xAxis->pixelToCoord(event->position().x())));
        const int layer = int(std::lround(m_plot->yAxis->pixelToCoord(event->position().y())));
        if (head < 0 || head >= m_heads || layer < 0 || layer >= m_layers)
            return;
        setSelected(layer, head);
        Q_EMIT cellSelected(layer, head);
    });
    plot->setMouseTracking(true);
    connect(plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent *event) {
        const int head = int(std::lround(m_plot->xAxis->pixelToCoord(event->position().x())));
        const int layer = int(std::lround(m_plot->yAxis->pixelToCoord(event->position().y())));
        if (m_layers == 0 || head < 0 || head >= m_heads || layer < 0 || layer >= m_layers) {
            QToolTip::hideText();
            return;
        }
        QString text = tr("layer %1, head %2").arg(layer).arg(head);
        for (int m = 0; m < MetricCount; ++m)
            text += QStringLiteral("\n") + metricName(Metric(m)) + QStringLiteral(": ")
                    + numberText(value(layer, head, Metric(m)));
        QToolTip::showText(event->globalPosition().toPoint(), text, m_plot);
    });
    clear();
}

HeadHeatmapView::~HeadHeatmapView() = default;

QString HeadHeatmapView::metricName(Metric metric)
{
    switch (metric) {
    case Entropy: return tr("entropy (nats)");
    case NormalizedEntropy: return tr("normalized entropy");
    case LocalMass: return tr("local mass");
    case SinkMass: return tr("sink mass");
    default: return {};
    }
}

void HeadHeatmapView::setResult(const AnalysisResult &result, const QString &label)
{
    m_entries = result.layers;
    m_layers = 0;
    m_heads = 0;
    for (const auto &l : m_entries) {
        m_layers = std::max(m_layers, l.layer + 1);
        m_heads = std::max(m_heads, l.head + 1);
    }
    m_length = result.length;
    m_label = label;
    rebuild();
}

void HeadHeatmapView::clear()
{
    m_entries.clear();
    m_layers = m_heads = 0;
    m_length = 0;
    m_label.clear();
    rebuild();
}

void HeadHeatmapView::setMetric(Metric metric)
{
    if (metric < 0 || metric >= MetricCount)
        return;
    m_metric = metric;
    if (m_combo->currentIndex() != int(metric)) {
        const QSignalBlocker block(m_combo);
        m_combo->setCurrentIndex(int(metric));
    }
    rebuild();
}

double HeadHeatmapView::value(int layer, int head) const { return value(layer, head, m_metric); }

double HeadHeatmapView::value(int layer, int head, Metric metric) const
{
    for (const auto &l : m_entries)
        if (l.layer == layer && l.head == head)
            return metricValue(l, metric);
    return std::numeric_limits<double>::quiet_NaN();
}

QString HeadHeatmapView::title() const
{
    if (m_layers == 0)
        return {};
    return (m_label.isEmpty() ? QString() : m_label + QStringLiteral(" · "))
           + tr("%1 per layer and head · n = %2").arg(metricName(m_metric)).arg(m_length);
}

void HeadHeatmapView::rebuild()
{
    if (m_layers == 0) {
        m_map->data()->clear();
        m_map->setVisible(false);
        m_highlight->setVisible(false);
        m_title->setText(QString());
        showEmptyState(tr("No analysis yet: per-head metrics appear here"));
        requestReplot();
        return;
    }
    hideEmptyState();
    m_map->setVisible(true);
    m_map->data()->setSize(m_heads, m_layers);
    m_map->data()->setRange(QCPRange(0, m_heads - 1), QCPRange(0, m_layers - 1));
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (int l = 0; l < m_layers; ++l)
        for (int h = 0; h < m_heads; ++h) {
            const double v = value(l, h);
            m_map->data()->setCell(h, l, v);
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    if (!std::isfinite(lo))
        lo = hi = 0;
    if (hi <= lo)
        hi = lo + 1e-9; // one value: a flat scale still draws
    m_map->setDataRange(QCPRange(lo, hi));
    m_scale->axis()->setLabel(metricName(m_metric));
    m_title->setText(title());
    setLayerTicks(m_plot->xAxis, m_heads);
    setLayerTicks(m_plot->yAxis, m_layers);
    resetZoom();
    placeHighlight();
    requestReplot();
}

void HeadHeatmapView::resetZoom()
{
    m_plot->xAxis->setRange(-0.5, std::max(m_heads, 1) - 0.5);
    m_plot->yAxis->setRange(-0.5, std::max(m_layers, 1) - 0.5);
    requestReplot();
}

void HeadHeatmapView::setSelected(int layer, int head)
{
    m_selLayer = layer;
    m_selHead = head;
    placeHighlight();
    requestReplot();
}

void HeadHeatmapView::placeHighlight()
{
    const bool on = m_layers > 0 && m_selLayer >= 0 && m_selLayer < m_layers && m_selHead < m_heads;
    m_highlight->setVisible(on);
    if (!on)
        return;
    const double x0 = m_selHead < 0 ? -0.5 : m_selHead - 0.5;
    const double x1 = m_selHead < 0 ? m_heads - 0.5 : m_selHead + 0.5;
    m_highlight->topLeft->setCoords(x0, m_selLayer + 0.5);
    m_highlight->bottomRight->setCoords(x1, m_selLayer - 0.5);
}

QString HeadHeatmapView::csv() const
{
    if (m_layers == 0)
        return {};
    QString out = QStringLiteral("layer,head");
    for (int m = 0; m < MetricCount; ++m)
        out += QLatin1Char(',') + QString::fromLatin1(metricKey(Metric(m)));
    out += QLatin1Char('\n');
    for (int l = 0; l < m_layers; ++l)
        for (int h = 0; h < m_heads; ++h) {
            out += QStringLiteral("%1,%2").arg(l).arg(h);
            for (int m = 0; m < MetricCount; ++m)
                out += QLatin1Char(',') + numberText(value(l, h, Metric(m)));
            out += QLatin1Char('\n');
        }
    return out;
}

QJsonObject HeadHeatmapView::json() const
{
    if (m_layers == 0)
        return {};
    QJsonArray cells;
    for (int l = 0; l < m_layers; ++l)
        for (int h = 0; h < m_heads; ++h) {
            QJsonObject c{{QStringLiteral("layer"), l}, {QStringLiteral("head"), h}};
            for (int m = 0; m < MetricCount; ++m)
                c[QString::fromLatin1(metricKey(Metric(m)))] = value(l, h, Metric(m));
            cells.append(c);
        }
    return QJsonObject{{QStringLiteral("view"), QStringLiteral("head-heatmap")},
                       {QStringLiteral("metric"), QString::fromLatin1(metricKey(m_metric))},
                       {QStringLiteral("length"), qint64(m_length)},
                       {QStringLiteral("layers"), m_layers},
                       {QStringLiteral("heads"), m_heads},
                       {QStringLiteral("selected_layer"), m_selLayer},
                       {QStringLiteral("selected_head"), m_selHead},
                       {QStringLiteral("cells"), cells}};
}

} // namespace entroscope
