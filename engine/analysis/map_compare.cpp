// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "analysis/map_compare.h"

#include "analysis/row_kernels.h"

#include <algorithm>
#include <map>
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

} // namespace

double jsOfRows(const float *a, const float *b, int64_t n)
{
    // METHODS.md §3: a row whose weights are all 0 counts as the zero vector (it is not renormalised). Its scale
    // 0 keeps it so: against a distribution Q, M = Q/2 and the JS is ½ KL(Q‖Q/2) = ½ ln 2; two zero rows give 0.
    const auto &k = kernels::kernels();
    const double sa = k.rowSum(a, n), sb = k.rowSum(b, n);
    return k.jsRow(a, sa > 0 ? float(1.0 / sa) : 0.0f, b, sb > 0 ? float(1.0 / sb) : 0.0f, n);
}

std::vector<double> jsDivergenceFromFullMaps(const AnalysisResult &a, const AnalysisResult &b)
{
    const auto ma = fullMaps(a), mb = fullMaps(b);
    if (ma.empty() || ma.size() != mb.size())
        return {};
    std::vector<double> out;
    out.reserve(ma.size());
    for (const auto &[key, x] : ma) { // ordered by (layer, head): layer-major
        const auto it = mb.find(key);
        if (it == mb.end() || it->second->rows != x->rows)
            return {};
        const AttentionMap *y = it->second;
        const int64_t n = x->cols;
        double sum = 0;
        for (int64_t r = 0; r < x->rows; ++r)
            sum += jsOfRows(x->data.data() + r * n, y->data.data() + r * n, n);
        out.push_back(sum / double(x->rows));
    }
    return out;
}

} // namespace entroscope
