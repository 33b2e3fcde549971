// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "blas_check.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <dlfcn.h>
#include <malloc.h>
#include <strings.h>
#include <unistd.h>

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

std::string openBlasCore()
{
    using CoreName = char *(*)();
    auto fn = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    const char *name = fn ? fn() : nullptr;
    return name ? std::string(name) : std::string();
}

} // namespace

void selectBlasKernels(char **argv)
{
    if (std::getenv("OPENBLAS_CORETYPE") || !argv || !argv[0])
        return;
    const std::string core = openBlasCore();
    if (strcasecmp(core.c_str(), "prescott") != 0)
        return;
    const char *better = nullptr;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq"))
        better = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        better = "Haswell";
    if (!better)
        return;
    // Exec the binary by its real path (not /proc/self/exe, which would rename the process "exe").
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    setenv("OPENBLAS_CORETYPE", better, 1);
    execv(self, argv);
    unsetenv("OPENBLAS_CORETYPE"); // exec failed: carry on with the slow kernels (checkBlas reports them)
}

void tuneAllocatorForBlocks()
{
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
}

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
        r.core = openBlasCore();
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
