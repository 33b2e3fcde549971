// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Metrics on hand-made attention matrices with known answers, and streaming == unblocked.

#include "analysis/analysis.h"
#include "analysis/row_kernels.h"
#include "analysis/map_compare.h"
#include "test_util.h"

#include <torch/torch.h>

#include <cmath>

using namespace entroscope;

namespace {

std::vector<float> uniform(int64_t n)
{
    return std::vector<float>(static_cast<size_t>(n * n), 1.0f / static_cast<float>(n));
}

std::vector<float> identity(int64_t n)
{
    std::vector<float> a(static_cast<size_t>(n * n), 0.0f);
    for (int64_t i = 0; i < n; ++i)
        a[static_cast<size_t>(i * n + i)] = 1.0f;
    return a;
}

} // namespace

class TestAnalysis : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void uniformRows()
    {
        const int64_t n = 16;
        const auto m = metricsOfMatrix(uniform(n), n, 8, false);
        QVERIFY(std::fabs(m.entropyMean - std::log(16.0)) < 1e-5);
        QVERIFY(std::fabs(m.normalizedEntropyMean - 1.0) < 1e-5);
        QVERIFY(std::fabs(m.maxWeightMean - 1.0 / 16) < 1e-7);
        QCOMPARE(m.k90Mean, 15.0); // 15 keys of 1/16 = 0.9375 >= 0.9; 14 = 0.875 < 0.9
        QVERIFY(std::fabs(m.sinkMassMean - 1.0 / 16) < 1e-7);
        QVERIFY(m.retainedMassMean.has_value());
        QVERIFY(std::fabs(*m.retainedMassMean - 0.5) < 1e-6); // 8 of 16 keys
        QCOMPARE(m.distanceProfile.size(), size_t{5});          // [0] [1] [2,3] [4,7] [8,15]
        double total = 0;
        for (double v : m.distanceProfile)
            total += v;
        QVERIFY(std::fabs(total - 1.0) < 1e-6);
        QVERIFY(std::fabs(m.distanceProfile[0] - 1.0 / 16) < 1e-7);
    }

    void oneHotRows()
    {
        const int64_t n = 10;
        const auto m = metricsOfMatrix(identity(n), n, 4, false);
        QCOMPARE(m.entropyMean, 0.0);
        QCOMPARE(m.maxWeightMean, 1.0);
        QCOMPARE(m.k90Mean, 1.0);
        QVERIFY(std::fabs(m.sinkMassMean - 0.1) < 1e-12); // only row 0 attends to key 0
        QCOMPARE(*m.retainedMassMean, 1.0);
        QCOMPARE(m.distanceProfile[0], 1.0);
    }

    void bandRows()
    {
        // Each row spreads evenly over |i-j| <= 1: interior rows 3 keys, edge rows 2.
        const int64_t n = 8;
        std::vector<float> a(static_cast<size_t>(n * n), 0.0f);
        for (int64_t i = 0; i < n; ++i) {
            const int64_t lo = std::max<int64_t>(0, i - 1), hi = std::min<int64_t>(n - 1, i + 1);
            for (int64_t j = lo; j <= hi; ++j)
                a[static_cast<size_t>(i * n + j)] = 1.0f / static_cast<float>(hi - lo + 1);
        }
        const auto m = metricsOfMatrix(a, n, 8, false);
        const double expected = (2 * std::log(2.0) + 6 * std::log(3.0)) / 8;
        QVERIFY(std::fabs(m.entropyMean - expected) < 1e-6);
        QCOMPARE(m.k90Mean, (2 * 2 + 6 * 3) / 8.0);
        QVERIFY(std::fabs(m.distanceProfile[0] - (2 * 0.5 + 6 / 3.0) / 8) < 1e-6);
        QVERIFY(std::fabs(m.distanceProfile[1] - (2 * 0.5 + 6 * 2 / 3.0) / 8) < 1e-6);
        for (size_t b = 2; b < m.distanceProfile.size(); ++b)
            QCOMPARE(m.distanceProfile[b], 0.0);
        QVERIFY(std::fabs(*m.retainedMassMean - 1.0) < 1e-6); // n == T
    }

    void retainedOnlyFromTrainLength()
    {
        QVERIFY(!metricsOfMatrix(uniform(4), 4, 8, false).retainedMassMean.has_value());
    }

    void squaredReluRows()
    {
        // Raw rows are normalised; an all-zero row counts with entropy 0, max 0, k90 = n, sink 0, retained 0.
        const int64_t n = 4;
        std::vector<float> a = {2, 2, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 5};
        const auto m = metricsOfMatrix(a, n, 2, true);
        QVERIFY(std::fabs(m.entropy[0] - std::log(2.0)) < 1e-6);
        QCOMPARE(m.entropy[1], 0.0);
        QVERIFY(std::fabs(m.entropy[2] - std::log(4.0)) < 1e-6);
        QCOMPARE(m.entropy[3], 0.0);
        QVERIFY(std::fabs(m.maxWeightMean - (0.5 + 0 + 0.25 + 1) / 4) < 1e-6);
        QCOMPARE(m.k90Mean, (2 + 4 + 4 + 1) / 4.0);
        QVERIFY(std::fabs(m.sinkMassMean - (0.5 + 0 + 0.25 + 0) / 4) < 1e-6);
        QVERIFY(std::fabs(*m.retainedMassMean - (1.0 + 0.0) / 2) < 1e-6);
    }

    void singleToken()
    {
        const auto m = metricsOfMatrix({1.0f}, 1, 1, false);
        QCOMPARE(m.distanceProfile.size(), size_t{1});
        QCOMPARE(m.normalizedEntropyMean, 0.0);
        QCOMPARE(m.k90Mean, 1.0);
    }

    void binCount_data()
    {
        QTest::addColumn<qint64>("n");
        QTest::addColumn<int>("bins");
        QTest::newRow("1") << qint64(1) << 1;
        QTest::newRow("2") << qint64(2) << 2;
        QTest::newRow("3") << qint64(3) << 3;
        QTest::newRow("4") << qint64(4) << 3;
        QTest::newRow("5") << qint64(5) << 4;
        QTest::newRow("64") << qint64(64) << 7;
        QTest::newRow("65") << qint64(65) << 8;
        QTest::newRow("4096") << qint64(4096) << 13;
    }
    void binCount()
    {
        QFETCH(qint64, n);
        QFETCH(int, bins);
        QCOMPARE(distanceBinCount(n), bins);
    }

    void streamingEqualsUnblocked()
    {
        c10::InferenceMode guard;
        torch::manual_seed(3);
        const int64_t n = 53, T = 16;
        auto a = torch::softmax(torch::randn({n, n}) * 3, 1).contiguous();
        LayerMetricsAccumulator whole(0, n, T, false), blocked(0, n, T, false);
        whole.add(a, 0);
        for (int64_t r0 = 0; r0 < n; r0 += 7)
            blocked.add(a.narrow(0, r0, std::min<int64_t>(7, n - r0)).contiguous(), r0);
        const auto x = whole.finish(), y = blocked.finish();
        QVERIFY(std::fabs(x.entropyMean - y.entropyMean) < 1e-12);
        QVERIFY(std::fabs(*x.retainedMassMean - *y.retainedMassMean) < 1e-12);
        QVERIFY(std::fabs(x.k90Mean - y.k90Mean) < 1e-12);
        for (size_t b = 0; b < x.distanceProfile.size(); ++b)
            QVERIFY(std::fabs(x.distanceProfile[b] - y.distanceProfile[b]) < 1e-12);
    }

    void incompleteRowsAreAnError()
    {
        c10::InferenceMode guard;
        LayerMetricsAccumulator acc(0, 4, 2, false);
        acc.add(torch::full({2, 4}, 0.25f), 0);
        QVERIFY_THROWS_EXCEPTION(std::exception, acc.finish());
    }

    // The row kernel of the one-pass JS divergence, every ISA build this CPU runs: disjoint rows ln 2,
    // identical rows 0, a raw row scaled to sum 1, and an all-zero row against a distribution ½ ln 2.
    void jsRowKernel()
    {
        const std::vector<float> p{1, 0, 0, 0}, q{0, 1, 0, 0}, u{0.25f, 0.25f, 0.25f, 0.25f}, raw{2, 2, 2, 2},
            zero{0, 0, 0, 0};
        for (const auto *k : kernels::availableKernels()) {
            QVERIFY(std::fabs(k->jsRow(p.data(), 1, q.data(), 1, 4) - std::log(2.0)) < 1e-6);
            QVERIFY(k->jsRow(u.data(), 1, u.data(), 1, 4) < 1e-7);
            QVERIFY(k->jsRow(u.data(), 1, raw.data(), 0.125f, 4) < 1e-7);
            QVERIFY(std::fabs(k->jsRow(zero.data(), 0, u.data(), 1, 4) - std::log(2.0) / 2) < 1e-6);
            // One-hot against uniform, against the definition in double.
            double want = 0;
            for (int j = 0; j < 4; ++j) {
                const double x = p[size_t(j)], y = 0.25, m = 0.5 * (x + y);
                want += 0.5 * ((x > 0 ? x * std::log(x / m) : 0) + y * std::log(y / m));
            }
            QVERIFY2(std::fabs(k->jsRow(p.data(), 1, u.data(), 1, 4) - want) < 1e-6, k->isa);
        }
    }

    // The row sum jsOfRows normalises with: every ISA build against a double loop, over lengths that end
    // inside and on a 1024-value chunk, and exactly 0 for a zero row.
    void rowSumKernel()
    {
        std::vector<float> v(5000);
        for (size_t j = 0; j < v.size(); ++j)
            v[j] = float((j * 2654435761u) % 1000u) * 1e-4f;
        for (const auto *k : kernels::availableKernels())
            for (int64_t n : {1, 7, 1024, 1025, 4096, 5000}) {
                double want = 0;
                for (int64_t j = 0; j < n; ++j)
                    want += v[size_t(j)];
                QVERIFY2(std::fabs(k->rowSum(v.data(), n) - want) < 1e-6 * std::max(1.0, want),
                         qPrintable(QString("%1 n=%2: %3 vs %4").arg(k->isa).arg(n).arg(k->rowSum(v.data(), n)).arg(want)));
                const std::vector<float> zero(size_t(n), 0.0f);
                QCOMPARE(k->rowSum(zero.data(), n), 0.0);
            }
    }

    // jsOfRows, the row JS every comparison path uses (GAU-α one pass, CLI compare, full maps, Llama blocks):
    // raw rows are normalised by their sums; an all-zero row stays the zero vector (METHODS.md §3), so it gives
    // ½ ln 2 against any distribution, whichever side it is on, and 0 against another zero row.
    void jsOfRowsZeroRowConvention()
    {
        const std::vector<float> u{0.25f, 0.25f, 0.25f, 0.25f}, raw{2, 2, 2, 2}, peaked{3, 1, 0, 0}, zero{0, 0, 0, 0};
        QVERIFY(jsOfRows(u.data(), raw.data(), 4) < 1e-7);
        QVERIFY(std::fabs(jsOfRows(zero.data(), raw.data(), 4) - std::log(2.0) / 2) < 1e-6);
        QVERIFY(std::fabs(jsOfRows(peaked.data(), zero.data(), 4) - std::log(2.0) / 2) < 1e-6);
        QVERIFY(jsOfRows(zero.data(), zero.data(), 4) == 0.0);
        // The full-map comparison averages it over rows: one zero row of two against uniform rows gives ¼ ln 2.
        AnalysisResult a, b;
        AttentionMap ma;
        ma.layer = 0;
        ma.head = 0;
        ma.length = 2;
        ma.rows = ma.cols = 2;
        ma.pool = 1;
        ma.data = {0.5f, 0.5f, 0, 0};
        AttentionMap mb = ma;
        mb.data = {0.5f, 0.5f, 0.5f, 0.5f};
        a.maps.push_back(ma);
        b.maps.push_back(mb);
        const auto js = jsDivergenceFromFullMaps(a, b);
        QCOMPARE(js.size(), size_t(1));
        QVERIFY2(std::fabs(js[0] - std::log(2.0) / 4) < 1e-6, qPrintable(QString::number(js[0])));
    }
};

QTEST_GUILESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
