// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "layer_overview.h"

#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QFontMetrics>
#include <QJsonArray>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <map>

namespace entroscope {

namespace {

constexpr int kGap = 10;
constexpr int kMaxThumb = 420; // a few layers fill the tab instead of a strip of stamps
constexpr int kMinThumb = 24;
const QColor kHighlightColor("#e69f00");

// Thumbnails are at most kMaxThumb pixels wide: a 1024² map is max-pooled to at most kThumbSource
// cells per side first (peaks stay visible), so a result's six thumbnails cost the GUI thread a few
// milliseconds rather than ~80 ms of sorting and colouring a million cells each.
constexpr int kThumbSource = 256;

AttentionMap thumbnailSource(const AttentionMap &map)
{
    const int f = (std::max(map.rows, map.cols) + kThumbSource - 1) / kThumbSource;
    if (f <= 1)
        return map;
    AttentionMap out;
    out.layer = map.layer;
    out.head = map.head;
    out.length = map.length;
    out.rows = (map.rows + f - 1) / f;
    out.cols = (map.cols + f - 1) / f;
    out.pool = std::max(map.pool, 1) * f;
    out.pooling = AttentionMap::Pooling::Max;
    out.data.assign(size_t(out.rows) * size_t(out.cols), 0.0f);
    for (int r = 0; r < map.rows; ++r) {
        float *dst = out.data.data() + size_t(r / f) * size_t(out.cols);
        const float *src = map.data.data() + size_t(r) * size_t(map.cols);
        for (int c = 0; c < map.cols; ++c)
            dst[c / f] = std::max(dst[c / f], src[c]);
    }
    return out;
}

QImage renderThumbnail(const AttentionMap &full, bool log)
{
    if (full.rows <= 0 || full.cols <= 0 || full.data.size() < size_t(full.rows) * size_t(full.cols))
        return QImage();
    const AttentionMap map = thumbnailSource(full);
    QCPRange range = defaultColorRange({&map}, log);
    if (!log) {
        // A sink column or a sharp diagonal would otherwise set the scale and leave everything else
        // black: saturate the brightest 1% of cells instead (the caption and tooltip carry numbers).
        std::vector<float> sorted(map.data.begin(), map.data.begin() + size_t(map.rows) * size_t(map.cols));
        const size_t k = size_t(0.99 * double(sorted.size() - 1));
        std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(k), sorted.end());
        if (sorted[k] > 0)
            range.upper = std::min(range.upper, double(sorted[k]));
    }
    QCPColorGradient gradient = viridisGradient();
    QImage image(map.cols, map.rows, QImage::Format_ARGB32_Premultiplied);
    std::vector<double> row(size_t(map.cols));
    for (int r = 0; r < map.rows; ++r) {
        for (int c = 0; c < map.cols; ++c)
            row[size_t(c)] = log ? std::max(double(map.at(r, c)), kLogFloor) : double(map.at(r, c));
        gradient.colorize(row.data(), range, reinterpret_cast<QRgb *>(image.scanLine(r)), map.cols, 1, log);
    }
    return image;
}

} // namespace

LayerOverview::LayerOverview(QWidget *parent)
    : PlotView(parent)
{
    QCustomPlot *plot = m_plot;
    QCPAxisRect *rect = plot->axisRect();
    rect->setAutoMargins(QCP::msNone);
    rect->setMargins(QMargins(0, 0, 0, 0));
    for (QCPAxis *axis : rect->axes()) {
        axis->setVisible(false);
        axis->grid()->setVisible(false);
    }
    // Axis coordinates are widget pixels (see relayout), y growing downwards like the grid.
    plot->yAxis->setRangeReversed(true);
    plot->setInteractions(QCP::Interactions());
    plot->setMouseTracking(true);
    // Every draw (screen or export, at any size) lays the grid out for the size it draws at.
    connect(plot, &QCustomPlot::afterLayout, this, [this] { relayout(m_plot->viewport().size()); });

    m_highlight = new QCPItemRect(plot);
    m_highlight->setPen(QPen(kHighlightColor, 3));
    m_highlight->setVisible(false);

    connect(plot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        const int index = thumbnailAt(event->position());
        if (index < 0)
            return;
        const int layer = m_maps[size_t(index)].layer;
        const int head = m_maps[size_t(index)].head;
        setSelected(layer, m_headsPerLayer > 1 ? head : -1);
        if (m_headsPerLayer > 1)
            Q_EMIT headSelected(layer, head);
        Q_EMIT layerSelected(layer);
    });
    connect(plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent *event) {
        const QString text = toolTipAt(event->position());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), text, m_plot);
    });
    m_title = new QCPItemText(plot);
    m_title->setPositionAlignment(Qt::AlignHCenter | Qt::AlignTop);
    m_title->setFont(QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    m_title->setVisible(false);
    clear();
}

LayerOverview::~LayerOverview() = default;

QString LayerOverview::title() const
{
    if (m_maps.empty())
        return QString();
    const AttentionMap &m = m_maps.front();
    QString t = tr("Layers");
    if (!m_method.isEmpty())
        t += QStringLiteral(" · ") + m_method;
    if (m_length > 0)
        t += tr(" · n = %1").arg(m_length);
    if (m.pool > 1)
        t += tr(" · pooled %1×%1 (%2)").arg(m.pool).arg(m.pooling == AttentionMap::Pooling::Mean ? tr("mean") : tr("max"));
    t += m_log ? tr(" · each thumbnail log₁₀ from 1e-4 to its maximum") : tr(" · each thumbnail 0 … its 99th percentile");
    return t;
}

void LayerOverview::setMaps(const std::vector<AttentionMap> &maps, const std::vector<LayerMetrics> &layers)
{
    m_maps.clear();
    for (const AttentionMap &map : maps)
        if (!map.empty() && map.rows > 0 && map.cols > 0 && map.data.size() >= size_t(map.rows) * size_t(map.cols))
            m_maps.push_back(map);
    // Layer-major, heads inner: the grid's rows are layers when there are several heads.
    std::stable_sort(m_maps.begin(), m_maps.end(), [](const AttentionMap &a, const AttentionMap &b) {
        return std::make_pair(a.layer, a.head) < std::make_pair(b.layer, b.head);
    });
    m_headsPerLayer = 1;
    for (const AttentionMap &map : m_maps)
        m_headsPerLayer = std::max(m_headsPerLayer, map.head + 1);
    m_layers = layers;
    rebuildItems();
}

void LayerOverview::setResult(const AnalysisResult &result)
{
    std::map<std::pair<int, int>, const AttentionMap *> chosen;
    for (const AttentionMap &map : result.maps) {
        const AttentionMap *&slot = chosen[{map.layer, map.head}];
        if (!slot || map.pool > slot->pool)
            slot = &map;
    }
    std::vector<AttentionMap> maps;
    for (const auto &entry : chosen)
        maps.push_back(*entry.second);
    m_method = QString::fromStdString(result.method.label());
    m_length = result.length;
    setMaps(maps, result.layers);
}

void LayerOverview::clear()
{
    m_maps.clear();
    m_layers.clear();
    rebuildItems();
}

const LayerMetrics *LayerOverview::metricsFor(const AttentionMap &map) const
{
    for (const LayerMetrics &m : m_layers)
        if (m.layer == map.layer && m.head == map.head)
            return &m;
    return nullptr;
}

void LayerOverview::rebuildItems()
{
    for (Thumb &t : m_thumbs) {
        m_plot->removeItem(t.pixmap);
        m_plot->removeItem(t.caption);
    }
    m_thumbs.clear();
    m_images.clear();
    if (m_maps.empty()) {
        m_highlight->setVisible(false);
        showEmptyState(tr("No layer maps yet."));
        requestReplot();
        return;
    }
    hideEmptyState();
    QFont captionFont = font();
    captionFont.setPointSizeF(std::max(7.0, captionFont.pointSizeF() - 1));
    for (const AttentionMap &map : m_maps) {
        Thumb t;
        m_images.push_back(renderThumbnail(map, m_log));
        t.pixmap = new QCPItemPixmap(m_plot);
        t.pixmap->setPixmap(QPixmap::fromImage(m_images.back()));
        t.pixmap->setScaled(true, Qt::IgnoreAspectRatio, Qt::FastTransformation);
        t.pixmap->setPen(QPen(QColor(0, 0, 0, 80)));
        t.caption = new QCPItemText(m_plot);
        t.caption->setPositionAlignment(Qt::AlignHCenter | Qt::AlignTop);
        t.caption->setFont(captionFont);
        m_thumbs.push_back(t);
    }
    for (size_t i = 0; i < m_thumbs.size(); ++i)
        m_thumbs[i].caption->setText(caption(int(i)));
    m_title->setText(title());
    requestReplot();
}

QString LayerOverview::caption(int index) const
{
    if (index < 0 || index >= int(m_maps.size()))
        return QString();
    const AttentionMap &map = m_maps[size_t(index)];
    QString text = QStringLiteral("L%1").arg(map.layer);
    if (m_headsPerLayer > 1)
        text += QStringLiteral("h%1").arg(map.head);
    if (const LayerMetrics *m = metricsFor(map))
        text += QStringLiteral(" H=%1").arg(m->entropyMean, 0, 'f', 2);
    return text;
}

std::vector<QRectF> LayerOverview::cellRects(const QSize &size) const
{
    std::vector<QRectF> cells;
    const int count = int(m_thumbs.size());
    if (count == 0)
        return cells;
    const int width = std::max(size.width(), 1);
    const int height = std::max(size.height(), 1);
    const int captionHeight = QFontMetrics(m_thumbs.front().caption->font()).height() + 4;
    const int top = kGap + QFontMetrics(m_title->font()).height() + 6; // below the title line
    // The largest thumbnail size at which the whole grid fits; with several heads one row per layer.
    int side = kMinThumb, cols = 1;
    if (m_headsPerLayer > 1) {
        cols = m_headsPerLayer;
        const int rows = (count + cols - 1) / cols;
        const int byWidth = (width - kGap) / cols - kGap;
        const int byHeight = (height - top) / std::max(rows, 1) - captionHeight - kGap;
        side = std::clamp(std::min(byWidth, byHeight), 8, kMaxThumb);
    } else
    for (int s = kMaxThumb; s >= kMinThumb; s -= 2) {
        const int c = std::max(1, (width - kGap) / (s + kGap));
        const int rows = (count + c - 1) / c;
        if (rows * (s + captionHeight + kGap) + top <= height || s == kMinThumb) {
            side = s;
            cols = std::min(c, count);
            break;
        }
    }
    const double gridWidth = cols * (side + kGap) - kGap;
    const double left = std::max(double(kGap), (width - gridWidth) / 2);
    for (int i = 0; i < count; ++i)
        cells.emplace_back(left + (i % cols) * (side + kGap), top + (i / cols) * (side + captionHeight + kGap), side, side);
    return cells;
}

void LayerOverview::relayout(const QSize &size)
{
    m_plot->xAxis->setRange(0, std::max(size.width(), 1));
    m_plot->yAxis->setRange(0, std::max(size.height(), 1));
    const std::vector<QRectF> cells = cellRects(size);
    m_highlight->setVisible(false);
    m_title->position->setCoords(std::max(size.width(), 1) / 2.0, kGap / 2.0);
    m_title->setVisible(!cells.empty());
    for (size_t i = 0; i < cells.size(); ++i) {
        const QRectF &cell = cells[i];
        Thumb &t = m_thumbs[i];
        t.pixmap->topLeft->setCoords(cell.topLeft());
        t.pixmap->bottomRight->setCoords(cell.bottomRight());
        t.caption->position->setCoords(cell.center().x(), cell.bottom() + 2);
    }
    // The selected thumbnail, or with the mean of several heads the selected layer's whole row.
    QRectF outline;
    for (size_t i = 0; i < cells.size(); ++i)
        if (m_maps[i].layer == m_selectedLayer
            && (m_headsPerLayer <= 1 || m_selectedHead < 0 || m_maps[i].head == m_selectedHead))
            outline = outline.isNull() ? cells[i] : outline.united(cells[i]);
    if (!outline.isNull()) {
        const QRectF r = outline.adjusted(-3, -3, 3, 3);
        m_highlight->topLeft->setCoords(r.topLeft());
        m_highlight->bottomRight->setCoords(r.bottomRight());
        m_highlight->setVisible(true);
    }
}

void LayerOverview::setSelected(int layer, int head)
{
    m_selectedHead = head;
    setSelectedLayer(layer);
}

void LayerOverview::setSelectedLayer(int layer)
{
    m_selectedLayer = layer;
    if (!m_thumbs.empty())
        relayout(m_plot->viewport().size()); // places the highlight now; the replot may be queued
    requestReplot();
}

void LayerOverview::setLogScale(bool log)
{
    if (m_log == log)
        return;
    m_log = log;
    rebuildItems();
}

QRect LayerOverview::thumbnailRect(int index) const
{
    // Computed for the widget's own size: an export may have left the items laid out for another.
    const std::vector<QRectF> cells = cellRects(m_plot->viewport().size());
    return index >= 0 && index < int(cells.size()) ? cells[size_t(index)].toRect() : QRect();
}

QImage LayerOverview::thumbnailImage(int index) const
{
    return index >= 0 && index < int(m_images.size()) ? m_images[size_t(index)] : QImage();
}

int LayerOverview::thumbnailAt(const QPointF &pixel) const
{
    for (int i = 0; i < int(m_thumbs.size()); ++i)
        if (thumbnailRect(i).contains(pixel.toPoint()))
            return i;
    return -1;
}

QString LayerOverview::toolTipAt(const QPointF &pixel) const
{
    const int index = thumbnailAt(pixel);
    if (index < 0)
        return QString();
    const AttentionMap &map = m_maps[size_t(index)];
    QString text = tr("layer %1").arg(map.layer);
    if (m_headsPerLayer > 1)
        text += tr(", head %1").arg(map.head);
    text += tr("\nn = %1").arg(map.length);
    if (map.pool > 1)
        text += tr(", pooled %1×%1 (%2)").arg(map.pool).arg(poolingName(map.pooling));
    if (const LayerMetrics *m = metricsFor(map)) {
        text += tr("\nentropy mean %1 nats").arg(m->entropyMean, 0, 'f', 3);
        text += tr("\nmax weight mean %1, sink mass %2").arg(m->maxWeightMean, 0, 'f', 3).arg(m->sinkMassMean, 0, 'f', 3);
    }
    text += tr("\nclick to show this layer");
    return text;
}

QString LayerOverview::csv() const
{
    if (m_maps.empty())
        return QString();
    QString out = QStringLiteral("index,layer,head,entropy_mean,length,pool,pooling,rows,cols\n");
    for (size_t i = 0; i < m_maps.size(); ++i) {
        const AttentionMap &map = m_maps[i];
        const LayerMetrics *m = metricsFor(map);
        out += QStringLiteral("%1,%2,%3,").arg(i).arg(map.layer).arg(map.head) + (m ? numberText(m->entropyMean) : QString())
            + QStringLiteral(",%1,%2,%3,%4,%5\n").arg(map.length).arg(map.pool).arg(poolingName(map.pooling)).arg(map.rows).arg(map.cols);
    }
    return out;
}

QJsonObject LayerOverview::json() const
{
    if (m_maps.empty())
        return QJsonObject();
    QJsonArray thumbs;
    for (const AttentionMap &map : m_maps) {
        const LayerMetrics *m = metricsFor(map);
        thumbs.append(QJsonObject{
            {QStringLiteral("layer"), map.layer},
            {QStringLiteral("head"), map.head},
            {QStringLiteral("entropy_mean"), m ? QJsonValue(m->entropyMean) : QJsonValue()},
            {QStringLiteral("length"), double(map.length)},
            {QStringLiteral("pool"), map.pool},
            {QStringLiteral("pooling"), poolingName(map.pooling)},
            {QStringLiteral("rows"), map.rows},
            {QStringLiteral("cols"), map.cols},
            {QStringLiteral("data"), mapRowsJson(map)},
        });
    }
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("layer_overview")},
                       {QStringLiteral("selected_layer"), m_selectedLayer},
                       {QStringLiteral("selected_head"), m_selectedHead},
                       {QStringLiteral("log_scale"), m_log},
                       {QStringLiteral("thumbnails"), thumbs}};
}

} // namespace entroscope
