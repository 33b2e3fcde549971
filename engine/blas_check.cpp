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

/// OPENBLAS_CORETYPE for this CPU when the loaded OpenBLAS fell back to Prescott, else nullptr.
const char *betterBlasCore()
{
    if (std::getenv("OPENBLAS_CORETYPE") || strcasecmp(openBlasCore().c_str(), "prescott") != 0)
        return nullptr;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
    return nullptr;
}

} // namespace

void configureComputeEnvironment(char **argv)
{
    if (std::getenv("ENTROSCOPE_CONFIGURED")) {
        unsetenv("ENTROSCOPE_CONFIGURED"); // done for this process; programs it starts configure themselves
        return;
    }
    if (!argv || !argv[0])
        return;
    const char *core = betterBlasCore();
    const bool waitPolicy = std::getenv("OMP_WAIT_POLICY") == nullptr;
    const bool threadTimeout = std::getenv("OPENBLAS_THREAD_TIMEOUT") == nullptr;
    if (!core && !waitPolicy && !threadTimeout)
        return;
    // Exec the binary by its real path (not /proc/self/exe, which would rename the process "exe").
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    if (core)
        setenv("OPENBLAS_CORETYPE", core, 1);
    if (waitPolicy)
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    if (threadTimeout)
        setenv("OPENBLAS_THREAD_TIMEOUT", kOpenBlasThreadTimeout, 1);
    setenv("ENTROSCOPE_CONFIGURED", "1", 1); // once, whatever the libraries make of it
    execv(self, argv);
    // exec failed: carry on as we are (checkBlas reports slow kernels)
    if (core)
        unsetenv("OPENBLAS_CORETYPE");
    if (waitPolicy)
        unsetenv("OMP_WAIT_POLICY");
    if (threadTimeout)
        unsetenv("OPENBLAS_THREAD_TIMEOUT");
    unsetenv("ENTROSCOPE_CONFIGURED");
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
    auto c = torch::mm(a, b); // warm-up; the product, not the output's page faults, is timed below
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        torch::mm_out(c, a, b);
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
