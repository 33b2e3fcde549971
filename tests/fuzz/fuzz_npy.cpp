// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Fuzz target: a .npy file (magic, version, header dict, dtype, shape, data size).
#include "fuzz_common.h"
#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string path = entroscope::fuzz::writeInput("map.npy", data, size);
    ENTROSCOPE_FUZZ_GUARD(entroscope::readNpy(path));
    return 0;
}
