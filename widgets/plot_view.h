// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Base of every EntroScope plot widget: a QWidget that owns one QCustomPlot (filling the widget),
// exposes it for export (plot_export.h) and tests, and returns the data behind the plot as CSV/JSON.
// GUI thread only. Widgets copy the values they are given; the caller keeps nothing alive for them.
// Headers forward-declare QCustomPlot types; include "qcustomplot_compat.h" (never <qcustomplot.h>
// directly: the project builds with QT_NO_KEYWORDS) to use the plot()/colorMap()/… accessors.

#include <QJsonObject>
#include <QPointer>
#include <QString>
#include <QWidget>

class QCustomPlot;
class QCPItemText;
class QTimer;

namespace entroscope {

class PlotView : public QWidget
{
    Q_OBJECT
public:
    explicit PlotView(QWidget *parent = nullptr);
    ~PlotView() override;

    /// The plot this widget draws into (owned by the widget). Use it for export; don't restructure it.
    QCustomPlot *plot() const { return m_plot; }
    /// The data behind the plot as CSV text (header line, then rows; RFC 4180 quoting). Empty when
    /// nothing is shown.
    virtual QString csv() const = 0;
    /// The data behind the plot as JSON; {} when nothing is shown.
    virtual QJsonObject json() const = 0;

    /// Back to the view's own ranges after wheel zoom and drag (View ▸ Reset zoom; double-click in the map
    /// views). The default rescales every axis to its data.
    virtual void resetZoom();

    /// True while the widget shows its empty-state text instead of data.
    bool isEmptyState() const;
    /// The empty-state text currently shown (empty when data is shown).
    QString emptyStateText() const;

    /// Redraws the plot soon: queued (several changes in one event cost one replot, and each view
    /// draws in its own event so the GUI thread never blocks for all of them at once) while the widget
    /// is visible, and only when it is next shown while it is hidden (a tab in the background).
    /// Exports lay the plot out and draw it themselves (plot_export.h).
    void requestReplot();
    /// True while a replot waits for the widget to be shown.
    bool replotPending() const { return m_replotPending; }

    QSize sizeHint() const override { return QSize(640, 480); }
    QSize minimumSizeHint() const override { return QSize(200, 150); }

protected:
    /// Shows `text` centred over the plot (subclasses hide their plottables themselves).
    void showEmptyState(const QString &text);
    void hideEmptyState();
    void showEvent(QShowEvent *event) override;

    QCustomPlot *m_plot = nullptr;

private:
    QPointer<QCPItemText> m_emptyItem;
    bool m_replotPending = false;
    QTimer *m_replotTimer = nullptr;
};

} // namespace entroscope
