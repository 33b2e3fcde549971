// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// One instruction-set build of the row kernels (row_kernels.h). engine/CMakeLists.txt compiles this file
// once per x86-64 level with ES_KERNEL_NS naming the namespace and -march choosing the vector width. The
// loops are written to vectorise (no calls, no branches in the hot loops, `omp simd` reductions); exp and
// log are polynomial approximations good to 1–2 ulp in float32, as precise as the float32 rows they act on.

#include "analysis/row_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#ifndef ES_KERNEL_NS
#error "ES_KERNEL_NS must name the instruction-set namespace"
#endif
#ifndef ES_KERNEL_ISA
#error "ES_KERNEL_ISA must be the instruction-set name"
#endif

namespace entroscope::kernels::ES_KERNEL_NS {
namespace {

// Sums run in float lanes over chunks of this many values, then in double: float32 rows, double-exact
// totals for any n.
constexpr int64_t kChunk = 1024;

// Ternaries, not std::max/min: GCC 12 vectorises an `omp simd` reduction over a value, not over the
// reference std::max returns.
inline float maxf(float a, float b)
{
    return a > b ? a : b;
}

inline float asFloat(int32_t bits)
{
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

inline int32_t asBits(float f)
{
    int32_t b;
    std::memcpy(&b, &f, sizeof b);
    return b;
}

/// e^x for x <= 0; exactly 0 below −87 (and for −inf). Range reduction x = k ln2 + r, |r| <= ln2/2, with
/// ln2 split in two parts, and a degree-5 minimax polynomial for e^r (the classic Cephes coefficients).
inline float expNonPositive(float x)
{
    const bool under = x < -87.0f;
    const float xc = under ? -87.0f : x;
    const int32_t k = static_cast<int32_t>(xc * 1.44269504088896341f - 0.5f); // round to nearest for xc <= 0
    const float kf = static_cast<float>(k);
    float r = xc - kf * 0.693359375f;
    r = r - kf * -2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    // 2^k (k >= -126: a normal power of two), or 0 below the range. Selecting the bits, not the result,
    // keeps the loop free of control flow for the vectoriser.
    const int32_t scaleBits = under ? 0 : (k + 127) << 23;
    return y * asFloat(scaleBits);
}

/// ln x for normal x > 0 (other inputs give a finite value that callers select away). x = m·2^e with
/// m in [√½, √2), ln m by a degree-9 polynomial in m − 1 (Cephes coefficients), ln 2 in two parts.
inline float logPositive(float x)
{
    const int32_t bits = asBits(x);
    int32_t e = ((bits >> 23) & 0xff) - 126;                 // x = m·2^e, m in [0.5, 1)
    float m = asFloat((bits & 0x007fffff) | 0x3f000000);
    const bool low = m < 0.707106781186547524f;
    e -= low ? 1 : 0;
    const float f = low ? m + m - 1.0f : m - 1.0f;
    const float ef = static_cast<float>(e);
    const float z = f * f;
    float y = 7.0376836292e-2f;
    y = y * f - 1.1514610310e-1f;
    y = y * f + 1.1676998740e-1f;
    y = y * f - 1.2420140846e-1f;
    y = y * f + 1.4249322787e-1f;
    y = y * f - 1.6668057665e-1f;
    y = y * f + 2.0000714765e-1f;
    y = y * f - 2.4999993993e-1f;
    y = y * f + 3.3333331174e-1f;
    y = y * f * z;
    y += ef * -2.12194440e-4f;
    y += -0.5f * z;
    return f + y + ef * 0.693359375f;
}

/// Count and mass of the weights v = p[j]·scale with v >= t (one vectorised pass over the row). Four
/// quarters of each chunk go through four accumulators: one would make the pass wait on the latency of
/// its additions instead of running at the vector units' throughput. Scaled = false skips the product
/// for rows that are weights already (scale 1).
template <bool Scaled>
void massAtLeast(const float *p, int64_t n, float scale, float t, double &mass, int64_t &count)
{
    mass = 0;
    count = 0;
    auto term = [scale, t](float x, float &m, int32_t &c) {
        const float v = Scaled ? x * scale : x;
        const bool ge = v >= t;
        m += ge ? v : 0.0f;
        c += ge ? 1 : 0;
    };
    for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
        const int64_t len = std::min(n - c0, kChunk), q = len / 4;
        const float *x = p + c0;
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        int32_t k0 = 0, k1 = 0, k2 = 0, k3 = 0;
#pragma omp simd reduction(+ : m0, m1, m2, m3, k0, k1, k2, k3)
        for (int64_t j = 0; j < q; ++j) {
            term(x[j], m0, k0);
            term(x[j + q], m1, k1);
            term(x[j + 2 * q], m2, k2);
            term(x[j + 3 * q], m3, k3);
        }
        for (int64_t j = 4 * q; j < len; ++j)
            term(x[j], m0, k0);
        mass += static_cast<double>(m0) + m1 + m2 + m3;
        count += int64_t{k0} + k1 + k2 + k3;
    }
}

/// k90 of one row: the fewest weights whose largest values sum to >= need. A search over the float bit
/// patterns of a threshold t (monotone in t for t > 0) keeps M(hi) < need <= M(lo), where M(t) is the mass
/// of the weights >= t, each step one vectorised pass over the row (in L1 by then) that halves the
/// bracket (interpolating M in the bit pattern took more passes on bench_kernels' rows, whose mass sits in
/// a few weights). The search stops as soon as the weights in [lo, hi) settle the count: with r =
/// need − M(hi) still to cover by values in [lo, hi), at least ceil(r/hi) and at most ceil(r/lo) of them
/// are needed; equal bounds are the answer. Ties end at a one-value interval, where the count is exact
/// too. n when never reached.
template <bool Scaled>
int64_t k90Of(const float *p, int64_t n, float scale, float maxWeight, double totalMass, int64_t positives, double need)
{
    if (!(maxWeight > 0.0f) || totalMass < need)
        return n;
    int32_t lo = 1;                     // smallest positive float: M(lo) = the whole row
    int32_t hi = asBits(maxWeight) + 1; // above the largest weight: M(hi) = 0
    double massHi = 0;
    int64_t countLo = positives, countHi = 0;
    auto probe = [&](int32_t t) {
        double m;
        int64_t c;
        massAtLeast<Scaled>(p, n, scale, asFloat(t), m, c);
        if (m >= need) {
            lo = t;
            countLo = c;
        } else {
            hi = t;
            massHi = m;
            countHi = c;
        }
    };
    // Weights below 0.05/n hold at most 5 % of a unit row together: start there, which skips the ~100
    // octaves below in one pass.
    const int32_t floor = asBits(0.05f / static_cast<float>(n));
    if (floor > lo && floor < hi)
        probe(floor);
    for (;;) {
        const int64_t inside = countLo - countHi;
        const double rest = need - massHi;
        if (inside <= 1)
            return std::min(n, countHi + 1);
        const double loV = asFloat(lo), hiV = asFloat(hi);
        const int64_t fewest = static_cast<int64_t>(std::ceil(rest / hiV));
        const int64_t most = std::min<int64_t>(inside, static_cast<int64_t>(std::ceil(rest / loV)));
        if (fewest >= most || hi - lo <= 1)
            return std::min(n, countHi + std::max<int64_t>(most, 1));
        probe(lo + (hi - lo) / 2);
    }
}

void softmaxRowsImpl(float *data, int64_t rows, int64_t n, double *entropy)
{
    for (int64_t r = 0; r < rows; ++r) {
        float *p = data + r * n;
        float mx = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : mx)
        for (int64_t j = 0; j < n; ++j)
            mx = maxf(mx, p[j]);
        if (!(mx > -std::numeric_limits<float>::infinity())) { // no visible key: nothing to normalise
            std::fill(p, p + n, 0.0f);
            if (entropy)
                entropy[r] = 0;
            continue;
        }
        // Z = Σ e_j and W = Σ e_j (x_j − max) with e_j = exp(x_j − max): the row's entropy is
        // −Σ a ln a = ln Z − W / Z, with no logarithm per weight.
        double total = 0, weighted = 0;
        for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
            const int64_t c1 = std::min(n, c0 + kChunk);
            float z = 0, w = 0;
#pragma omp simd reduction(+ : z, w)
            for (int64_t j = c0; j < c1; ++j) {
                const float x = p[j] - mx;
                const float e = expNonPositive(x);
                p[j] = e;
                z += e;
                w += e > 0.0f ? e * x : 0.0f; // e = 0 for −inf (invisible) keys, whose x is −inf
            }
            total += z;
            weighted += w;
        }
        const float inv = static_cast<float>(1.0 / total);
#pragma omp simd
        for (int64_t j = 0; j < n; ++j)
            p[j] *= inv;
        if (entropy)
            entropy[r] = std::max(0.0, std::log(total) - weighted / total);
    }
}

/// Mass, Σ v ln v (when WithEntropy), max and the count of positive weights v = p[j]·scale over [j0, j1).
struct Segment
{
    double mass = 0;
    double vLogV = 0;
    float max = 0;
    int64_t positives = 0;
};

template <bool WithEntropy>
void segmentStats(const float *p, int64_t j0, int64_t j1, float scale, Segment &s)
{
    for (int64_t c0 = j0; c0 < j1; c0 += kChunk) {
        const int64_t c1 = std::min(j1, c0 + kChunk);
        float mass = 0, vlogv = 0, mx = s.max;
        int32_t pos = 0;
#pragma omp simd reduction(+ : mass, vlogv, pos) reduction(max : mx)
        for (int64_t j = c0; j < c1; ++j) {
            const float v = p[j] * scale;
            const bool positive = v > 0.0f;
            mass += v;
            if (WithEntropy)
                vlogv += positive ? v * logPositive(v) : 0.0f;
            mx = maxf(mx, v);
            pos += positive ? 1 : 0;
        }
        s.mass += mass;
        s.vLogV += vlogv;
        s.max = mx;
        s.positives += pos;
    }
}

/// Σ a[j]·scale over n values: float sums of kChunk-value chunks, added in double in order (the retained mass
/// and the row sums jsOfRows normalises with).
double chunkedSum(const float *a, int64_t n, float scale)
{
    double total = 0;
    for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
        const int64_t c1 = std::min(n, c0 + kChunk);
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t j = c0; j < c1; ++j)
            s += a[j] * scale;
        total += s;
    }
    return total;
}

void rowMetricsImpl(const float *p, int64_t n, int64_t i, float scale, int64_t retainedUpTo, double *profile,
                    bool withEntropy, RowMetrics &out)
{
    out = RowMetrics{};
    out.k90 = n;
    if (n < 1)
        return;
    // Distance bins are contiguous key ranges on each side of the diagonal: one pass over the row, segment
    // by segment, gives every metric but k90.
    Segment all;
    auto addSegment = [&](int64_t j0, int64_t j1, int bin) {
        j0 = std::max<int64_t>(j0, 0);
        j1 = std::min<int64_t>(j1, n);
        if (j0 >= j1)
            return;
        Segment s;
        s.max = all.max;
        if (withEntropy)
            segmentStats<true>(p, j0, j1, scale, s);
        else
            segmentStats<false>(p, j0, j1, scale, s);
        profile[bin] += s.mass;
        all.mass += s.mass;
        all.vLogV += s.vLogV;
        all.max = s.max;
        all.positives += s.positives;
    };
    addSegment(i, i + 1, 0);
    for (int bin = 1; (int64_t{1} << (bin - 1)) <= n - 1; ++bin) {
        const int64_t lo = int64_t{1} << (bin - 1), hi = (int64_t{1} << bin) - 1;
        addSegment(i - hi, i - lo + 1, bin);
        addSegment(i + lo, i + hi + 1, bin);
    }
    out.entropy = all.vLogV == 0.0 ? 0.0 : -all.vLogV;
    out.maxWeight = all.max;
    out.sink = p[0] * scale;
    if (retainedUpTo > 0) {
        out.retained = chunkedSum(p, std::min(retainedUpTo, n), scale);
    }
    // An all-zero row, or one that never reaches 0.9, has k90 = n (METHODS.md §3).
    out.k90 = scale == 1.0f ? k90Of<false>(p, n, scale, all.max, all.mass, all.positives, 0.9 - 1e-6)
                            : k90Of<true>(p, n, scale, all.max, all.mass, all.positives, 0.9 - 1e-6);
}

void poolRowsImpl(const float *rows, int64_t count, int64_t n, int64_t pool, float *cellMax, float *cellSum,
                  float *colScratch)
{
    float *cmax = colScratch;
    float *csum = colScratch + n;
    std::memcpy(cmax, rows, sizeof(float) * static_cast<size_t>(n));
    std::memcpy(csum, rows, sizeof(float) * static_cast<size_t>(n));
    for (int64_t r = 1; r < count; ++r) {
        const float *p = rows + r * n;
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) {
            cmax[j] = maxf(cmax[j], p[j]);
            csum[j] += p[j];
        }
    }
    const int64_t cells = (n + pool - 1) / pool;
    for (int64_t c = 0; c < cells; ++c) {
        const int64_t j0 = c * pool, j1 = std::min(n, j0 + pool);
        float m = cellMax[c], s = 0;
        for (int64_t jj = j0; jj < j1; ++jj) {
            m = std::max(m, cmax[jj]);
            s += csum[jj];
        }
        cellMax[c] = m;
        cellSum[c] += s;
    }
}

double jsRowImpl(const float *a, float scaleA, const float *b, float scaleB, int64_t n)
{
    // ½ Σ [x ln(x/m) + y ln(y/m)], m = (x + y)/2: the log of a ratio in (0, 2] keeps every term accurate
    // when x ≈ y (a difference of two logs of small weights would cancel to float32's noise).
    double total = 0;
    for (int64_t c0 = 0; c0 < n; c0 += kChunk) {
        const int64_t c1 = std::min(n, c0 + kChunk);
        float s = 0;
#pragma omp simd reduction(+ : s)
        for (int64_t j = c0; j < c1; ++j) {
            const float x = a[j] * scaleA, y = b[j] * scaleB;
            const float m = 0.5f * (x + y);
            const float safeM = m > 0.0f ? m : 1.0f;
            const float tx = x > 0.0f ? x * logPositive(x / safeM) : 0.0f;
            const float ty = y > 0.0f ? y * logPositive(y / safeM) : 0.0f;
            s += tx + ty;
        }
        total += s;
    }
    return std::max(0.0, 0.5 * total);
}

double rowSumImpl(const float *a, int64_t n)
{
    return chunkedSum(a, n, 1.0f);
}

} // namespace

extern const KernelTable table;
const KernelTable table{ES_KERNEL_ISA, softmaxRowsImpl, rowMetricsImpl, poolRowsImpl, jsRowImpl, rowSumImpl};

} // namespace entroscope::kernels::ES_KERNEL_NS
