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

namespace entroscope {

class AttentionMapView : public PlotView
{
    Q_OBJECT
public:
    explicit AttentionMapView(QWidget *parent = nullptr);
    ~AttentionMapView() override;

    /// Shows `map`. tokenTexts are the n token strings (may be empty: numeric ticks only);
    /// trainLength T ≤ 0 means unknown (no training-region outline). Resets zoom.
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

    QCPColorMap *colorMap() const { return m_colorMap; }
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

private:
    void applyColorScale();
    void updateTitle();
    void onRangeChanged();
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

    QCPTextElement *m_title = nullptr;
    QCPColorMap *m_colorMap = nullptr;
    QCPColorScale *m_colorScale = nullptr;
    QCPItemRect *m_trainRect = nullptr;
    QCPItemRect *m_trainRectShadow = nullptr;
    QCPItemText *m_trainLabel = nullptr;
};

} // namespace entroscope
