// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Fuzz target: a model.safetensors file (header length, JSON header, dtypes, shapes, data offsets).
#include "fuzz_common.h"
#include "io/pickle_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string path = entroscope::fuzz::writeInput("model.safetensors", data, size);
    ENTROSCOPE_FUZZ_GUARD({
        const auto tensors = entroscope::readSafetensors(path);
        for (const auto &[name, t] : tensors)
            if (t.scalar_type() != torch::kFloat32 || !t.is_contiguous())
                std::abort(); // the documented contract: contiguous float32 copies
    });
    return 0;
}
