// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// TokenInspectorView: the attention row of one query token — its weights against key position, the keys
// within the training span |i − j| < T shaded, the query marked — and the keys it attends to most, with
// their tokens. Below the plot the analysed tokens are shown as text, each key's background as dark as
// its weight (relative to the row's largest), the query boxed; clicking a token there (or a map row, or
// Analysis ▸ Inspect token) picks it as the query (querySelected). Long inputs show a window of
// kTextWindow tokens around the query. For a pooled map the row is the max-pooled cell row and the view
// says so until the main window hands it the exact row (setExactRow). GUI thread only; the widget keeps
// its own copy of the row.

#include "plot_view.h"
#include "analysis/result_types.h"

#include <QStringList>

#include <cstdint>
#include <string>
#include <vector>

class QCPGraph;
class QCPItemRect;
class QCPItemStraightLine;
class QCPTextElement;
class QTextBrowser;

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
    /// Shows an exact row of n weights (the engine recomputed it for a long context whose map is pooled).
    void setExactRow(const std::vector<float> &weights, int layer, int64_t query,
                     const std::vector<std::string> &tokenTexts, int64_t trainLength, const QString &methodLabel);
    void clear();
    /// Whether the row shown is exact (a full map's row or setExactRow), not a pooled cell row.
    bool isExact() const { return m_query >= 0 && m_pool == 1; }
    int layer() const { return m_layer; }

    /// Tokens shown in the text pane at most (a window around the query when the input is longer).
    static constexpr int64_t kTextWindow = 1024;
    /// The text pane: the analysed tokens with the attended keys highlighted.
    QTextBrowser *tokenText() const { return m_text; }
    /// The key positions [first, last) the text pane shows.
    std::pair<int64_t, int64_t> textWindow() const { return m_textWindow; }
    /// The highlight strength (0–1: weight / the row's largest) of key j in the text pane; -1 outside it.
    double highlightOf(int64_t key) const;

Q_SIGNALS:
    /// The user clicked token `query` in the text pane.
    void querySelected(int64_t query);

public:
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
    void showRow(std::vector<float> weights, int pool, int layer, int64_t length, int64_t query,
                 const std::vector<std::string> &tokenTexts, int64_t trainLength, const QString &methodLabel, bool exact);
    bool m_exact = false;
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
    QTextBrowser *m_text = nullptr;
    std::pair<int64_t, int64_t> m_textWindow{0, 0};
    void showText(const std::vector<std::string> &tokenTexts);
};

} // namespace entroscope
