// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// EntropyView: attention entropy (nats, METHODS.md §3) of one analysis.
// Top panel: H_i per query i of the selected layer, with reference lines ln(n) (uniform attention) and,
// when given, the entropy the same layer has at the training length T; a vertical line separates the
// first T queries from the added ones. Bottom panel: entropy_mean per layer (bars; the selected layer
// highlighted) with ln(n). Both panels share the y range [0, 1.08·ln n] so they compare directly.
// Clicking a bar emits layerSelected(layer). GUI thread only; the widget copies what it shows.

#include "plot_view.h"
#include "analysis/result_types.h"

#include <optional>
#include <string>
#include <vector>

class QCPAxisRect;
class QCPBars;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QCPTextElement;

namespace entroscope {

class EntropyView : public PlotView
{
    Q_OBJECT
public:
    explicit EntropyView(QWidget *parent = nullptr);
    ~EntropyView() override;

    /// Shows `result`. `layer` is a layer number (LayerMetrics::layer; the first head with that layer);
    /// a layer not in the result selects the first entry. entropyAtTrainLength: the selected layer's
    /// entropy_mean when the same input is run at length T (nullopt: no line).
    void setData(const AnalysisResult &result, int layer, std::optional<double> entropyAtTrainLength);
    /// The compared methods on the same input: drawn in their own colours (dashed per-query entropy of the
    /// selected layer, a marker per layer mean), listed in the legend, the CSV and the JSON. Call after
    /// setData; an empty list removes them.
    struct Compared
    {
        QString label;
        std::vector<LayerMetrics> layers; ///< same layers as the primary result (head 0)
    };
    void setCompared(std::vector<Compared> compared);
    int comparedCount() const { return int(m_compared.size()); }
    QCPGraph *comparedQueryGraph(int i) const;
    QCPGraph *comparedLayerGraph(int i) const;
    void clear();

    int selectedLayer() const;
    double lnN() const { return m_lnN; }
    std::optional<double> entropyAtTrainLength() const { return m_entropyAtT; }
    QString title() const;

    QCPAxisRect *queryRect() const { return m_queryRect; }
    QCPAxisRect *layerRect() const { return m_layerRect; }
    QCPGraph *queryGraph() const { return m_queryGraph; }
    QCPBars *layerBars() const { return m_layerBars; }
    QCPBars *selectedBar() const { return m_selectedBar; }
    QCPItemStraightLine *lnNLine() const { return m_lnNLine; }
    QCPItemStraightLine *trainEntropyLine() const { return m_trainEntropyLine; }
    QCPItemStraightLine *trainQueryLine() const { return m_trainQueryLine; }

    QString csv() const override;
    QJsonObject json() const override;

Q_SIGNALS:
    /// The user clicked the bar of layer `layer`.
    void layerSelected(int layer);

private:
    void rebuild();
    void rebuildCompared();
    struct ComparedSeries
    {
        Compared data;
        QCPGraph *query = nullptr;
        QCPGraph *layer = nullptr;
    };
    std::vector<ComparedSeries> m_compared;
    void setHorizontalLine(QCPItemStraightLine *line, QCPItemText *label, double y, const QString &text);

    int64_t m_length = 0;
    int64_t m_trainLength = 0;
    QString m_method;
    std::vector<std::string> m_tokens;
    std::vector<LayerMetrics> m_layers; ///< entries of the selected head only
    int m_selected = -1;                ///< index into m_layers
    double m_lnN = 0;
    std::optional<double> m_entropyAtT;

    QCPTextElement *m_title = nullptr;
    QCPAxisRect *m_queryRect = nullptr;
    QCPAxisRect *m_layerRect = nullptr;
    QCPGraph *m_queryGraph = nullptr;
    QCPBars *m_layerBars = nullptr;
    QCPBars *m_selectedBar = nullptr;
    QCPItemStraightLine *m_lnNLine = nullptr;
    QCPItemText *m_lnNLabel = nullptr;
    QCPItemStraightLine *m_trainEntropyLine = nullptr;
    QCPItemText *m_trainEntropyLabel = nullptr;
    QCPItemStraightLine *m_trainQueryLine = nullptr;
    QCPItemText *m_trainQueryLabel = nullptr;
    QCPItemStraightLine *m_lnNLayerLine = nullptr;
    QCPItemText *m_lnNLayerLabel = nullptr;
};

} // namespace entroscope
