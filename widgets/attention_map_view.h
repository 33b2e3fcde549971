// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// AttentionMapView: one attention map as a heat map.
// Axes are token positions: key j on the horizontal axis, query i on the vertical axis with query 0 at
// the top (matrix layout). A pooled map (AttentionMap::pool = p > 1) is drawn with p×p-token cells, so
// the axes keep token units and the title says "pooled p×p (max|mean)". The first T×T block (the
// training length) is outlined when 0 < T < n. Wheel zooms, drag pans (limited to the map), double
// click resets the view. Token texts label the axes when at most kMaxLabelledTokens positions are
// visible, numeric ticks otherwise. Colour: viridis, linear [0, max] by default or log10 with weights
// below kLogFloor drawn at the floor; setColorRange() pins the range (for shared scales).
// Exact detail of a pooled map: when at most kExactRegionMaxVisible tokens are visible on both axes (the
// user zoomed in), the view asks for the exact weights of a kExactRegionSide² token window around the
// centre of the view (exactRegionWanted, debounced, not again while the visible part lies inside the
// region shown or asked for); setExactRegion() draws those weights unpooled over the pooled cells, on the
// same colour scale, with exact tooltips, and the title says which rows and keys are exact. setMap()
// removes the region (the caller puts it back when it still belongs to the map) and keeps the zoom when
// the length and the pooling are unchanged.
// GUI thread only. The widget keeps its own copy of the map and the token texts.

#include "plot_view.h"
#include "analysis/result_types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPItemText;
class QCPRange;
class QCPTextElement;
class QTimer;

namespace entroscope {

class AttentionMapView : public PlotView
{
    Q_OBJECT
public:
    explicit AttentionMapView(QWidget *parent = nullptr);
    ~AttentionMapView() override;

    /// Shows `map`. tokenTexts are the n token strings (may be empty: numeric ticks only);
    /// trainLength T ≤ 0 means unknown (no training-region outline). Keeps the zoom when the previous map
    /// had the same length and pooling, else shows the whole map. Removes the exact region.
    void setMap(const AttentionMap &map, const std::vector<std::string> &tokenTexts, int64_t trainLength);
    /// Removes the map and shows the empty-state text.
    void clear();
    const AttentionMap &map() const { return m_map; }

    /// Text prepended to the title, e.g. the method label.
    void setTitlePrefix(const QString &prefix);
    QString title() const;

    /// Log10 colour scale (weights < kLogFloor drawn at the floor) or linear.
    void setLogScale(bool log);
    bool logScale() const { return m_log; }
    /// Pins the colour range (for several maps on one scale). In log mode lo is raised to kLogFloor.
    void setColorRange(double lo, double hi);
    /// Back to the automatic range of this map.
    void resetColorRange();
    /// The colour range in use.
    QCPRange colorRange() const;

    /// Shows the whole map.
    void resetView();
    void resetZoom() override { resetView(); }
    /// Tooltip for a pixel position in plot() coordinates; empty outside the map.
    QString toolTipAt(const QPointF &pixel) const;
    /// Tooltip for map cell (row r, column c) (pooled cells for pooled maps); empty outside.
    QString toolTipForCell(int r, int c) const;
    /// Whether the key (horizontal) / query (vertical) axis currently shows token texts.
    bool keyTokenLabelsShown() const { return m_keyLabels; }
    bool queryTokenLabelsShown() const { return m_queryLabels; }

    /// A token window of a map: query rows row0 .. row0+rows-1, key columns col0 .. col0+cols-1.
    struct Region
    {
        int64_t row0 = 0, rows = 0, col0 = 0, cols = 0;
        bool empty() const { return rows <= 0 || cols <= 0; }
        bool contains(int64_t r0, int64_t r1, int64_t c0, int64_t c1) const
        {
            return !empty() && r0 >= row0 && r1 < row0 + rows && c0 >= col0 && c1 < col0 + cols;
        }
        bool operator==(const Region &o) const
        {
            return row0 == o.row0 && rows == o.rows && col0 == o.col0 && cols == o.cols;
        }
    };
    /// Largest visible span (tokens, each axis) at which a pooled map asks for exact weights.
    static constexpr int64_t kExactRegionMaxVisible = 192;
    /// Side of the token window asked for (clamped to n).
    static constexpr int64_t kExactRegionSide = 256;
    /// Draws the exact weights `data` (region.rows × region.cols, row-major) of a pooled map's region.
    /// Ignored without a pooled map or when the region lies outside it or data has the wrong size.
    void setExactRegion(const Region &region, std::vector<float> data);
    void clearExactRegion();
    /// The exact region shown (empty when none).
    const Region &exactRegion() const { return m_region; }
    /// The exact weight at token (query i, key j), NaN outside the exact region.
    double exactWeight(int64_t i, int64_t j) const;
    /// Checks now (instead of after the debounce) whether the zoom wants an exact region.
    void checkExactRegion();
    /// Shows queries q0 .. q1 and keys k0 .. k1 (clamped to the map) and checks for an exact region at once.
    void zoomTo(int64_t q0, int64_t q1, int64_t k0, int64_t k1);

    QCPColorMap *colorMap() const { return m_colorMap; }
    QCPColorMap *exactColorMap() const { return m_exactMap; }
    QCPColorScale *colorScale() const { return m_colorScale; }
    QCPItemRect *trainRegion() const { return m_trainRect; }

    QString csv() const override;
    QJsonObject json() const override;

Q_SIGNALS:
    /// The mouse is over map cell (r, c); (-1, -1) when it leaves the map.
    void cellHovered(int r, int c);
    /// A click (press and release without a drag) on query row `query` (a token position; for a pooled
    /// map the first query of the cell row).
    void querySelected(int64_t query);
    /// The user zoomed into a pooled map: the exact weights of this token window are wanted
    /// (setExactRegion). Emitted at most once per window.
    void exactRegionWanted(qint64 row0, qint64 rows, qint64 col0, qint64 cols);

private:
    void applyColorScale();
    void updateTitle();
    void onRangeChanged();
    void fillExactMap();
    /// "inside the training block" / "beyond the training length" for queries q0..q1 × keys k0..k1 (a cell
    /// across the boundary, or T unknown: empty).
    QString trainNote(int64_t q0, int64_t q1, int64_t k0, int64_t k1) const;
    int64_t tokenCount() const;

    AttentionMap m_map;
    std::vector<std::string> m_tokens;
    int64_t m_trainLength = 0;
    bool m_log = false;
    std::optional<std::pair<double, double>> m_fixedRange;
    QString m_titlePrefix;
    bool m_keyLabels = false;
    bool m_queryLabels = false;
    bool m_inRangeUpdate = false;
    QPointF m_pressPos;
    AttentionMap m_exact; // the exact region's weights (pool 1, rows × cols of the region)
    Region m_region;      // the exact region shown
    Region m_asked;       // the last region asked for (exactRegionWanted)
    QTimer *m_exactTimer = nullptr;

    QCPTextElement *m_title = nullptr;
    QCPColorMap *m_colorMap = nullptr;
    QCPColorMap *m_exactMap = nullptr;
    QCPColorScale *m_colorScale = nullptr;
    QCPItemRect *m_trainRect = nullptr;
    QCPItemRect *m_trainRectShadow = nullptr;
    QCPItemText *m_trainLabel = nullptr;
};

} // namespace entroscope
