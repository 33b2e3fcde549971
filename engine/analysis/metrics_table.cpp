// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "analysis/metrics_table.h"

#include "errors.h"
#include "text/inputs.h"

namespace entroscope {

namespace {
template<double LayerMetrics::*Field>
std::optional<double> get(const LayerMetrics &m)
{
    return m.*Field;
}
template<double LayerMetrics::*Field>
void put(LayerMetrics &m, std::optional<double> v)
{
    m.*Field = v.value_or(0.0);
}
} // namespace

const std::vector<ScalarMetricInfo> &scalarMetrics()
{
    static const std::vector<ScalarMetricInfo> table = {
        {"entropy_mean", "mean over queries of the attention entropy H_i = −Σ_j A_ij ln A_ij", "nats",
         get<&LayerMetrics::entropyMean>, put<&LayerMetrics::entropyMean>},
        {"normalized_entropy_mean", "mean over queries of H_i / ln(n_i)", "", get<&LayerMetrics::normalizedEntropyMean>,
         put<&LayerMetrics::normalizedEntropyMean>},
        {"max_weight_mean", "mean over queries of the largest weight", "mass", get<&LayerMetrics::maxWeightMean>,
         put<&LayerMetrics::maxWeightMean>},
        {"k90_mean", "mean over queries of the fewest keys holding 90 % of the mass", "keys", get<&LayerMetrics::k90Mean>,
         put<&LayerMetrics::k90Mean>},
        {"sink_mass_mean", "mean over queries of the mass on the first token", "mass", get<&LayerMetrics::sinkMassMean>,
         put<&LayerMetrics::sinkMassMean>},
        {"retained_mass_mean", "mean over the first T queries of their mass on the first T keys (n >= T only)", "mass",
         [](const LayerMetrics &m) { return m.retainedMassMean; },
         [](LayerMetrics &m, std::optional<double> v) { m.retainedMassMean = v; }},
        {"local_mass_mean", "mean over queries of the mass on keys with |i − j| < T", "mass",
         get<&LayerMetrics::localMassMean>, put<&LayerMetrics::localMassMean>},
    };
    return table;
}

std::vector<LayerMetricsMean> meanOverDocuments(const std::vector<std::vector<LayerMetrics>> &runs)
{
    std::vector<LayerMetricsMean> out;
    if (runs.empty())
        return out;
    const size_t layers = runs[0].size();
    for (const auto &r : runs)
        if (r.size() != layers)
            throw Error("internal error: runs with different layer counts");
    for (size_t l = 0; l < layers; ++l) {
        LayerMetricsMean m;
        m.mean.layer = runs[0][l].layer;
        m.mean.head = runs[0][l].head;
        for (const auto &metric : scalarMetrics()) {
            std::vector<double> values;
            for (const auto &r : runs)
                if (auto v = metric.value(r[l]))
                    values.push_back(*v);
            if (values.size() != runs.size()) { // undefined in some document: undefined in the mean
                metric.set(m.mean, std::nullopt);
                m.standardErrors.emplace_back(metric.name, std::nullopt);
                continue;
            }
            const MeanSe ms = meanAndStandardError(values);
            metric.set(m.mean, ms.mean);
            m.standardErrors.emplace_back(metric.name, ms.se);
        }
        const size_t bins = runs[0][l].distanceProfile.size();
        m.mean.distanceProfile.assign(bins, 0.0);
        for (const auto &r : runs)
            for (size_t b = 0; b < bins && b < r[l].distanceProfile.size(); ++b)
                m.mean.distanceProfile[b] += r[l].distanceProfile[b] / static_cast<double>(runs.size());
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace entroscope
