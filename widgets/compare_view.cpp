// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "compare_view.h"

#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QFontMetrics>
#include <QJsonArray>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>

namespace entroscope {

namespace {

const QColor kJsColor("#cc79a7");

QCPAxisRect *makeMapRect(QCustomPlot *plot, bool first)
{
    auto *rect = new QCPAxisRect(plot);
    QCPAxis *x = rect->axis(QCPAxis::atBottom);
    QCPAxis *y = rect->axis(QCPAxis::atLeft);
    styleAxis(x, QObject::tr("key j"));
    styleAxis(y, first ? QObject::tr("query i") : QString());
    y->setRangeReversed(true);
    x->ticker()->setTickCount(3); // four maps side by side leave little room for key labels
    x->grid()->setVisible(false);
    y->grid()->setVisible(false);
    // Only the first map carries query tick labels; the others share its rows.
    y->setTickLabels(first);
    rect->setRangeZoomFactor(0.85);
    return rect;
}

QCPTextElement *makeLabel(QCustomPlot *plot, const QString &text, const QFont &base, bool bold)
{
    QFont font = base;
    font.setBold(bold);
    auto *label = new QCPTextElement(plot, text, font);
    // A long method label must not force its column wider than the others.
    label->setMinimumSize(40, 0);
    return label;
}

QString elided(const QString &text, int maxChars)
{
    return text.size() > maxChars ? text.left(maxChars - 1) + QStringLiteral("…") : text;
}

bool sameShape(const AttentionMap &a, const AttentionMap &b)
{
    return a.rows == b.rows && a.cols == b.cols && a.pool == b.pool && a.pooling == b.pooling;
}

// Value of `map` at the cell holding token position (i, j).
double valueAtToken(const AttentionMap &map, int64_t i, int64_t j)
{
    const int64_t p = std::max(map.pool, 1);
    const int64_t r = i / p, c = j / p;
    if (r < 0 || c < 0 || r >= map.rows || c >= map.cols)
        return std::numeric_limits<double>::quiet_NaN();
    return map.at(int(r), int(c));
}

} // namespace

CompareView::CompareView(QWidget *parent)
    : PlotView(parent)
{
    QCustomPlot *plot = m_plot;
    plot->plotLayout()->clear(); // the default axis rect and legend are not used
    const QFont base = font();
    m_title = makeLabel(plot, tr("Method comparison"), QFont(base.family(), base.pointSize() + 1), true);
    plot->plotLayout()->addElement(0, 0, m_title);

    m_mapsGrid = new QCPLayoutGrid;
    plot->plotLayout()->addElement(1, 0, m_mapsGrid);
    // The maps stay square: after each layout the maps row is capped at the height that makes them so (the
    // width per map is known only then), and the rest goes to the difference and JS row.
    connect(plot, &QCustomPlot::afterLayout, this, &CompareView::keepMapsSquare);
    m_scale = new QCPColorScale(plot);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setBarWidth(12);
    fixColorScaleWidth(m_scale);
    m_scale->setGradient(viridisGradient());
    m_scale->setLabel(tr("attention weight (shared scale)"));

    auto *bottom = new QCPLayoutGrid;
    plot->plotLayout()->addElement(2, 0, bottom);
    plot->plotLayout()->setRowStretchFactor(1, 3);
    plot->plotLayout()->setRowStretchFactor(2, 2);
    m_diffTitle = makeLabel(plot, QString(), base, false);
    m_jsTitle = makeLabel(plot, QString(), base, false);
    m_diffRect = makeMapRect(plot, true);
    m_diffScale = new QCPColorScale(plot);
    m_diffScale->setType(QCPAxis::atRight);
    m_diffScale->setBarWidth(12);
    fixColorScaleWidth(m_diffScale);
    m_diffScale->setGradient(divergingGradient());
    m_diffScale->setLabel(tr("difference"));
    m_jsRect = new QCPAxisRect(plot);
    bottom->addElement(0, 0, m_diffTitle);
    bottom->addElement(0, 2, m_jsTitle);
    bottom->addElement(1, 0, m_diffRect);
    bottom->addElement(1, 1, m_diffScale);
    bottom->addElement(1, 2, m_jsRect);
    bottom->setColumnStretchFactor(0, 1);
    bottom->setColumnStretchFactor(1, 0.01);
    bottom->setColumnStretchFactor(2, 1.4);
    bottom->setColumnSpacing(10);
    auto *bottomMargins = new QCPMarginGroup(plot);
    for (QCPLayoutElement *e : std::initializer_list<QCPLayoutElement *>{m_diffRect, m_diffScale, m_jsRect})
        e->setMarginGroup(QCP::msTop | QCP::msBottom, bottomMargins);

    m_diffMap = new QCPColorMap(m_diffRect->axis(QCPAxis::atBottom), m_diffRect->axis(QCPAxis::atLeft));
    m_diffMap->setInterpolate(false);
    m_diffMap->setColorScale(m_diffScale);
    addTrainOutline(m_diffRect);

    styleAxis(m_jsRect->axis(QCPAxis::atBottom), tr("layer"));
    styleAxis(m_jsRect->axis(QCPAxis::atLeft), tr("JS divergence (nats)"));
    m_jsRect->axis(QCPAxis::atBottom)->grid()->setVisible(false);
    setLayerTicks(m_jsRect->axis(QCPAxis::atBottom), 0);
    m_jsRect->setRangeDrag(Qt::Orientations());
    m_jsRect->setRangeZoom(Qt::Orientations());
    m_jsBars = new QCPBars(m_jsRect->axis(QCPAxis::atBottom), m_jsRect->axis(QCPAxis::atLeft));
    m_jsBars->setWidth(0.7);
    m_jsBars->setBrush(kJsColor);
    m_jsBars->setPen(QPen(kJsColor.darker(140)));

    for (QCPAxis *axis : {m_diffRect->axis(QCPAxis::atBottom), m_diffRect->axis(QCPAxis::atLeft)})
        connect(axis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this, axis] { syncRange(axis); });
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    connect(plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent *event) {
        const QString text = toolTipAt(event->position());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), text, m_plot);
    });
    connect(plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent *) { resetView(); });

    clear();
}

CompareView::~CompareView() = default;

int64_t CompareView::tokenCount() const
{
    int64_t n = 0;
    for (const LabelledMap &m : m_maps)
        n = std::max(n, m.second.length > 0 ? m.second.length
                                            : int64_t(std::max(m.second.rows, m.second.cols)) * std::max(m.second.pool, 1));
    return n;
}

void CompareView::addTrainOutline(QCPAxisRect *rect)
{
    for (int k = 0; k < 2; ++k) {
        auto *outline = new QCPItemRect(m_plot);
        outline->setClipAxisRect(rect);
        for (QCPItemPosition *p : {outline->topLeft, outline->bottomRight})
            p->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        outline->setPen(k == 0 ? QPen(QColor(0, 0, 0, 160), 3.5) : QPen(Qt::white, 1.5, Qt::DashLine));
        outline->setVisible(false);
        m_outlines.push_back(outline);
    }
}

void CompareView::setMaps(std::vector<LabelledMap> maps, const std::vector<std::string> &tokenTexts,
                          int64_t trainLength)
{
    m_maps.clear();
    for (LabelledMap &m : maps) {
        const AttentionMap &a = m.second;
        if (a.empty() || a.rows <= 0 || a.cols <= 0 || a.data.size() < size_t(a.rows) * size_t(a.cols))
            continue;
        if (int(m_maps.size()) == kMaxMaps)
            break;
        m_maps.push_back(std::move(m));
    }
    m_tokens = tokenTexts;
    m_trainLength = trainLength;
    rebuildMaps();
}

void CompareView::setJsDivergence(const std::vector<double> &perLayer, const QString &label)
{
    m_js = perLayer;
    m_jsLabel = label;
    updateJs();
    requestReplot();
}

void CompareView::setJsNote(const QString &note)
{
    m_jsNote = note;
    updateJs();
    requestReplot();
}

void CompareView::clear()
{
    m_maps.clear();
    m_tokens.clear();
    m_trainLength = 0;
    m_js.clear();
    m_jsLabel.clear();
    rebuildMaps();
    updateJs();
    requestReplot();
}

std::vector<QCPAxisRect *> CompareView::linkedRects() const
{
    std::vector<QCPAxisRect *> rects = m_mapRects;
    rects.push_back(m_diffRect);
    return rects;
}

void CompareView::rebuildMaps()
{
    const int count = int(m_maps.size());
    if (count > 0 && count == int(m_colorMaps.size())) {
        // Same number of maps: refill the existing colour maps in place (a result per slider stop lands
        // here; tearing the layout down and building it again cost the GUI thread tens of ms).
        for (int i = 0; i < count; ++i) {
            fillColorMap(m_colorMaps[size_t(i)], m_maps[size_t(i)].second, m_log ? kLogFloor : 0.0);
            m_mapLabels[size_t(i)]->setText(elided(m_maps[size_t(i)].first, 48));
        }
        finishMaps();
        return;
    }
    for (QCPColorMap *map : m_colorMaps)
        m_plot->removePlottable(map);
    m_colorMaps.clear();
    // Outlines of the map rects go with them; the difference rect's pair (the first two) stays.
    for (size_t i = 2; i < m_outlines.size(); ++i)
        m_plot->removeItem(m_outlines[i]);
    m_outlines.resize(2);
    if (m_scale->layout() == m_mapsGrid)
        m_mapsGrid->take(m_scale);
    m_mapsGrid->clear();
    m_mapRects.clear();
    m_mapLabels.clear();
    delete m_mapsMargins;
    m_mapsMargins = new QCPMarginGroup(m_plot);

    const QFont base = font();
    for (int i = 0; i < std::max(count, 1); ++i) {
        QCPAxisRect *rect = makeMapRect(m_plot, i == 0);
        m_mapsGrid->addElement(1, i, rect);
        // Equal margins on all sides give every map the same size although only the first has
        // query tick labels.
        rect->setMarginGroup(QCP::msAll, m_mapsMargins);
        m_mapRects.push_back(rect);
        auto *label = makeLabel(m_plot, i < count ? elided(m_maps[size_t(i)].first, 48) : QString(), base, false);
        m_mapsGrid->addElement(0, i, label);
        m_mapLabels.push_back(label);
        for (QCPAxis *axis : {rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft)})
            connect(axis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this, axis] { syncRange(axis); });
        if (i < count) {
            auto *colorMap = new QCPColorMap(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            colorMap->setInterpolate(false);
            colorMap->setColorScale(m_scale);
            fillColorMap(colorMap, m_maps[size_t(i)].second, m_log ? kLogFloor : 0.0);
            m_colorMaps.push_back(colorMap);
        }
        // Created after the colour map so that it is drawn above it (same layer, later = on top).
        addTrainOutline(rect);
    }
    m_mapsGrid->addElement(1, std::max(count, 1), m_scale);
    m_scale->setMarginGroup(QCP::msTop | QCP::msBottom, m_mapsMargins);
    m_mapsGrid->setColumnStretchFactor(std::max(count, 1), 0.01);
    m_mapsGrid->setColumnSpacing(8);
    m_scale->setVisible(count > 0);
    finishMaps();
}

void CompareView::keepMapsSquare()
{
    if (m_mapRects.empty())
        return;
    const QCPAxisRect *rect = m_mapRects.front();
    const int side = rect->rect().width();
    const int extra = m_mapsGrid->outerRect().height() - rect->rect().height();
    const int want = std::max(side + extra, 120);
    if (std::abs(m_mapsGrid->maximumSize().height() - want) > 2) {
        m_mapsGrid->setMaximumSize(QWIDGETSIZE_MAX, want);
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

void CompareView::finishMaps()
{
    const int count = int(m_maps.size());
    const int64_t n = tokenCount();
    const bool showTrain = count > 0 && m_trainLength > 0 && m_trainLength < n;
    for (QCPItemRect *outline : m_outlines) {
        outline->topLeft->setCoords(-0.5, -0.5);
        outline->bottomRight->setCoords(m_trainLength - 0.5, m_trainLength - 0.5);
        outline->setVisible(showTrain);
    }

    if (count == 0) {
        m_title->setText(tr("Method comparison"));
        showEmptyState(tr("Choose two to four methods to compare them on one input."));
    } else {
        hideEmptyState();
        const AttentionMap &first = m_maps.front().second;
        QString title = tr("Method comparison · layer %1").arg(first.layer);
        if (first.head > 0)
            title += tr(", head %1").arg(first.head);
        title += QStringLiteral(" · n = %1").arg(n);
        if (first.pool > 1)
            title += tr(" · pooled %1×%1 (%2)").arg(first.pool).arg(poolingName(first.pooling));
        m_title->setText(title);
    }
    applyColorScale();
    updateDifference();
    resetView();
}

void CompareView::updateDifference()
{
    m_difference.clear();
    m_hasDifference = m_maps.size() >= 2 && sameShape(m_maps[0].second, m_maps[1].second);
    if (!m_hasDifference) {
        m_diffMap->data()->clear();
        m_diffMap->setVisible(false);
        m_diffScale->setVisible(false);
        m_diffTitle->setText(m_maps.size() >= 2 ? tr("difference: the first two maps differ in shape")
                                                : tr("difference (needs two maps)"));
        return;
    }
    const AttentionMap &a = m_maps[0].second;
    const AttentionMap &b = m_maps[1].second;
    m_difference.resize(size_t(a.rows) * size_t(a.cols));
    double extent = 0;
    for (size_t k = 0; k < m_difference.size(); ++k) {
        m_difference[k] = double(a.data[k]) - double(b.data[k]);
        if (std::isfinite(m_difference[k]))
            extent = std::max(extent, std::abs(m_difference[k]));
    }
    if (extent <= 0)
        extent = 1e-6;
    fillColorMap(m_diffMap, a.rows, a.cols, a.pool, m_difference);
    m_diffMap->setVisible(true);
    m_diffScale->setVisible(true);
    m_diffScale->setDataRange(QCPRange(-extent, extent));
    m_diffTitle->setText(tr("difference: %1 − %2").arg(elided(m_maps[0].first, 28), elided(m_maps[1].first, 28)));
}

void CompareView::updateJs()
{
    m_jsBars->data()->clear();
    if (m_js.empty()) {
        m_jsTitle->setText(m_jsNote.isEmpty() ? tr("JS divergence per layer (not computed)")
                                              : tr("JS divergence per layer (%1)").arg(m_jsNote));
        m_jsRect->axis(QCPAxis::atBottom)->setRange(-0.6, 0.6);
        m_jsRect->axis(QCPAxis::atLeft)->setRange(0, std::log(2.0));
        return;
    }
    double hi = 0;
    for (size_t i = 0; i < m_js.size(); ++i) {
        m_jsBars->addData(double(i), m_js[i]);
        if (std::isfinite(m_js[i]))
            hi = std::max(hi, m_js[i]);
    }
    m_jsTitle->setText(m_jsLabel.isEmpty() ? tr("JS divergence per layer")
                                           : tr("JS divergence per layer: %1").arg(elided(m_jsLabel, 56)));
    m_jsRect->axis(QCPAxis::atBottom)->setRange(-0.6, double(m_js.size()) - 0.4);
    setLayerTicks(m_jsRect->axis(QCPAxis::atBottom), int(m_js.size()));
    m_jsRect->axis(QCPAxis::atLeft)->setRange(0, hi > 0 ? hi * 1.15 : std::log(2.0));
}

void CompareView::setLogScale(bool log)
{
    if (m_log == log)
        return;
    m_log = log;
    for (size_t i = 0; i < m_colorMaps.size(); ++i)
        fillColorMap(m_colorMaps[i], m_maps[i].second, m_log ? kLogFloor : 0.0);
    applyColorScale();
    requestReplot();
}

void CompareView::setColorRange(double lo, double hi)
{
    m_fixedRange = std::make_pair(std::min(lo, hi), std::max(lo, hi));
    applyColorScale();
    requestReplot();
}

void CompareView::resetColorRange()
{
    m_fixedRange.reset();
    applyColorScale();
    requestReplot();
}

QCPRange CompareView::colorRange() const { return m_scale->dataRange(); }

void CompareView::applyColorScale()
{
    std::vector<const AttentionMap *> maps;
    for (const LabelledMap &m : m_maps)
        maps.push_back(&m.second);
    QCPRange range = m_fixedRange ? QCPRange(m_fixedRange->first, m_fixedRange->second) : defaultColorRange(maps, m_log);
    if (m_log) {
        range.lower = std::max(range.lower, kLogFloor);
        if (range.upper <= range.lower)
            range.upper = range.lower * 10;
        m_scale->setDataScaleType(QCPAxis::stLogarithmic);
        QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
        m_scale->axis()->setTicker(ticker);
        m_scale->axis()->setNumberFormat(QStringLiteral("eb"));
        m_scale->axis()->setNumberPrecision(0);
        m_scale->setLabel(tr("attention weight, log scale (shared)"));
    } else {
        if (range.upper <= range.lower)
            range.upper = range.lower + 1;
        m_scale->setDataScaleType(QCPAxis::stLinear);
        m_scale->axis()->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        m_scale->axis()->setNumberFormat(QStringLiteral("gb"));
        m_scale->axis()->setNumberPrecision(3);
        m_scale->setLabel(tr("attention weight (shared scale)"));
    }
    m_scale->setDataRange(range);
}

void CompareView::resetView()
{
    const double n = double(std::max<int64_t>(tokenCount(), 1));
    m_syncing = true;
    for (QCPAxisRect *rect : linkedRects()) {
        rect->axis(QCPAxis::atBottom)->setRange(-0.5, n - 0.5);
        rect->axis(QCPAxis::atLeft)->setRange(-0.5, n - 0.5);
        updateTokenTicker(rect->axis(QCPAxis::atBottom), m_tokens);
        updateTokenTicker(rect->axis(QCPAxis::atLeft), m_tokens);
    }
    m_syncing = false;
    requestReplot();
}

void CompareView::syncRange(QCPAxis *source)
{
    if (m_syncing || m_maps.empty())
        return;
    m_syncing = true;
    const double n = double(tokenCount());
    const QCPRange range = clampRange(source->range(), -0.5, n - 0.5);
    const bool horizontal = source->orientation() == Qt::Horizontal;
    for (QCPAxisRect *rect : linkedRects()) {
        QCPAxis *axis = rect->axis(horizontal ? QCPAxis::atBottom : QCPAxis::atLeft);
        if (axis->range() != range)
            axis->setRange(range);
        updateTokenTicker(axis, m_tokens);
    }
    m_syncing = false;
}

QString CompareView::mapLabel(int index) const
{
    return index >= 0 && index < mapCount() ? m_maps[size_t(index)].first : QString();
}

QCPColorMap *CompareView::colorMap(int index) const
{
    return index >= 0 && index < int(m_colorMaps.size()) ? m_colorMaps[size_t(index)] : nullptr;
}

QCPAxisRect *CompareView::mapRect(int index) const
{
    return index >= 0 && index < int(m_mapRects.size()) ? m_mapRects[size_t(index)] : nullptr;
}

double CompareView::differenceAt(int r, int c) const
{
    if (!m_hasDifference)
        return std::numeric_limits<double>::quiet_NaN();
    const AttentionMap &a = m_maps[0].second;
    if (r < 0 || c < 0 || r >= a.rows || c >= a.cols)
        return std::numeric_limits<double>::quiet_NaN();
    return m_difference[size_t(r) * size_t(a.cols) + size_t(c)];
}

QString CompareView::toolTipAt(const QPointF &pixel) const
{
    if (m_maps.empty())
        return QString();
    for (QCPAxisRect *rect : linkedRects()) {
        if (!rect->rect().contains(pixel.toPoint()))
            continue;
        const int64_t j = std::llround(rect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
        const int64_t i = std::llround(rect->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y()));
        if (i < 0 || j < 0 || i >= tokenCount() || j >= tokenCount())
            return QString();
        const int p = std::max(m_maps.front().second.pool, 1);
        return toolTipForCell(int(i / p), int(j / p));
    }
    return QString();
}

QString CompareView::toolTipForCell(int r, int c) const
{
    if (m_maps.empty())
        return QString();
    const AttentionMap &first = m_maps.front().second;
    QString text = cellPositionText(first, m_tokens, r, c);
    if (text.isEmpty())
        return QString();
    const int64_t p = std::max(first.pool, 1);
    const QString valueName = cellValueName(first);
    for (const LabelledMap &m : m_maps) {
        const double v = valueAtToken(m.second, r * p, c * p);
        text += QStringLiteral("\n%1 (%2): %3").arg(elided(m.first, 40), valueName, QString::number(v, 'g', 5));
    }
    if (m_hasDifference)
        text += tr("\ndifference first − second: %1").arg(differenceAt(r, c), 0, 'g', 4);
    return text;
}

QString CompareView::csv() const
{
    if (m_maps.empty())
        return QString();
    const AttentionMap &first = m_maps.front().second;
    const int64_t n = tokenCount();
    QString out = QStringLiteral("row,col,query_first,query_last,key_first,key_last");
    for (const LabelledMap &m : m_maps)
        out += QLatin1Char(',') + csvField(m.first);
    if (m_hasDifference)
        out += QStringLiteral(",difference");
    out += QLatin1Char('\n');
    const int64_t p = std::max(first.pool, 1);
    for (int r = 0; r < first.rows; ++r) {
        for (int c = 0; c < first.cols; ++c) {
            int64_t q0, q1, k0, k1;
            cellTokenRange(r, first.pool, n, &q0, &q1);
            cellTokenRange(c, first.pool, n, &k0, &k1);
            out += QStringLiteral("%1,%2,%3,%4,%5,%6").arg(r).arg(c).arg(q0).arg(q1).arg(k0).arg(k1);
            for (const LabelledMap &m : m_maps)
                out += QLatin1Char(',') + numberText(float(valueAtToken(m.second, r * p, c * p))); // a float weight
            if (m_hasDifference)
                out += QLatin1Char(',') + numberText(differenceAt(r, c));
            out += QLatin1Char('\n');
        }
    }
    return out;
}

QJsonObject CompareView::json() const
{
    if (m_maps.empty() && m_js.empty())
        return QJsonObject();
    QJsonArray maps;
    for (const LabelledMap &m : m_maps)
        maps.append(QJsonObject{
            {QStringLiteral("label"), m.first},
            {QStringLiteral("layer"), m.second.layer},
            {QStringLiteral("head"), m.second.head},
            {QStringLiteral("rows"), m.second.rows},
            {QStringLiteral("cols"), m.second.cols},
            {QStringLiteral("pool"), m.second.pool},
            {QStringLiteral("pooling"), poolingName(m.second.pooling)},
            {QStringLiteral("data"), mapRowsJson(m.second)},
        });
    QJsonValue difference;
    if (m_hasDifference) {
        const AttentionMap &a = m_maps[0].second;
        QJsonArray rows;
        for (int r = 0; r < a.rows; ++r) {
            QJsonArray row;
            for (int c = 0; c < a.cols; ++c)
                row.append(differenceAt(r, c));
            rows.append(row);
        }
        const QCPRange range = m_diffScale->dataRange();
        difference = QJsonObject{{QStringLiteral("minuend"), m_maps[0].first},
                                 {QStringLiteral("subtrahend"), m_maps[1].first},
                                 {QStringLiteral("range"), QJsonArray{range.lower, range.upper}},
                                 {QStringLiteral("data"), rows}};
    }
    QJsonValue js;
    if (!m_js.empty()) {
        QJsonArray perLayer;
        for (double v : m_js)
            perLayer.append(v);
        js = QJsonObject{{QStringLiteral("label"), m_jsLabel}, {QStringLiteral("per_layer"), perLayer}};
    }
    QJsonArray tokens;
    for (const std::string &t : m_tokens)
        tokens.append(QString::fromStdString(t));
    const QCPRange range = colorRange();
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("compare")},
                       {QStringLiteral("length"), double(tokenCount())},
                       {QStringLiteral("train_length"), double(m_trainLength)},
                       {QStringLiteral("log_scale"), m_log},
                       {QStringLiteral("color_range"), QJsonArray{range.lower, range.upper}},
                       {QStringLiteral("tokens"), tokens},
                       {QStringLiteral("maps"), maps},
                       {QStringLiteral("difference"), difference},
                       {QStringLiteral("js_divergence"), js}};
}

} // namespace entroscope
