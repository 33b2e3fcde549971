// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// DistanceProfileView: attention mass by query–key distance |i−j| (METHODS.md §3 distance_profile),
// one group of bars per distance bin ("0", "1", "2–3", "4–7", …), one bar colour per profile (e.g. per
// method or per length). The y axis is linear or log10 (bins with zero mass then have no bar).
// GUI thread only; the widget copies the profiles.

#include "plot_view.h"

#include <QString>

#include <utility>
#include <vector>

class QCPBars;
class QCPBarsGroup;
class QCPTextElement;

namespace entroscope {

class DistanceProfileView : public PlotView
{
    Q_OBJECT
public:
    using Profile = std::pair<QString, std::vector<double>>;

    explicit DistanceProfileView(QWidget *parent = nullptr);
    ~DistanceProfileView() override;

    /// Shows the profiles (label, mass per bin); profiles may have different bin counts. An empty
    /// list shows the empty state.
    void setProfiles(const std::vector<Profile> &profiles);
    void clear() { setProfiles({}); }
    /// Text after "Attention mass by distance" in the title (e.g. "layer 3 · n = 512").
    void setSubtitle(const QString &subtitle);

    void setLogScale(bool log);
    bool logScale() const { return m_log; }

    int binCount() const;
    QCPBars *bars(int profile) const;
    const std::vector<Profile> &profiles() const { return m_profiles; }

    QString csv() const override;
    QJsonObject json() const override;

private:
    void rebuild();

    std::vector<Profile> m_profiles;
    std::vector<QCPBars *> m_bars;
    QCPBarsGroup *m_group = nullptr;
    QCPTextElement *m_title = nullptr;
    QString m_subtitle;
    bool m_log = false;
};

} // namespace entroscope
