// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// LayerOverview: a grid of thumbnails, one per layer (and head), of that layer's (pooled) attention map,
// each captioned "L<layer> H=<entropy_mean>". Thumbnails are QImages rendered directly from the map
// data with the viridis gradient (one QCustomPlot for the whole grid, no plot per layer), so 24 layers
// render in a few milliseconds. Each thumbnail has its own linear scale from 0 to its 99th percentile
// (the brightest 1% of cells, typically a sink column, saturate; thumbnails show shape, the caption
// and tooltip give numbers), or log10 from kLogFloor to its maximum.
// The grid re-flows to the size it is drawn at (the widget, or an export's size). Clicking a thumbnail selects it (highlighted) and emits
// layerSelected(layer). GUI thread only; the widget copies the maps.

#include "plot_view.h"
#include "analysis/result_types.h"

#include <QImage>
#include <QRect>

#include <vector>

class QCPItemPixmap;
class QCPItemRect;
class QCPItemText;

namespace entroscope {

class LayerOverview : public PlotView
{
    Q_OBJECT
public:
    explicit LayerOverview(QWidget *parent = nullptr);
    ~LayerOverview() override;

    /// One thumbnail per map, in the given order; captions use the metrics entry with the same
    /// (layer, head) when present.
    void setMaps(const std::vector<AttentionMap> &maps, const std::vector<LayerMetrics> &layers);
    /// Picks per (layer, head) the most pooled map of `result` (the overview map), ordered by layer.
    void setResult(const AnalysisResult &result);
    void clear();

    /// Highlights the thumbnail of `layer` (no signal). -1 clears the highlight. With several heads per
    /// layer, the grid has one row per layer and one column per head; the highlight then outlines the
    /// selected head's thumbnail, or the whole layer row when the head is -1 (the mean of the heads).
    void setSelectedLayer(int layer);
    void setSelected(int layer, int head);
    int selectedLayer() const { return m_selectedLayer; }
    int selectedHead() const { return m_selectedHead; }
    /// Heads per layer among the maps shown (1 for GAU-α): the grid's column count when > 1.
    int headsPerLayer() const { return m_headsPerLayer; }

    void setLogScale(bool log);
    bool logScale() const { return m_log; }
    /// The line above the grid: what is shown (method, n, pooling) and how each thumbnail is scaled.
    QString title() const;

    int thumbnailCount() const { return int(m_maps.size()); }
    /// Where thumbnail `index` is drawn, in plot() pixel coordinates (valid after a layout/replot).
    QRect thumbnailRect(int index) const;
    QImage thumbnailImage(int index) const;
    QString caption(int index) const;
    /// Tooltip text for a pixel position in plot() coordinates; empty off the thumbnails.
    QString toolTipAt(const QPointF &pixel) const;
    /// Thumbnail index under a pixel position, -1 if none.
    int thumbnailAt(const QPointF &pixel) const;

    QString csv() const override;
    QJsonObject json() const override;

Q_SIGNALS:
    /// The user clicked the thumbnail of `layer`.
    void layerSelected(int layer);
    /// The user clicked the thumbnail of (layer, head) (emitted before layerSelected).
    void headSelected(int layer, int head);

private:
    struct Thumb
    {
        QCPItemPixmap *pixmap = nullptr;
        QCPItemText *caption = nullptr;
    };
    void rebuildItems();
    QCPItemText *m_title = nullptr;
    QString m_method;
    int64_t m_length = 0;
    /// Thumbnail rectangles in pixels for a plot of `size` (axis coordinates are pixels).
    std::vector<QRectF> cellRects(const QSize &size) const;
    void relayout(const QSize &size);
    const LayerMetrics *metricsFor(const AttentionMap &map) const;

    std::vector<AttentionMap> m_maps;
    std::vector<LayerMetrics> m_layers;
    std::vector<Thumb> m_thumbs;
    std::vector<QImage> m_images;
    QCPItemRect *m_highlight = nullptr;
    int m_selectedLayer = -1;
    int m_selectedHead = -1;
    int m_headsPerLayer = 1;
    bool m_log = false;
};

} // namespace entroscope
