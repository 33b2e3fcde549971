// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// CompareView: several methods on the same input side by side.
// Top row: 2–4 attention maps (same layout as AttentionMapView: key → right, query 0 at the top,
// training block outlined) on ONE shared colour scale: every map uses exactly the same range (the max
// over all maps by default, or setColorRange()), so equal colours mean equal weights. Zoom and pan
// are linked across the maps. Bottom row: the difference map first − second (diverging gradient,
// range symmetric around 0; only when both have the same shape and pooling) and the per-layer
// Jensen–Shannon divergence between the two methods (bars, nats; ln 2 is the maximum).
// GUI thread only; the widget copies the maps.

#include "plot_view.h"
#include "analysis/result_types.h"

#include <QString>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

class QCPAxis;
class QCPAxisRect;
class QCPBars;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPLayoutGrid;
class QCPMarginGroup;
class QCPRange;
class QCPTextElement;

namespace entroscope {

class CompareView : public PlotView
{
    Q_OBJECT
public:
    using LabelledMap = std::pair<QString, AttentionMap>;
    static constexpr int kMaxMaps = 4;

    explicit CompareView(QWidget *parent = nullptr);
    ~CompareView() override;

    /// Shows up to kMaxMaps maps (extra ones are ignored; empty maps are skipped). tokenTexts are the
    /// n token strings (may be empty); trainLength ≤ 0 means no training-block outline.
    void setMaps(std::vector<LabelledMap> maps, const std::vector<std::string> &tokenTexts,
                 int64_t trainLength);
    /// Why there is no JS divergence (shown in the JS panel's title instead of "not computed"); empty: the
    /// default. The workbench sets it for model families whose JS divergence it computes up to a length only.
    void setJsNote(const QString &note);
    /// Per-layer JS divergence (nats) between the methods; `label` names the pair ("A vs B").
    void setJsDivergence(const std::vector<double> &perLayer, const QString &label);
    void clear();

    void setLogScale(bool log);
    bool logScale() const { return m_log; }
    /// Pins the shared colour range of all maps.
    void setColorRange(double lo, double hi);
    void resetColorRange();
    QCPRange colorRange() const;

    int mapCount() const { return int(m_maps.size()); }
    QString mapLabel(int index) const;
    QCPColorMap *colorMap(int index) const;
    QCPAxisRect *mapRect(int index) const;
    QCPColorScale *colorScale() const { return m_scale; }
    bool hasDifference() const { return m_hasDifference; }
    /// first − second at map cell (r, c); NaN when there is no difference map or (r, c) is outside.
    double differenceAt(int r, int c) const;
    QCPColorMap *differenceMap() const { return m_diffMap; }
    QCPColorScale *differenceScale() const { return m_diffScale; }
    QCPAxisRect *differenceRect() const { return m_diffRect; }
    QCPBars *jsBars() const { return m_jsBars; }
    QCPAxisRect *jsRect() const { return m_jsRect; }

    /// Resets zoom on all maps.
    void resetView();
    void resetZoom() override { resetView(); }
    /// Tooltip for a pixel position in plot() coordinates (over any map or the difference map).
    QString toolTipAt(const QPointF &pixel) const;
    /// Tooltip for cell (r, c): position, each map's value, and the difference.
    QString toolTipForCell(int r, int c) const;

    QString csv() const override;
    QJsonObject json() const override;

private:
    void rebuildMaps();
    void finishMaps(); ///< outlines, title, colour scale, difference and zoom for the maps as they are
    void keepMapsSquare(); ///< caps the maps row so the maps are square (after each layout)
    void updateDifference();
    void updateJs();
    void applyColorScale();
    void syncRange(QCPAxis *source);
    void addTrainOutline(QCPAxisRect *rect);
    std::vector<QCPAxisRect *> linkedRects() const;
    int64_t tokenCount() const;

    std::vector<LabelledMap> m_maps;
    std::vector<std::string> m_tokens;
    int64_t m_trainLength = 0;
    std::vector<double> m_js;
    QString m_jsLabel;
    QString m_jsNote;
    std::vector<double> m_difference;
    bool m_hasDifference = false;
    bool m_log = false;
    std::optional<std::pair<double, double>> m_fixedRange;
    bool m_syncing = false;

    QCPTextElement *m_title = nullptr;
    QCPLayoutGrid *m_mapsGrid = nullptr;
    QCPMarginGroup *m_mapsMargins = nullptr;
    std::vector<QCPTextElement *> m_mapLabels;
    QCPColorScale *m_scale = nullptr;
    std::vector<QCPAxisRect *> m_mapRects;
    std::vector<QCPColorMap *> m_colorMaps;
    std::vector<QCPItemRect *> m_outlines;
    QCPTextElement *m_diffTitle = nullptr;
    QCPAxisRect *m_diffRect = nullptr;
    QCPColorMap *m_diffMap = nullptr;
    QCPColorScale *m_diffScale = nullptr;
    QCPTextElement *m_jsTitle = nullptr;
    QCPAxisRect *m_jsRect = nullptr;
    QCPBars *m_jsBars = nullptr;
};

} // namespace entroscope
