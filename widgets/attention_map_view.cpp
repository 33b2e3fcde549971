// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "attention_map_view.h"

#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QJsonArray>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace entroscope {

AttentionMapView::AttentionMapView(QWidget *parent)
    : PlotView(parent)
{
    QCustomPlot *plot = m_plot;
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->axisRect()->setRangeZoomFactor(0.85);

    m_title = new QCPTextElement(plot, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, m_title);

    styleAxis(plot->xAxis, tr("key position j"));
    styleAxis(plot->yAxis, tr("query position i"));
    plot->yAxis->setRangeReversed(true);
    plot->xAxis->grid()->setVisible(false);
    plot->yAxis->grid()->setVisible(false);

    m_colorScale = new QCPColorScale(plot);
    m_colorScale->setType(QCPAxis::atRight);
    m_colorScale->setBarWidth(14);
    fixColorScaleWidth(m_colorScale);
    m_colorScale->setGradient(viridisGradient());
    plot->plotLayout()->addElement(1, 1, m_colorScale);
    auto *margins = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    m_colorScale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);

    m_colorMap = new QCPColorMap(plot->xAxis, plot->yAxis);
    m_colorMap->setInterpolate(false);
    m_colorMap->setTightBoundary(false);
    m_colorMap->setGradient(viridisGradient());
    m_colorMap->setColorScale(m_colorScale);

    // The outline is drawn twice (dark wide under light dashed) so it stays visible on every colour.
    m_trainRectShadow = new QCPItemRect(plot);
    m_trainRectShadow->setPen(QPen(QColor(0, 0, 0, 160), 3.5));
    m_trainRect = new QCPItemRect(plot);
    m_trainRect->setPen(QPen(Qt::white, 1.5, Qt::DashLine));
    m_trainLabel = new QCPItemText(plot);
    m_trainLabel->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    m_trainLabel->setColor(Qt::white);
    m_trainLabel->setBrush(QColor(0, 0, 0, 150));
    m_trainLabel->setPadding(QMargins(3, 1, 3, 1));
    for (QCPItemRect *rect : {m_trainRectShadow, m_trainRect}) {
        rect->topLeft->setCoords(-0.5, -0.5);
        rect->setVisible(false);
    }
    m_trainLabel->setVisible(false);

    connect(plot->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            &AttentionMapView::onRangeChanged);
    connect(plot->yAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this,
            &AttentionMapView::onRangeChanged);
    connect(plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent *event) {
        const QString text = toolTipAt(event->position());
        if (text.isEmpty()) {
            QToolTip::hideText();
            Q_EMIT cellHovered(-1, -1);
            return;
        }
        QToolTip::showText(event->globalPosition().toPoint(), text, m_plot);
        const int p = std::max(m_map.pool, 1);
        Q_EMIT cellHovered(int(std::lround(m_plot->yAxis->pixelToCoord(event->position().y()))) / p,
                           int(std::lround(m_plot->xAxis->pixelToCoord(event->position().x()))) / p);
    });
    connect(plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent *) { resetView(); });
    connect(plot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) { m_pressPos = event->position(); });
    connect(plot, &QCustomPlot::mouseRelease, this, [this](QMouseEvent *event) {
        // A click, not the end of a pan: the pointer moved less than a few pixels.
        if (m_map.empty() || (event->position() - m_pressPos).manhattanLength() > 4)
            return;
        if (toolTipAt(event->position()).isEmpty())
            return;
        const int p = std::max(m_map.pool, 1);
        const int64_t row = std::lround(m_plot->yAxis->pixelToCoord(event->position().y()));
        if (row >= 0 && row < m_map.length)
            Q_EMIT querySelected((row / p) * p);
    });

    clear();
}

AttentionMapView::~AttentionMapView() = default;

int64_t AttentionMapView::tokenCount() const
{
    if (m_map.length > 0)
        return m_map.length;
    return int64_t(std::max(m_map.rows, m_map.cols)) * std::max(m_map.pool, 1);
}

void AttentionMapView::setMap(const AttentionMap &map, const std::vector<std::string> &tokenTexts,
                              int64_t trainLength)
{
    if (map.empty() || map.rows <= 0 || map.cols <= 0
        || map.data.size() < size_t(map.rows) * size_t(map.cols)) {
        clear();
        return;
    }
    m_map = map;
    m_tokens = tokenTexts;
    m_trainLength = trainLength;
    hideEmptyState();
    fillColorMap(m_colorMap, m_map, m_log ? kLogFloor : 0.0);
    m_colorMap->setVisible(true);
    m_colorScale->setVisible(true);
    m_plot->xAxis->setVisible(true);
    m_plot->yAxis->setVisible(true);

    const int64_t n = tokenCount();
    const bool showTrain = trainLength > 0 && trainLength < n;
    for (QCPItemRect *rect : {m_trainRectShadow, m_trainRect}) {
        rect->bottomRight->setCoords(trainLength - 0.5, trainLength - 0.5);
        rect->setVisible(showTrain);
    }
    m_trainLabel->position->setCoords(trainLength - 0.5, -0.5);
    m_trainLabel->setText(QStringLiteral("T = %1").arg(trainLength));
    m_trainLabel->setVisible(showTrain);

    applyColorScale();
    updateTitle();
    resetView();
}

void AttentionMapView::clear()
{
    m_map = AttentionMap();
    m_tokens.clear();
    m_trainLength = 0;
    m_colorMap->data()->clear();
    m_colorMap->setVisible(false);
    // Nothing to read off axes or a colour bar without data.
    m_colorScale->setVisible(false);
    m_plot->xAxis->setVisible(false);
    m_plot->yAxis->setVisible(false);
    for (QCPItemRect *rect : {m_trainRectShadow, m_trainRect})
        rect->setVisible(false);
    m_trainLabel->setVisible(false);
    m_title->setText(m_titlePrefix.isEmpty() ? tr("Attention map") : m_titlePrefix);
    showEmptyState(tr("No attention map yet — run an analysis to see one."));
    m_inRangeUpdate = true;
    m_plot->xAxis->setRange(-0.5, 9.5);
    m_plot->yAxis->setRange(-0.5, 9.5);
    m_inRangeUpdate = false;
    m_keyLabels = updateTokenTicker(m_plot->xAxis, m_tokens);
    m_queryLabels = updateTokenTicker(m_plot->yAxis, m_tokens);
    requestReplot();
}

void AttentionMapView::setTitlePrefix(const QString &prefix)
{
    m_titlePrefix = prefix;
    if (m_map.empty())
        m_title->setText(m_titlePrefix.isEmpty() ? tr("Attention map") : m_titlePrefix);
    else
        updateTitle();
    requestReplot();
}

QString AttentionMapView::title() const { return m_title->text(); }

void AttentionMapView::updateTitle()
{
    QStringList parts;
    if (!m_titlePrefix.isEmpty())
        parts << m_titlePrefix;
    QString layer = tr("layer %1").arg(m_map.layer);
    if (m_map.head > 0)
        layer += tr(", head %1").arg(m_map.head);
    parts << layer << QStringLiteral("n = %1").arg(tokenCount());
    if (m_map.pool > 1)
        parts << tr("pooled %1×%1 (%2)").arg(m_map.pool).arg(poolingName(m_map.pooling));
    m_title->setText(parts.join(QStringLiteral(" · ")));
}

void AttentionMapView::setLogScale(bool log)
{
    if (log == m_log)
        return;
    m_log = log;
    if (!m_map.empty())
        fillColorMap(m_colorMap, m_map, m_log ? kLogFloor : 0.0);
    applyColorScale();
    requestReplot();
}

void AttentionMapView::setColorRange(double lo, double hi)
{
    m_fixedRange = std::make_pair(std::min(lo, hi), std::max(lo, hi));
    applyColorScale();
    requestReplot();
}

void AttentionMapView::resetColorRange()
{
    m_fixedRange.reset();
    applyColorScale();
    requestReplot();
}

QCPRange AttentionMapView::colorRange() const { return m_colorScale->dataRange(); }

void AttentionMapView::applyColorScale()
{
    QCPRange range = m_fixedRange ? QCPRange(m_fixedRange->first, m_fixedRange->second)
                                  : defaultColorRange({&m_map}, m_log);
    if (m_log) {
        range.lower = std::max(range.lower, kLogFloor);
        if (range.upper <= range.lower)
            range.upper = range.lower * 10;
        m_colorScale->setDataScaleType(QCPAxis::stLogarithmic);
        QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
        ticker->setLogBase(10);
        m_colorScale->axis()->setTicker(ticker);
        m_colorScale->axis()->setNumberFormat(QStringLiteral("eb"));
        m_colorScale->axis()->setNumberPrecision(0);
        m_colorScale->setLabel(tr("attention weight (log scale)"));
    } else {
        if (range.upper <= range.lower)
            range.upper = range.lower + 1;
        m_colorScale->setDataScaleType(QCPAxis::stLinear);
        m_colorScale->axis()->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        m_colorScale->axis()->setNumberFormat(QStringLiteral("gb"));
        m_colorScale->axis()->setNumberPrecision(3);
        m_colorScale->setLabel(tr("attention weight"));
    }
    m_colorScale->setDataRange(range);
}

void AttentionMapView::resetView()
{
    const double n = double(std::max<int64_t>(tokenCount(), 1));
    m_inRangeUpdate = true;
    m_plot->xAxis->setRange(-0.5, n - 0.5);
    m_plot->yAxis->setRange(-0.5, n - 0.5);
    m_inRangeUpdate = false;
    onRangeChanged();
    requestReplot();
}

void AttentionMapView::onRangeChanged()
{
    if (m_inRangeUpdate || m_map.empty())
        return;
    m_inRangeUpdate = true;
    const double n = double(tokenCount());
    for (QCPAxis *axis : {m_plot->xAxis, m_plot->yAxis}) {
        const QCPRange clamped = clampRange(axis->range(), -0.5, n - 0.5);
        if (clamped != axis->range())
            axis->setRange(clamped);
    }
    m_keyLabels = updateTokenTicker(m_plot->xAxis, m_tokens);
    m_queryLabels = updateTokenTicker(m_plot->yAxis, m_tokens);
    m_inRangeUpdate = false;
}

QString AttentionMapView::toolTipAt(const QPointF &pixel) const
{
    if (m_map.empty() || !m_plot->axisRect()->rect().contains(pixel.toPoint()))
        return QString();
    const double key = m_plot->xAxis->pixelToCoord(pixel.x());
    const double value = m_plot->yAxis->pixelToCoord(pixel.y());
    const int64_t j = std::llround(key);
    const int64_t i = std::llround(value);
    if (i < 0 || j < 0 || i >= tokenCount() || j >= tokenCount())
        return QString();
    const int p = std::max(m_map.pool, 1);
    return toolTipForCell(int(i / p), int(j / p));
}

QString AttentionMapView::toolTipForCell(int r, int c) const
{
    QString text = cellToolTip(m_map, m_tokens, r, c);
    if (text.isEmpty() || m_trainLength <= 0 || m_trainLength >= tokenCount())
        return text;
    const int64_t p = std::max(m_map.pool, 1);
    const bool inside = (int64_t(r) + 1) * p <= m_trainLength && (int64_t(c) + 1) * p <= m_trainLength;
    const bool outside = int64_t(r) * p >= m_trainLength || int64_t(c) * p >= m_trainLength;
    if (inside)
        text += tr("\ninside the training block (T = %1)").arg(m_trainLength);
    else if (outside)
        text += tr("\nbeyond the training length (T = %1)").arg(m_trainLength);
    return text;
}

QString AttentionMapView::csv() const
{
    if (m_map.empty())
        return QString();
    const int64_t n = tokenCount();
    auto label = [&](int cell) {
        if (m_map.pool <= 1)
            return QString::number(cell);
        int64_t a, b;
        cellTokenRange(cell, m_map.pool, n, &a, &b);
        return QStringLiteral("%1-%2").arg(a).arg(b);
    };
    QString out = QStringLiteral("query\\key");
    for (int c = 0; c < m_map.cols; ++c)
        out += QLatin1Char(',') + label(c);
    out += QLatin1Char('\n');
    for (int r = 0; r < m_map.rows; ++r) {
        out += label(r);
        for (int c = 0; c < m_map.cols; ++c)
            out += QLatin1Char(',') + numberText(m_map.at(r, c));
        out += QLatin1Char('\n');
    }
    return out;
}

QJsonObject AttentionMapView::json() const
{
    if (m_map.empty())
        return QJsonObject();
    QJsonArray tokens;
    for (const std::string &t : m_tokens)
        tokens.append(QString::fromStdString(t));
    const QCPRange range = colorRange();
    return QJsonObject{
        {QStringLiteral("kind"), QStringLiteral("attention_map")},
        {QStringLiteral("layer"), m_map.layer},
        {QStringLiteral("head"), m_map.head},
        {QStringLiteral("length"), double(tokenCount())},
        {QStringLiteral("train_length"), double(m_trainLength)},
        {QStringLiteral("rows"), m_map.rows},
        {QStringLiteral("cols"), m_map.cols},
        {QStringLiteral("pool"), m_map.pool},
        {QStringLiteral("pooling"), poolingName(m_map.pooling)},
        {QStringLiteral("log_scale"), m_log},
        {QStringLiteral("color_range"), QJsonArray{range.lower, range.upper}},
        {QStringLiteral("tokens"), tokens},
        {QStringLiteral("data"), mapRowsJson(m_map)},
    };
}

} // namespace entroscope
