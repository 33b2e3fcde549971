// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "blas_check.h"

#include <torch/torch.h>

#include <chrono>
#include <fstream>

namespace entroscope {
namespace {

std::string loadedBlasLibrary()
{
    std::ifstream maps("/proc/self/maps");
    std::string line;
    std::string found;
    while (std::getline(maps, line)) {
        const auto slash = line.find('/');
        if (slash == std::string::npos)
            continue;
        const std::string path = line.substr(slash);
        if (path.find("openblas") != std::string::npos || path.find("libmkl") != std::string::npos
            || path.find("libblis") != std::string::npos)
            return path;
        if (path.find("libblas.so") != std::string::npos)
            found = path;
    }
    return found.empty() ? "unknown" : found;
}

} // namespace

double measureMatmulGflops(int m, int k, int n, int repeats)
{
    c10::InferenceMode guard;
    auto a = torch::randn({m, k});
    auto b = torch::randn({k, n});
    auto c = torch::mm(a, b); // warm-up
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        c = torch::mm(a, b);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::min(best, s);
    }
    return 2.0 * m * k * n / best / 1e9;
}

const BlasReport &checkBlas()
{
    static const BlasReport report = [] {
        BlasReport r;
        r.gflops = measureMatmulGflops(512, 512, 512, 3);
        r.library = loadedBlasLibrary();
        // OpenBLAS reaches tens of GFLOP/s per core; the reference BLAS ~2.5 in total.
        const bool referenceLib = r.library.find("/blas/libblas.so") != std::string::npos;
        r.slow = r.gflops < 8.0 || referenceLib;
        if (r.slow)
            r.warning = "slow BLAS: matrix products run at " + std::to_string(static_cast<int>(r.gflops))
                        + " GFLOP/s through " + r.library
                        + " (the reference BLAS?); install libopenblas0-pthread for a ~40x faster forward";
        return r;
    }();
    return report;
}

} // namespace entroscope
