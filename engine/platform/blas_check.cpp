// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "platform/blas_check.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

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
    // What to set: each variable the user has not set (blas_check.h says why each one).
    std::vector<std::pair<const char *, const char *>> settings;
    if (const char *core = betterBlasCore())
        settings.emplace_back("OPENBLAS_CORETYPE", core);
    for (const auto &[name, value] : {std::pair{"OMP_WAIT_POLICY", "PASSIVE"},
                                      std::pair{"OPENBLAS_THREAD_TIMEOUT", kOpenBlasThreadTimeout}})
        if (!std::getenv(name))
            settings.emplace_back(name, value);
    if (settings.empty())
        return;
    // Exec the binary by its real path (not /proc/self/exe, which would rename the process "exe").
    char self[4096];
    const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    for (const auto &[name, value] : settings)
        setenv(name, value, 1);
    setenv("ENTROSCOPE_CONFIGURED", "1", 1); // once, whatever the libraries make of it
    execv(self, argv);
    // exec failed: carry on as we are (checkBlas reports slow kernels)
    for (const auto &[name, value] : settings)
        unsetenv(name);
    unsetenv("ENTROSCOPE_CONFIGURED");
}

void tuneAllocatorForBlocks()
{
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
}

MatmulRates measureMatmulRates(int m, int k, int n, int repeats)
{
    c10::InferenceMode guard;
    auto a = torch::randn({m, k});
    auto b = torch::randn({k, n});
    auto c = torch::mm(a, b); // warm-up; the product, not the output's page faults, is timed below
    double best = 1e30, total = 0;
    for (int r = 0; r < std::max(repeats, 1); ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        torch::mm_out(c, a, b);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::min(best, s);
        total += s;
    }
    const double flops = 2.0 * m * k * n;
    return {flops / best / 1e9, flops * std::max(repeats, 1) / total / 1e9};
}

double measureMatmulGflops(int m, int k, int n, int repeats)
{
    return measureMatmulRates(m, k, n, repeats).best;
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

std::string libTorchVersion()
{
    return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "."
           + std::to_string(TORCH_VERSION_PATCH);
}

} // namespace entroscope
