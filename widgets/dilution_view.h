// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// DilutionView: score dilution against context length, one series per method.
// Left panel: retained_mass_mean (METHODS.md §3: mass the first T queries keep on the first T keys;
// 1 at n = T) against n, solid, and local_mass_mean (every query's mass on keys with |i − j| < T), dashed;
// both are means over the layers. Right panel: entropy_mean against n, with ln n (uniform attention) dashed.
// The x axes are log2; a vertical line marks the training length T. Series are filled point by point
// (a background sweep calls addPoint as lengths finish); a point for a length already present replaces
// it. Each method has its own colour (methodColor), the same in every view and session. GUI thread only.

#include "plot_view.h"

#include <QStringList>

#include <cstdint>
#include <limits>
#include <map>
#include <vector>

class QCPAxisRect;
class QCPGraph;
class QCPItemStraightLine;
class QCPItemText;
class QCPTextElement;

namespace entroscope {

class DilutionView : public PlotView
{
    Q_OBJECT
public:
    explicit DilutionView(QWidget *parent = nullptr);
    ~DilutionView() override;

    /// Adds (or replaces) the point at `length` of series `methodLabel`. retainedMassMean may be NaN
    /// (n < T: not defined), then only the entropy point is drawn. Values are means over queries.
    /// localMassMean may be NaN (not drawn).
    void addPoint(const QString &methodLabel, int64_t length, double retainedMassMean, double entropyMean,
                  double localMassMean = std::numeric_limits<double>::quiet_NaN());
    /// Removes every series.
    void clearSeries();
    /// Marks the training length; T ≤ 0 hides the marker.
    void setTrainLength(int64_t trainLength);
    int64_t trainLength() const { return m_trainLength; }
    /// Marks the length the other views show (a solid vertical line in both panels); ≤ 0 hides it.
    void setCurrentLength(int64_t length);
    int64_t currentLength() const { return m_currentLength; }
    QCPItemStraightLine *currentLine(int panel) const { return m_currentLines[panel == 0 ? 0 : 1]; }

    QStringList seriesLabels() const;
    QCPGraph *retainedGraph(const QString &methodLabel) const;
    QCPGraph *entropyGraph(const QString &methodLabel) const;
    QCPGraph *localGraph(const QString &methodLabel) const;
    QCPGraph *lnNGraph() const { return m_lnNGraph; }
    QCPAxisRect *retainedRect() const { return m_retainedRect; }
    QCPAxisRect *entropyRect() const { return m_entropyRect; }
    QCPItemStraightLine *trainLine(int panel) const { return panel == 0 ? m_trainLines[0] : m_trainLines[1]; }

    void resetZoom() override;
    QString csv() const override;
    QJsonObject json() const override;

private:
    struct Point
    {
        double retained;
        double entropy;
        double local;
    };
    struct Series
    {
        QString label;
        QCPGraph *retained = nullptr;
        QCPGraph *entropy = nullptr;
        QCPGraph *local = nullptr;
        std::map<int64_t, Point> points;
    };
    void updateRanges();

    std::vector<Series> m_series;
    int64_t m_trainLength = 0;

    QCPTextElement *m_title = nullptr;
    QCPAxisRect *m_retainedRect = nullptr;
    QCPAxisRect *m_entropyRect = nullptr;
    QCPGraph *m_lnNGraph = nullptr;
    QCPItemStraightLine *m_trainLines[2] = {nullptr, nullptr};
    QCPItemStraightLine *m_currentLines[2] = {nullptr, nullptr};
    int64_t m_currentLength = 0;
    QCPItemText *m_trainLabels[2] = {nullptr, nullptr};
};

} // namespace entroscope
