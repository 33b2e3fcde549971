// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "attention_map_view.h"

#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QJsonArray>
#include <QTimer>
#include <QToolTip>

#include <algorithm>
#include <climits>
#include <limits>
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

    // The exact region, drawn over the pooled cells (created after m_colorMap, so above it).
    m_exactMap = new QCPColorMap(plot->xAxis, plot->yAxis);
    m_exactMap->setInterpolate(false);
    m_exactMap->setTightBoundary(false);
    m_exactMap->setGradient(viridisGradient());
    m_exactMap->setColorScale(m_colorScale);
    m_exactMap->setVisible(false);

    m_exactTimer = new QTimer(this);
    m_exactTimer->setSingleShot(true);
    m_exactTimer->setInterval(150); // while a wheel zoom or a drag goes on, ask once it stops
    connect(m_exactTimer, &QTimer::timeout, this, &AttentionMapView::checkExactRegion);

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
    const bool keepZoom = !m_map.empty() && map.length == m_map.length && map.pool == m_map.pool
                          && map.rows == m_map.rows && map.cols == m_map.cols;
    m_map = map;
    m_tokens = tokenTexts;
    m_trainLength = trainLength;
    clearExactRegion();
    m_asked = Region();
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
    if (keepZoom) {
        onRangeChanged(); // the token labels of the new texts
        requestReplot();
    } else {
        resetView();
    }
    if (m_map.pool > 1)
        m_exactTimer->start();
}

void AttentionMapView::clear()
{
    m_map = AttentionMap();
    clearExactRegion();
    m_asked = Region();
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
    if (!m_region.empty())
        parts << tr("exact rows %1–%2, keys %3–%4")
                     .arg(m_region.row0)
                     .arg(m_region.row0 + m_region.rows - 1)
                     .arg(m_region.col0)
                     .arg(m_region.col0 + m_region.cols - 1);
    m_title->setText(parts.join(QStringLiteral(" · ")));
}

void AttentionMapView::setLogScale(bool log)
{
    if (log == m_log)
        return;
    m_log = log;
    if (!m_map.empty())
        fillColorMap(m_colorMap, m_map, m_log ? kLogFloor : 0.0);
    if (!m_region.empty())
        fillExactMap();
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
                                  : defaultColorRange({&m_map, m_region.empty() ? nullptr : &m_exact}, m_log);
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
    if (m_map.pool > 1)
        m_exactTimer->start();
}

void AttentionMapView::zoomTo(int64_t q0, int64_t q1, int64_t k0, int64_t k1)
{
    if (m_map.empty())
        return;
    m_plot->xAxis->setRange(double(std::min(k0, k1)) - 0.5, double(std::max(k0, k1)) + 0.5);
    m_plot->yAxis->setRange(double(std::min(q0, q1)) - 0.5, double(std::max(q0, q1)) + 0.5);
    requestReplot();
    checkExactRegion();
}

void AttentionMapView::checkExactRegion()
{
    m_exactTimer->stop();
    if (m_map.empty() || m_map.pool <= 1)
        return;
    const int64_t n = tokenCount();
    const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
    const int64_t c0 = std::max<int64_t>(0, std::llround(std::ceil(x.lower)));
    const int64_t c1 = std::min<int64_t>(n - 1, std::llround(std::floor(x.upper)));
    const int64_t r0 = std::max<int64_t>(0, std::llround(std::ceil(y.lower)));
    const int64_t r1 = std::min<int64_t>(n - 1, std::llround(std::floor(y.upper)));
    if (c1 < c0 || r1 < r0 || c1 - c0 + 1 > kExactRegionMaxVisible || r1 - r0 + 1 > kExactRegionMaxVisible)
        return;
    if (m_region.contains(r0, r1, c0, c1) || m_asked.contains(r0, r1, c0, c1))
        return;
    const int64_t side = std::min(kExactRegionSide, n);
    auto window = [&](int64_t lo, int64_t hi) {
        const int64_t start = (lo + hi + 1) / 2 - side / 2;
        return std::clamp<int64_t>(start, 0, n - side);
    };
    m_asked = Region{window(r0, r1), side, window(c0, c1), side};
    Q_EMIT exactRegionWanted(m_asked.row0, m_asked.rows, m_asked.col0, m_asked.cols);
}

void AttentionMapView::fillExactMap()
{
    fillColorMap(m_exactMap, m_exact, m_log ? kLogFloor : 0.0);
    // fillColorMap places cell (r, c) at token (r, c): shift to the region's tokens.
    QCPColorMapData *data = m_exactMap->data();
    const QCPRange k = data->keyRange(), v = data->valueRange();
    data->setKeyRange(QCPRange(k.lower + double(m_region.col0), k.upper + double(m_region.col0)));
    data->setValueRange(QCPRange(v.lower + double(m_region.row0), v.upper + double(m_region.row0)));
}

void AttentionMapView::setExactRegion(const Region &region, std::vector<float> data)
{
    const int64_t n = tokenCount();
    if (m_map.empty() || m_map.pool <= 1 || region.empty() || region.row0 < 0 || region.col0 < 0
        || region.row0 + region.rows > n || region.col0 + region.cols > n
        || data.size() != size_t(region.rows) * size_t(region.cols) || region.rows > INT_MAX || region.cols > INT_MAX)
        return;
    m_region = region;
    m_exact = AttentionMap();
    m_exact.layer = m_map.layer;
    m_exact.head = m_map.head;
    m_exact.length = n;
    m_exact.rows = int(region.rows);
    m_exact.cols = int(region.cols);
    m_exact.data = std::move(data);
    fillExactMap();
    m_exactMap->setVisible(true);
    applyColorScale();
    updateTitle();
    requestReplot();
}

void AttentionMapView::clearExactRegion()
{
    const bool had = !m_region.empty();
    m_region = Region();
    m_exact = AttentionMap();
    m_exactMap->data()->clear();
    m_exactMap->setVisible(false);
    if (had && !m_map.empty()) {
        applyColorScale();
        updateTitle();
        requestReplot();
    }
}

double AttentionMapView::exactWeight(int64_t i, int64_t j) const
{
    if (!m_region.contains(i, i, j, j))
        return std::numeric_limits<double>::quiet_NaN();
    return double(m_exact.at(int(i - m_region.row0), int(j - m_region.col0)));
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
    if (m_region.contains(i, i, j, j)) {
        // Exact weight of one (query, key) pair: the position text of an unpooled n × n map.
        AttentionMap whole;
        whole.length = tokenCount();
        whole.rows = whole.cols = int(std::min<int64_t>(whole.length, INT_MAX));
        return cellPositionText(whole, m_tokens, int(i), int(j))
               + tr("\nexact weight = %1 (recomputed)").arg(exactWeight(i, j), 0, 'g', 5) + trainNote(i, i, j, j);
    }
    const int p = std::max(m_map.pool, 1);
    return toolTipForCell(int(i / p), int(j / p));
}

QString AttentionMapView::toolTipForCell(int r, int c) const
{
    const QString text = cellToolTip(m_map, m_tokens, r, c);
    if (text.isEmpty())
        return text;
    const int64_t p = std::max(m_map.pool, 1);
    return text + trainNote(int64_t(r) * p, (int64_t(r) + 1) * p - 1, int64_t(c) * p, (int64_t(c) + 1) * p - 1);
}

QString AttentionMapView::trainNote(int64_t q0, int64_t q1, int64_t k0, int64_t k1) const
{
    if (m_trainLength <= 0 || m_trainLength >= tokenCount())
        return QString();
    if (q1 < m_trainLength && k1 < m_trainLength)
        return tr("\ninside the training block (T = %1)").arg(m_trainLength);
    if (q0 >= m_trainLength || k0 >= m_trainLength)
        return tr("\nbeyond the training length (T = %1)").arg(m_trainLength);
    return QString(); // a pooled cell across the boundary
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
    QJsonObject out{
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
    if (!m_region.empty())
        out.insert(QStringLiteral("exact_region"),
                   QJsonObject{{QStringLiteral("row0"), double(m_region.row0)},
                               {QStringLiteral("rows"), double(m_region.rows)},
                               {QStringLiteral("col0"), double(m_region.col0)},
                               {QStringLiteral("cols"), double(m_region.cols)},
                               {QStringLiteral("data"), mapRowsJson(m_exact)}});
    return out;
}

} // namespace entroscope
