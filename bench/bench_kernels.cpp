// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Times the row kernels (engine/analysis/row_kernels.h) of every instruction-set build this CPU runs, on one
// thread, and prints nanoseconds per attention weight. Rows are softmaxes of Gaussian scores: "peaked"
// (σ = 4, a few keys hold most of the mass, as in trained layers) and "flat" (σ = 0.5, close to uniform,
// the worst case for k90's selection). One JSON line per (table, kernel, rows).
//
//   bench_kernels [--length 4096] [--rows 512] [--repeat 5] [--isa avx512|avx2|baseline]

#include "analysis/analysis.h"
#include "analysis/row_kernels.h"

#include <chrono>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <vector>

using namespace entroscope;
using Clock = std::chrono::steady_clock;

namespace {

template <class F> double bestSeconds(int repeat, F &&f)
{
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
        const auto t0 = Clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return best;
}

} // namespace

int main(int argc, char **argv)
{
    int64_t n = 4096, rows = 512;
    int repeat = 5;
    std::string only; // --isa NAME: that table only
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() { return std::string(i + 1 < argc ? argv[++i] : "0"); };
        if (a == "--length")
            n = std::stoll(next());
        else if (a == "--rows")
            rows = std::stoll(next());
        else if (a == "--repeat")
            repeat = std::stoi(next());
        else if (a == "--isa")
            only = next();
        else {
            std::cerr << "bench_kernels: unknown option " << a << "\n";
            return 2;
        }
    }
    std::mt19937 rng(7);
    const int bins = distanceBinCount(n);
    for (const char *kind : {"peaked", "flat"}) {
        std::normal_distribution<float> normal(0.0f, std::string(kind) == "peaked" ? 4.0f : 0.5f);
        std::vector<float> scores(static_cast<size_t>(rows * n));
        for (auto &s : scores)
            s = normal(rng);
        for (const auto *t : kernels::availableKernels()) {
            if (!only.empty() && only != t->isa)
                continue;
            std::vector<float> block;
            std::vector<double> entropy(static_cast<size_t>(rows));
            const double softmax = bestSeconds(repeat, [&] {
                block = scores;
                t->softmaxRows(block.data(), rows, n, entropy.data());
            });
            std::vector<double> profile(static_cast<size_t>(bins));
            kernels::RowMetrics m;
            double k90 = 0;
            const double metrics = bestSeconds(repeat, [&] {
                k90 = 0;
                for (int64_t r = 0; r < rows; ++r) {
                    t->rowMetrics(block.data() + r * n, n, r, 1.0f, 64, profile.data(), false, m);
                    k90 += static_cast<double>(m.k90);
                }
            });
            const int64_t pool = (n + 1023) / 1024, cells = (n + pool - 1) / pool;
            std::vector<float> cellMax(static_cast<size_t>(cells)), cellSum(static_cast<size_t>(cells)),
                cols(static_cast<size_t>(2 * n));
            const double pooling = bestSeconds(repeat, [&] {
                for (int64_t r = 0; r + pool <= rows; r += pool)
                    t->poolRows(block.data() + r * n, pool, n, pool, cellMax.data(), cellSum.data(), cols.data());
            });
            // The JS divergence of each row against the next one (both normalised: rows of the comparison).
            double jsSum = 0;
            const double js = bestSeconds(repeat, [&] {
                jsSum = 0;
                for (int64_t r = 0; r + 1 < rows; ++r)
                    jsSum += t->jsRow(block.data() + r * n, 1.0f, block.data() + (r + 1) * n, 1.0f, n);
            });
            const double perWeight = 1e9 / static_cast<double>(rows * n);
            std::cout << "{\"isa\": \"" << t->isa << "\", \"rows\": \"" << kind << "\", \"length\": " << n
                      << ", \"softmax_ns\": " << softmax * perWeight << ", \"metrics_ns\": " << metrics * perWeight
                      << ", \"pool_ns\": " << pooling * perWeight << ", \"js_ns\": " << js * perWeight
                      << ", \"js_mean\": " << jsSum / static_cast<double>(rows - 1) << ", \"k90_mean\": " << k90 / static_cast<double>(rows)
                      << "}" << std::endl;
        }
    }
    return 0;
}
