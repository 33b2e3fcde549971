// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// HeadHeatmapView: one cell per (layer, head) of an analysis, coloured by a chosen metric (entropy,
// normalized entropy, local mass, sink mass; the combo above the plot), with a colour scale. Heads go
// along x, layers along y (layer 0 at the bottom, as in the entropy view's layer axis). A click on a cell
// emits cellSelected(layer, head); the selected cell is outlined. Exports like every PlotView (the CSV
// holds all four metrics). GUI thread only; the widget copies the metrics.

#include "plot_view.h"
#include "analysis/result_types.h"

#include <vector>

class QComboBox;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPTextElement;

namespace entroscope {

class HeadHeatmapView : public PlotView
{
    Q_OBJECT
public:
    enum Metric { Entropy, NormalizedEntropy, LocalMass, SinkMass, MetricCount };

    explicit HeadHeatmapView(QWidget *parent = nullptr);
    ~HeadHeatmapView() override;

    /// Every (layer, head) metrics entry of `result` (a one-head result gives one column). `label` names
    /// the method in the title.
    void setResult(const AnalysisResult &result, const QString &label = {});
    void clear();

    void setMetric(Metric metric);
    Metric metric() const { return m_metric; }
    static QString metricName(Metric metric);
    QComboBox *metricCombo() const { return m_combo; }

    /// Outlines (layer, head); head < 0 outlines the whole layer row (the mean of heads). No signal.
    void setSelected(int layer, int head);
    int selectedLayer() const { return m_selLayer; }
    int selectedHead() const { return m_selHead; }

    int layerCount() const { return m_layers; }
    int headCount() const { return m_heads; }
    /// The value drawn in cell (layer, head) under the current metric (NaN when there is none).
    double value(int layer, int head) const;
    double value(int layer, int head, Metric metric) const;
    QCPColorMap *colorMap() const { return m_map; }
    QCPColorScale *colorScale() const { return m_scale; }
    QString title() const;

    QString csv() const override;
    QJsonObject json() const override;
    void resetZoom() override;

Q_SIGNALS:
    /// The user clicked the cell of (layer, head).
    void cellSelected(int layer, int head);

private:
    void rebuild();
    void placeHighlight();

    QComboBox *m_combo = nullptr;
    QCPTextElement *m_title = nullptr;
    QCPColorMap *m_map = nullptr;
    QCPColorScale *m_scale = nullptr;
    QCPItemRect *m_highlight = nullptr;
    Metric m_metric = Entropy;
    std::vector<LayerMetrics> m_entries;
    int m_layers = 0;
    int m_heads = 0;
    int64_t m_length = 0;
    QString m_label;
    int m_selLayer = -1;
    int m_selHead = -1;
};

} // namespace entroscope
