// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "plot_view.h"

#include "qcustomplot_compat.h"

#include <QTimer>
#include <QVBoxLayout>

namespace entroscope {

PlotView::PlotView(QWidget *parent)
    : QWidget(parent)
    , m_plot(new QCustomPlot(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->setBackground(Qt::white);
    // Replots run from a 1 ms timer, not from a posted event (QCustomPlot's rpQueuedReplot): posted
    // events are delivered back to back in one batch, so a view's data update and its redraw would
    // block the GUI thread together; timers are taken in due order with the other timers and input.
    m_replotTimer = new QTimer(this);
    m_replotTimer->setSingleShot(true);
    m_replotTimer->setInterval(1);
    connect(m_replotTimer, &QTimer::timeout, this, [this] { m_plot->replot(QCustomPlot::rpImmediateRefresh); });
}

PlotView::~PlotView() = default;

void PlotView::requestReplot()
{
    if (!isVisible()) {
        m_replotPending = true;
        return;
    }
    m_replotPending = false;
    m_replotTimer->start();
}

void PlotView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_replotPending) {
        m_replotPending = false;
        m_replotTimer->start();
    }
}

void PlotView::resetZoom()
{
    m_plot->rescaleAxes();
    requestReplot();
}

bool PlotView::isEmptyState() const { return m_emptyItem && m_emptyItem->visible(); }

QString PlotView::emptyStateText() const { return isEmptyState() ? m_emptyItem->text() : QString(); }

void PlotView::showEmptyState(const QString &text)
{
    if (!m_emptyItem) {
        m_emptyItem = new QCPItemText(m_plot);
        m_emptyItem->setClipToAxisRect(false);
        m_emptyItem->position->setType(QCPItemPosition::ptViewportRatio);
        m_emptyItem->position->setCoords(0.5, 0.5);
        m_emptyItem->setPositionAlignment(Qt::AlignCenter);
        m_emptyItem->setColor(QColor(90, 90, 90));
        QFont font = m_emptyItem->font();
        font.setPointSizeF(font.pointSizeF() * 1.2);
        m_emptyItem->setFont(font);
        if (m_plot->layer(QStringLiteral("overlay")))
            m_emptyItem->setLayer(QStringLiteral("overlay"));
    }
    m_emptyItem->setText(text);
    m_emptyItem->setVisible(true);
}

void PlotView::hideEmptyState()
{
    if (m_emptyItem)
        m_emptyItem->setVisible(false);
}

} // namespace entroscope
