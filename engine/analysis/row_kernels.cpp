// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Picks the row-kernel build (row_kernels_impl.cpp, compiled once per instruction set) for this CPU.
#include "analysis/row_kernels.h"

namespace entroscope::kernels {

namespace baseline {
extern const KernelTable table;
}
#if defined(ENTROSCOPE_KERNELS_X86)
namespace avx2 {
extern const KernelTable table;
}
namespace avx512 {
extern const KernelTable table;
}
#endif

std::vector<const KernelTable *> availableKernels()
{
    std::vector<const KernelTable *> out;
#if defined(ENTROSCOPE_KERNELS_X86)
    __builtin_cpu_init();
    // x86-64-v4 and -v3 as the compiler defines them (what -march=x86-64-v4/-v3 may use).
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
        out.push_back(&avx512::table);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2"))
        out.push_back(&avx2::table);
#endif
    out.push_back(&baseline::table);
    return out;
}

const KernelTable &kernels()
{
    static const KernelTable *best = availableKernels().front();
    return *best;
}

} // namespace entroscope::kernels
