// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "distance_profile_view.h"

#include "plot_helpers.h"
#include "qcustomplot_compat.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <limits>

namespace entroscope {

DistanceProfileView::DistanceProfileView(QWidget *parent)
    : PlotView(parent)
{
    QCustomPlot *plot = m_plot;
    m_title = new QCPTextElement(plot, QString(), QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, m_title);
    styleAxis(plot->xAxis, tr("query–key distance |i−j|"));
    styleAxis(plot->yAxis, tr("attention mass (mean over queries)"));
    plot->xAxis->grid()->setVisible(false);
    plot->legend->setVisible(true);
    plot->legend->setBrush(QColor(255, 255, 255, 220));
    plot->legend->setBorderPen(QPen(QColor(0, 0, 0, 60)));
    plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    m_group = new QCPBarsGroup(plot);
    m_group->setSpacingType(QCPBarsGroup::stAbsolute);
    m_group->setSpacing(1);
    rebuild();
}

DistanceProfileView::~DistanceProfileView() = default;

void DistanceProfileView::setProfiles(const std::vector<Profile> &profiles)
{
    m_profiles = profiles;
    rebuild();
}

void DistanceProfileView::setSubtitle(const QString &subtitle)
{
    m_subtitle = subtitle;
    rebuild();
}

void DistanceProfileView::setLogScale(bool log)
{
    m_log = log;
    rebuild();
}

int DistanceProfileView::binCount() const
{
    size_t bins = 0;
    for (const Profile &p : m_profiles)
        bins = std::max(bins, p.second.size());
    return int(bins);
}

QCPBars *DistanceProfileView::bars(int profile) const
{
    return profile >= 0 && profile < int(m_bars.size()) ? m_bars[size_t(profile)] : nullptr;
}

void DistanceProfileView::rebuild()
{
    QCustomPlot *plot = m_plot;
    for (QCPBars *bars : m_bars)
        plot->removePlottable(bars);
    m_bars.clear();
    m_group->clear();
    QString title = tr("Attention mass by distance");
    if (!m_subtitle.isEmpty())
        title += QStringLiteral(" · ") + m_subtitle;
    m_title->setText(title);

    const int bins = binCount();
    if (m_profiles.empty() || bins == 0) {
        showEmptyState(tr("No distance profile yet."));
        plot->legend->setVisible(false);
        requestReplot();
        return;
    }
    hideEmptyState();
    plot->legend->setVisible(m_profiles.size() > 1 || !m_profiles.front().first.isEmpty());

    const double groupWidth = 0.8;
    const double barWidth = groupWidth / double(m_profiles.size());
    double hi = 0;
    double minPositive = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < m_profiles.size(); ++i) {
        auto *bars = new QCPBars(plot->xAxis, plot->yAxis);
        const QColor color = m_profiles[i].first.isEmpty() ? seriesColor(int(i)) : methodColor(m_profiles[i].first);
        bars->setName(m_profiles[i].first);
        bars->setPen(QPen(color.darker(130)));
        bars->setBrush(color);
        bars->setWidth(barWidth);
        bars->setBarsGroup(m_group);
        const std::vector<double> &values = m_profiles[i].second;
        for (size_t b = 0; b < values.size(); ++b) {
            if (!std::isfinite(values[b]))
                continue;
            bars->addData(double(b), values[b]);
            hi = std::max(hi, values[b]);
            if (values[b] > 0)
                minPositive = std::min(minPositive, values[b]);
        }
        m_bars.push_back(bars);
    }

    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int b = 0; b < bins; ++b)
        ticker->addTick(b, distanceBinLabel(b));
    plot->xAxis->setTicker(ticker);
    plot->xAxis->setTickLabelRotation(bins > 10 ? -45 : 0);
    plot->xAxis->setRange(-0.6, bins - 0.4);

    if (m_log) {
        plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        QSharedPointer<QCPAxisTickerLog> logTicker(new QCPAxisTickerLog);
        plot->yAxis->setTicker(logTicker);
        plot->yAxis->setNumberFormat(QStringLiteral("eb"));
        plot->yAxis->setNumberPrecision(0);
        const double lo = std::isfinite(minPositive) ? std::max(minPositive, kLogFloor) / 2 : kLogFloor;
        const double top = hi > lo ? hi * 2 : lo * 10;
        plot->yAxis->setRange(lo, top);
        // Bars start at 0, which a log axis cannot show; start them at the bottom of the range.
        for (QCPBars *bars : m_bars)
            bars->setBaseValue(lo);
    } else {
        plot->yAxis->setScaleType(QCPAxis::stLinear);
        plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
        plot->yAxis->setNumberFormat(QStringLiteral("gb"));
        plot->yAxis->setNumberPrecision(6);
        plot->yAxis->setRange(0, hi > 0 ? hi * 1.1 : 1.0);
    }
    requestReplot();
}

QString DistanceProfileView::csv() const
{
    if (m_profiles.empty())
        return QString();
    QString out = QStringLiteral("bin,distance");
    for (const Profile &p : m_profiles)
        out += QLatin1Char(',') + csvField(p.first);
    out += QLatin1Char('\n');
    for (int b = 0; b < binCount(); ++b) {
        // ASCII hyphen in the file: spreadsheets mangle the en dash of the axis labels.
        out += QString::number(b) + QLatin1Char(',') + distanceBinLabel(b).replace(QStringLiteral("–"), QStringLiteral("-"));
        for (const Profile &p : m_profiles)
            out += QLatin1Char(',') + (size_t(b) < p.second.size() ? numberText(p.second[size_t(b)]) : QString());
        out += QLatin1Char('\n');
    }
    return out;
}

QJsonObject DistanceProfileView::json() const
{
    if (m_profiles.empty())
        return QJsonObject();
    QJsonArray bins;
    for (int b = 0; b < binCount(); ++b)
        bins.append(distanceBinLabel(b));
    QJsonArray profiles;
    for (const Profile &p : m_profiles) {
        QJsonArray values;
        for (double v : p.second)
            values.append(v);
        profiles.append(QJsonObject{{QStringLiteral("label"), p.first}, {QStringLiteral("mass"), values}});
    }
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("distance_profile")},
                       {QStringLiteral("title"), m_title->text()},
                       {QStringLiteral("log_scale"), m_log},
                       {QStringLiteral("bins"), bins},
                       {QStringLiteral("profiles"), profiles}};
}

} // namespace entroscope
