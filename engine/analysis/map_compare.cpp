// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "analysis/map_compare.h"

#include "analysis/row_kernels.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <utility>

namespace entroscope {

namespace {

std::map<std::pair<int, int>, const AttentionMap *> fullMaps(const AnalysisResult &r)
{
    std::map<std::pair<int, int>, const AttentionMap *> out;
    for (const AttentionMap &m : r.maps)
        if (m.pool == 1 && m.rows > 0 && m.rows == m.cols && m.data.size() == size_t(m.rows) * size_t(m.cols))
            out[{m.layer, m.head}] = &m;
    return out;
}

float inverseSum(const float *row, int64_t n)
{
    const double s = std::accumulate(row, row + n, 0.0);
    return s > 0 ? float(1.0 / s) : 0.f;
}

} // namespace

std::vector<double> jsDivergenceFromFullMaps(const AnalysisResult &a, const AnalysisResult &b)
{
    const auto ma = fullMaps(a), mb = fullMaps(b);
    if (ma.empty() || ma.size() != mb.size())
        return {};
    const auto &k = kernels::kernels();
    std::vector<double> out;
    out.reserve(ma.size());
    for (const auto &[key, x] : ma) { // ordered by (layer, head): layer-major
        const auto it = mb.find(key);
        if (it == mb.end() || it->second->rows != x->rows)
            return {};
        const AttentionMap *y = it->second;
        const int64_t n = x->cols;
        double sum = 0;
        for (int64_t r = 0; r < x->rows; ++r) {
            const float *ra = x->data.data() + r * n, *rb = y->data.data() + r * n;
            const float sa = inverseSum(ra, n), sb = inverseSum(rb, n);
            if (sa > 0 && sb > 0)
                sum += k.jsRow(ra, sa, rb, sb, n);
        }
        out.push_back(sum / double(x->rows));
    }
    return out;
}

} // namespace entroscope
