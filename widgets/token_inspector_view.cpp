// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "token_inspector_view.h"

#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QJsonArray>
#include <QLayout>
#include <QTextBrowser>
#include <QUrl>

#include <algorithm>
#include <numeric>

namespace entroscope {

namespace {
constexpr int kTopKeys = 8;
}

TokenInspectorView::TokenInspectorView(QWidget *parent)
    : PlotView(parent)
{
    QCustomPlot *plot = m_plot;
    m_title = new QCPTextElement(plot, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, m_title);
    m_list = new QCPTextElement(plot, QString(), QFont(QStringLiteral("monospace"), font().pointSize()));
    m_list->setTextFlags(Qt::AlignLeft | Qt::AlignTop);
    plot->plotLayout()->addElement(2, 0, m_list);
    plot->plotLayout()->setRowStretchFactor(2, 0.001);
    styleAxis(plot->xAxis, tr("key position j (shaded: the training span |i − j| < T; dashed: the query)"));
    styleAxis(plot->yAxis, tr("attention weight A_ij"));
    m_span = new QCPItemRect(plot);
    m_span->setPen(Qt::NoPen);
    m_span->setBrush(QColor(213, 94, 0, 28));
    m_span->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_span->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    m_span->setVisible(false);
    m_graph = plot->addGraph();
    m_graph->setPen(QPen(QColor("#0072b2"), 1.4));
    m_graph->setLineStyle(QCPGraph::lsImpulse);
    m_queryLine = new QCPItemStraightLine(plot);
    m_queryLine->setPen(QPen(QColor(200, 30, 30, 180), 1.2, Qt::DashLine));
    m_queryLine->setVisible(false);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->axisRect()->setRangeZoom(Qt::Horizontal);
    plot->axisRect()->setRangeDrag(Qt::Horizontal);

    m_text = new QTextBrowser(this);
    m_text->setObjectName(QStringLiteral("inspectorText"));
    m_text->setOpenLinks(false);
    m_text->setOpenExternalLinks(false);
    m_text->setMinimumHeight(60);
    m_text->setPlaceholderText(tr("The analysed tokens appear here, the attended ones highlighted."));
    m_text->setToolTip(tr("The analysed tokens: a key's background is as dark as its attention weight (relative to "
                          "the row's largest); the query is boxed. Click a token to inspect it."));
    connect(m_text, &QTextBrowser::anchorClicked, this, [this](const QUrl &url) {
        bool ok = false;
        const qint64 q = url.fragment().toLongLong(&ok);
        if (ok && url.path() == QLatin1String("tok") && q >= 0 && q < m_length)
            Q_EMIT querySelected(q);
    });
    if (auto *box = layout()) {
        box->addWidget(m_text);
        if (auto *v = qobject_cast<QBoxLayout *>(box)) {
            v->setStretch(0, 3);
            v->setStretch(1, 1);
        }
    }
    clear();
}

TokenInspectorView::~TokenInspectorView() = default;

void TokenInspectorView::clear()
{
    m_query = -1;
    m_weights.clear();
    m_top.clear();
    m_topLines.clear();
    m_graph->data()->clear();
    m_span->setVisible(false);
    m_queryLine->setVisible(false);
    m_title->setText(tr("Token inspector"));
    m_list->setText(QString());
    m_text->clear();
    m_textWindow = {0, 0};
    showEmptyState(tr("Click a query row of the attention map to see that token's attention row here."));
    requestReplot();
}

void TokenInspectorView::setRow(const AttentionMap &map, int64_t query, const std::vector<std::string> &tokenTexts,
                                int64_t trainLength, const QString &methodLabel)
{
    if (map.empty() || query < 0 || query >= map.length) {
        clear();
        return;
    }
    const int row = int(query / std::max(map.pool, 1));
    showRow(std::vector<float>(map.data.begin() + ptrdiff_t(row) * map.cols, map.data.begin() + ptrdiff_t(row + 1) * map.cols),
            std::max(map.pool, 1), map.layer, map.length, query, tokenTexts, trainLength, methodLabel, false);
}

void TokenInspectorView::setExactRow(const std::vector<float> &weights, int layer, int64_t query,
                                     const std::vector<std::string> &tokenTexts, int64_t trainLength,
                                     const QString &methodLabel)
{
    if (weights.empty() || query < 0 || query >= int64_t(weights.size())) {
        clear();
        return;
    }
    showRow(weights, 1, layer, int64_t(weights.size()), query, tokenTexts, trainLength, methodLabel, true);
}

void TokenInspectorView::showRow(std::vector<float> weights, int pool, int layer, int64_t length, int64_t query,
                                 const std::vector<std::string> &tokenTexts, int64_t trainLength,
                                 const QString &methodLabel, bool exact)
{
    hideEmptyState();
    m_query = query;
    m_pool = pool;
    m_layer = layer;
    m_length = length;
    m_trainLength = trainLength;
    m_exact = exact;
    m_weights = std::move(weights);

    QVector<double> x(int(m_weights.size())), y(int(m_weights.size()));
    for (int c = 0; c < int(m_weights.size()); ++c) {
        x[c] = double(c) * m_pool + (m_pool - 1) / 2.0;
        y[c] = m_weights[size_t(c)];
    }
    m_graph->setData(x, y, true);
    std::vector<int> order(m_weights.size());
    std::iota(order.begin(), order.end(), 0);
    const int k = std::min<int>(kTopKeys, int(order.size()));
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int a, int b) { return m_weights[size_t(a)] > m_weights[size_t(b)]; });
    m_top.clear();
    m_topLines.clear();
    auto tokenAt = [&](int64_t j) {
        return j >= 0 && size_t(j) < tokenTexts.size() ? tokenLabel(tokenTexts[size_t(j)], 14) : QString();
    };
    for (int i = 0; i < k; ++i) {
        const int64_t key = int64_t(order[size_t(i)]) * m_pool;
        m_top.emplace_back(key, m_weights[size_t(order[size_t(i)])]);
        const QString where = m_pool > 1 ? tr("keys %1–%2").arg(key).arg(std::min<int64_t>(key + m_pool, m_length) - 1)
                                         : tr("key %1 '%2'").arg(key).arg(tokenAt(key));
        m_topLines << QStringLiteral("%1. %2  %3  (|i − j| = %4)")
                          .arg(i + 1)
                          .arg(where, -26)
                          .arg(double(m_weights[size_t(order[size_t(i)])]), 0, 'f', 4)
                          .arg(std::llabs(key - query));
    }
    m_list->setText(tr("Largest weights%1:\n").arg(m_pool > 1 ? tr(" (max-pooled cells)") : QString())
                    + m_topLines.join(QLatin1Char('\n')));
    m_title->setText(tr("%1 · layer %2 · query %3 '%4' · n = %5%6")
                         .arg(methodLabel)
                         .arg(m_layer)
                         .arg(query)
                         .arg(tokenAt(query))
                         .arg(m_length)
                         .arg(m_pool > 1 ? tr(" · row pooled %1×%1 (max); the exact row is being computed").arg(m_pool)
                                         : exact ? tr(" · exact row") : QString()));
    if (trainLength > 0) {
        m_span->topLeft->setCoords(double(std::max<int64_t>(0, query - trainLength + 1)) - 0.5, 0);
        m_span->bottomRight->setCoords(double(std::min<int64_t>(m_length - 1, query + trainLength - 1)) + 0.5, 1);
        m_span->setVisible(true);
    }
    m_queryLine->point1->setCoords(double(query), 0);
    m_queryLine->point2->setCoords(double(query), 1);
    m_queryLine->setVisible(true);
    showText(tokenTexts);
    const float hi = m_weights.empty() ? 1.0f : *std::max_element(m_weights.begin(), m_weights.end());
    m_plot->xAxis->setRange(-0.5, double(m_length) - 0.5);
    m_plot->yAxis->setRange(0, hi > 0 ? hi * 1.08 : 1.0);
    requestReplot();
}

double TokenInspectorView::highlightOf(int64_t key) const
{
    if (m_query < 0 || key < m_textWindow.first || key >= m_textWindow.second || m_weights.empty())
        return -1;
    const float hi = *std::max_element(m_weights.begin(), m_weights.end());
    const float w = m_weights[size_t(key / m_pool)];
    return hi > 0 ? std::clamp(double(w) / double(hi), 0.0, 1.0) : 0.0;
}

void TokenInspectorView::showText(const std::vector<std::string> &tokenTexts)
{
    const int64_t n = m_length;
    int64_t first = 0, last = n;
    if (n > kTextWindow) {
        first = std::clamp<int64_t>(m_query - kTextWindow / 2, 0, n - kTextWindow);
        last = first + kTextWindow;
    }
    m_textWindow = {first, last};
    QString html = QStringLiteral("<div style=\"font-family: monospace; line-height: 150%;\">");
    if (first > 0 || last < n)
        html += tr("<p style=\"color:#555\">Tokens %1–%2 of %3 (the window around the query).</p>")
                    .arg(first)
                    .arg(last - 1)
                    .arg(n);
    for (int64_t j = first; j < last; ++j) {
        const QString token = j < int64_t(tokenTexts.size()) ? tokenLabel(tokenTexts[size_t(j)], 14)
                                                             : QString::number(j);
        const double a = highlightOf(j);
        // The Okabe–Ito blue of the row plot blended into white as strongly as the weight; dark keys get
        // white text.
        const double t = std::max(a, 0.0);
        const QColor bg(int(std::lround(255 - t * (255 - 0))), int(std::lround(255 - t * (255 - 114))),
                        int(std::lround(255 - t * (255 - 178))));
        const QString style = QStringLiteral("text-decoration:none; background-color:%1; color:%2;")
                                  .arg(bg.name(), t > 0.55 ? QStringLiteral("white") : QStringLiteral("black"));
        QString shown = token.toHtmlEscaped();
        if (j == m_query)
            shown = QStringLiteral("<span style=\"color:#c81e1e; font-weight:bold;\">[")
                    + shown + QStringLiteral("]</span>");
        if (j == m_query)
            html += QStringLiteral("<a name=\"query\"></a>");
        html += QStringLiteral("<a href=\"tok#%1\" title=\"key %1: %2\" style=\"%3\">%4</a> ")
                    .arg(j)
                    .arg(m_weights.empty() ? 0.0 : double(m_weights[size_t(j / m_pool)]), 0, 'g', 4)
                    .arg(style, shown);
    }
    html += QStringLiteral("</div>");
    m_text->setHtml(html);
    m_text->scrollToAnchor(QStringLiteral("query"));
}

QString TokenInspectorView::csv() const
{
    if (m_query < 0)
        return QString();
    QString out = QStringLiteral("query,key,weight\n");
    for (size_t c = 0; c < m_weights.size(); ++c)
        out += QStringLiteral("%1,%2,").arg(m_query).arg(int64_t(c) * m_pool) + numberText(m_weights[c]) + QLatin1Char('\n');
    return out;
}

QJsonObject TokenInspectorView::json() const
{
    if (m_query < 0)
        return QJsonObject();
    QJsonArray w, top;
    for (float v : m_weights)
        w.append(double(v));
    for (const auto &[key, weight] : m_top)
        top.append(QJsonObject{{QStringLiteral("key"), double(key)}, {QStringLiteral("weight"), double(weight)}});
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("token-row")},
                       {QStringLiteral("query"), double(m_query)},
                       {QStringLiteral("layer"), m_layer},
                       {QStringLiteral("length"), double(m_length)},
                       {QStringLiteral("train_length"), double(m_trainLength)},
                       {QStringLiteral("pool"), m_pool},
                       {QStringLiteral("exact_recomputed"), m_exact},
                       {QStringLiteral("weights"), w},
                       {QStringLiteral("top_keys"), top}};
}

} // namespace entroscope
