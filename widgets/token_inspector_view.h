// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// TokenInspectorView: the attention row of one query token — its weights against key position, the keys
// within the training span |i − j| < T shaded, the query marked — and the keys it attends to most, with
// their tokens. A click on a map row (or Analysis ▸ Inspect token) picks the query. For a pooled map the
// row is the max-pooled cell row and the view says so (exact rows of long contexts are the long-context
// work's). GUI thread only; the widget keeps its own copy of the row.

#include "plot_view.h"
#include "result_types.h"

#include <QStringList>

#include <cstdint>
#include <string>
#include <vector>

class QCPGraph;
class QCPItemRect;
class QCPItemStraightLine;
class QCPTextElement;

namespace entroscope {

class TokenInspectorView : public PlotView
{
    Q_OBJECT
public:
    explicit TokenInspectorView(QWidget *parent = nullptr);
    ~TokenInspectorView() override;

    /// Shows row `query` of `map` (layer map of n tokens; pooled maps show the cell row holding `query`).
    /// tokenTexts: the n token strings (may be empty); trainLength T ≤ 0 hides the span. methodLabel titles it.
    void setRow(const AttentionMap &map, int64_t query, const std::vector<std::string> &tokenTexts,
                int64_t trainLength, const QString &methodLabel);
    void clear();

    int64_t query() const { return m_query; }
    /// The row as shown: one weight per key (per pooled key cell).
    const std::vector<float> &weights() const { return m_weights; }
    /// The keys with the largest weights, largest first: (key position, weight).
    const std::vector<std::pair<int64_t, float>> &topKeys() const { return m_top; }
    /// The top keys as text lines ("1. key 12 'the' 0.412").
    QStringList topKeyLines() const { return m_topLines; }
    QCPGraph *rowGraph() const { return m_graph; }
    QCPItemRect *trainSpan() const { return m_span; }

    QString csv() const override;
    QJsonObject json() const override;

private:
    int64_t m_query = -1;
    int m_pool = 1;
    int m_layer = 0;
    int64_t m_length = 0;
    int64_t m_trainLength = 0;
    std::vector<float> m_weights;
    std::vector<std::pair<int64_t, float>> m_top;
    QStringList m_topLines;
    QCPTextElement *m_title = nullptr;
    QCPGraph *m_graph = nullptr;
    QCPItemRect *m_span = nullptr;
    QCPItemStraightLine *m_queryLine = nullptr;
    QCPTextElement *m_list = nullptr;
};

} // namespace entroscope
