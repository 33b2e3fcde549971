// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// MainWindow's views: the table of views (kViews: name, title, update) and each view's update from the shown
// result through the selected layer and head. Views update lazily (updateView); the rest of the window is
// main_window.cpp, its exports main_window_export.cpp.
#include "main_window.h"

#include "analysis_controller.h"
#include "attention_map_view.h"
#include "compare_view.h"
#include "distance_profile_view.h"
#include "entropy_view.h"
#include "head_heatmap_view.h"
#include "head_selection.h"
#include "layer_overview.h"
#include "token_inspector_view.h"

#include <QLocale>
#include <QTabWidget>

#include <algorithm>
#include <iterator>

namespace entroscope {

namespace {

// Per (layer, head) values (layer-major, heads inner) → one per layer: head `head`'s, or with kHeadMean the
// mean of the layer's heads. One head per layer: the values as they are.
std::vector<double> jsOfHead(const std::vector<double> &perLayerHead, int heads, int head)
{
    if (heads <= 1 || perLayerHead.size() % size_t(heads) != 0)
        return perLayerHead;
    std::vector<double> out;
    for (size_t l = 0; l < perLayerHead.size() / size_t(heads); ++l) {
        double v = 0;
        if (head == kHeadMean) {
            for (int h = 0; h < heads; ++h)
                v += perLayerHead[l * size_t(heads) + size_t(h)] / double(heads);
        } else {
            v = perLayerHead[l * size_t(heads) + size_t(std::clamp(head, 0, heads - 1))];
        }
        out.push_back(v);
    }
    return out;
}

// The exact rows of ExactRows ([heads, rows, cols]) of head `head`, or with kHeadMean the mean of the heads:
// rows × cols values.
std::vector<float> exactRowOfHead(const ExactRows &rows, int head)
{
    const size_t n = size_t(rows.rows) * size_t(rows.cols), heads = size_t(std::max(1, rows.heads));
    if (heads == 1 || rows.data.size() != heads * n)
        return rows.data;
    if (head != kHeadMean)
        return std::vector<float>(rows.data.begin() + ptrdiff_t(size_t(std::clamp(head, 0, int(heads) - 1)) * n),
                                  rows.data.begin() + ptrdiff_t((size_t(std::clamp(head, 0, int(heads) - 1)) + 1) * n));
    std::vector<float> mean(n, 0.f);
    for (size_t h = 0; h < heads; ++h)
        for (size_t j = 0; j < n; ++j)
            mean[j] += rows.data[h * n + j];
    for (float &v : mean)
        v /= float(heads);
    return mean;
}

const AttentionMap *mapFor(const AnalysisResult &r, int layer)
{
    const AttentionMap *pooled = nullptr;
    for (const auto &m : r.maps) {
        if (m.layer != layer || m.head != 0)
            continue;
        if (m.pool == 1)
            return &m;
        if (m.pooling == AttentionMap::Pooling::Max && (!pooled || m.pool < pooled->pool))
            pooled = &m;
    }
    return pooled;
}

} // namespace

const MainWindow::ViewEntry MainWindow::kViews[] = {
    {"attention-map", QT_TRANSLATE_NOOP("entroscope::MainWindow", "Attention map"), &MainWindow::updateMapView},
    {"entropy", QT_TRANSLATE_NOOP("entroscope::MainWindow", "Entropy"), &MainWindow::updateEntropyView},
    // Fed point by point by the controller's sweep (sweepPoint), not from the shown result.
    {"dilution", QT_TRANSLATE_NOOP("entroscope::MainWindow", "Score dilution"), nullptr},
    {"distance-profile", QT_TRANSLATE_NOOP("entroscope::MainWindow", "Distance profile"), &MainWindow::updateDistanceView},
    {"layers", QT_TRANSLATE_NOOP("entroscope::MainWindow", "Layers"), &MainWindow::updateLayersView},
    {"compare", QT_TRANSLATE_NOOP("entroscope::MainWindow", "Compare"), &MainWindow::updateCompareView},
    {"token", QT_TRANSLATE_NOOP("entroscope::MainWindow", "Token"), &MainWindow::updateTokenView},
    {"heads", QT_TRANSLATE_NOOP("entroscope::MainWindow", "Heads"), &MainWindow::updateHeadsView},
};

/// What a view's update takes from the shown result: every method's result seen through the selected head
/// (one map per layer), the layer, T, the head count and selection, and the head's title suffix.
struct MainWindow::ViewInput
{
    const ViewResult &res;
    std::vector<std::shared_ptr<const AnalysisResult>> proj; ///< per method, projected onto the head
    const AnalysisResult &primary;                           ///< *proj[0]
    int layer;
    int64_t T;
    int heads;
    int head;
    QString headText;
};

unsigned MainWindow::resultViews()
{
    static_assert(std::size(kViews) == ViewCount, "one kViews entry per MainWindow::View");
    unsigned mask = 0;
    for (int i = 0; i < ViewCount; ++i)
        if (kViews[i].update)
            mask |= 1u << unsigned(i);
    return mask;
}

QString MainWindow::viewTitle(int index)
{
    return index >= 0 && index < ViewCount ? tr(kViews[index].title) : QString();
}

QString MainWindow::viewName(int index)
{
    return index >= 0 && index < ViewCount ? QString::fromLatin1(kViews[index].name) : QString();
}

PlotView *MainWindow::view(int index) const
{
    return qobject_cast<PlotView *>(m_tabs->widget(index));
}

void MainWindow::applyExactRegion() const
{
    const auto res = m_controller->lastResult();
    if (!m_regionRows || !res || res->results.empty() || m_regionRows->source != res->results[0]) {
        m_regionRows.reset(); // rows of an analysis no longer shown: let its layer inputs go
        return;
    }
    const AttentionMap &shown = m_mapView->map();
    if (shown.empty() || shown.pool <= 1 || shown.layer != m_regionRows->layer)
        return;
    const ExactRows &r = *m_regionRows;
    m_mapView->setExactRegion({r.row0, r.rows, r.col0, r.cols}, exactRowOfHead(r, head()));
}

void MainWindow::updateView(int index) const
{
    const unsigned bit = 1u << unsigned(index);
    if (index < 0 || index >= ViewCount || !(m_dirtyViews & bit))
        return;
    m_dirtyViews &= ~bit;
    const auto res = m_controller->lastResult();
    if (!res || res->results.empty() || !res->results[0] || !kViews[index].update)
        return;
    // Every view but the heatmap sees one head (or the mean of the heads) as a one-map-per-layer result.
    const int selHead = head();
    const int heads = m_controller->headCount();
    std::vector<std::shared_ptr<const AnalysisResult>> proj;
    for (const auto &r : res->results)
        proj.push_back(projectHead(r, selHead));
    const AnalysisResult &p = *proj[0];
    const ViewInput in{*res,
                       std::move(proj),
                       p,
                       std::clamp(m_state.layer, 0, int(p.layers.size()) - 1),
                       res->trainLength,
                       heads,
                       selHead,
                       heads <= 1                ? QString()
                       : selHead == kHeadMean ? tr(" · mean of %1 heads").arg(heads)
                                              : tr(" · head %1").arg(selHead)};
    (this->*kViews[index].update)(in);
}

void MainWindow::updateHeadsView(const ViewInput &in) const
{
    m_heatmap->setResult(*in.res.results[0], in.res.labels.value(0));
    m_heatmap->setSelected(in.layer, in.heads <= 1 ? 0 : in.head);
}

void MainWindow::updateMapView(const ViewInput &in) const
{
    if (const AttentionMap *m = mapFor(in.primary, in.layer)) {
        m_mapView->setTitlePrefix(in.res.labels.value(0) + in.headText);
        m_mapView->setMap(*m, in.primary.tokenTexts, in.T);
        applyExactRegion();
    } else {
        m_mapView->clear();
    }
}

void MainWindow::updateEntropyView(const ViewInput &in) const
{
    // entropyAtT is per (layer, head), heads inner: the selected head's, or the mean of the layer's.
    std::optional<double> hT;
    const size_t h = size_t(std::max(in.heads, 1));
    if (!in.res.entropyAtT.empty() && (size_t(in.layer) + 1) * h <= in.res.entropyAtT[0].size()) {
        const auto &et = in.res.entropyAtT[0];
        if (in.head == kHeadMean) {
            double sum = 0;
            for (size_t k = 0; k < h; ++k)
                sum += et[size_t(in.layer) * h + k];
            hT = sum / double(h);
        } else {
            hT = et[size_t(in.layer) * h + size_t(std::max(in.head, 0))];
        }
    }
    m_entropyView->setData(in.primary, in.layer, hT);
    std::vector<EntropyView::Compared> compared;
    for (size_t i = 1; i < in.proj.size(); ++i)
        if (in.proj[i])
            compared.push_back({in.res.labels.value(int(i)), in.proj[i]->layers});
    m_entropyView->setCompared(std::move(compared));
}

void MainWindow::updateDistanceView(const ViewInput &in) const
{
    std::vector<DistanceProfileView::Profile> profiles;
    for (size_t i = 0; i < in.proj.size(); ++i)
        if (in.proj[i] && size_t(in.layer) < in.proj[i]->layers.size())
            profiles.emplace_back(in.res.labels.value(int(i)), in.proj[i]->layers[size_t(in.layer)].distanceProfile);
    m_distanceView->setProfiles(profiles);
    m_distanceView->setSubtitle(tr("layer %1%2 · n = %3").arg(in.layer).arg(in.headText).arg(in.primary.length));
}

void MainWindow::updateLayersView(const ViewInput &in) const
{
    // One thumbnail per (layer, head): a row per layer, a column per head (GAU-α: one per layer).
    m_overview->setResult(*in.res.results[0]);
    m_overview->setSelected(in.layer, in.heads <= 1 ? -1 : in.head);
}

void MainWindow::updateTokenView(const ViewInput &in) const
{
    const AnalysisResult &p = in.primary;
    const AttentionMap *m = mapFor(p, in.layer);
    const int64_t query = m_state.inspectQuery;
    if (!m || query < 0 || query >= p.length) {
        m_tokenView->clear();
        return;
    }
    const QString title = in.res.labels.value(0) + in.headText;
    // A pooled map's row is a cell row: the exact row is recomputed from the analysis's layer inputs (one
    // layer, one query) and replaces it when it arrives. The rows hold every head of the layer: the selected
    // head's, or their mean, is shown.
    const auto &exact = m_controller->lastExactRows();
    const auto &source = in.res.results[0];
    if (m->pool > 1 && exact && exact->source == source && exact->layer == in.layer && exact->row0 == query
        && exact->rows == 1) {
        m_tokenView->setExactRow(exactRowOfHead(*exact, in.head), in.layer, query, p.tokenTexts, in.T, title);
        return;
    }
    m_tokenView->setRow(*m, query, p.tokenTexts, in.T, title);
    const auto key = std::make_tuple(static_cast<const void *>(source.get()), in.layer, query);
    if (m->pool > 1 && source->layerInputs && key != m_exactAsked) {
        m_exactAsked = key;
        m_controller->requestExactRows(in.layer, query, 1);
    }
}

void MainWindow::updateCompareView(const ViewInput &in) const
{
    if (in.res.results.size() < 2) {
        m_compareView->clear();
        return;
    }
    std::vector<CompareView::LabelledMap> maps;
    for (size_t i = 0; i < in.proj.size(); ++i)
        if (const AttentionMap *m = in.proj[i] ? mapFor(*in.proj[i], in.layer) : nullptr)
            maps.emplace_back(in.res.labels.value(int(i)) + in.headText, *m);
    m_compareView->setMaps(std::move(maps), in.primary.tokenTexts, in.T);
    // The JS divergence comes from kept layer inputs (GAU-α at any n, the other families above the full-map
    // length while they fit) or from the full maps. Per (layer, head) → the selected head's per layer, or the
    // mean of the layer's heads.
    const int64_t n = in.primary.length;
    m_compareView->setJsNote(m_controller->jsAvailableAt(n)
                                 ? QString()
                                 : tr("%1 models: not computed at n = %2 (the layer inputs would exceed %3)")
                                       .arg(m_controller->modelFamily())
                                       .arg(n)
                                       .arg(locale().formattedDataSize(m_controller->layerInputsMaxBytes())));
    m_compareView->setJsDivergence(jsOfHead(in.res.jsPerLayer, in.heads, in.head),
                                   in.res.labels.value(0) + tr(" vs ") + in.res.labels.value(1) + in.headText);
}

void MainWindow::updateAllViews() const
{
    for (int i = 0; i < m_tabs->count(); ++i)
        updateView(i);
}

} // namespace entroscope
