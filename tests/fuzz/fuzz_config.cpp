// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Fuzz target: config.json text → GauConfig (JSON syntax, types, ranges, the HT-NEKO extras), and back.
#include "io/config.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string text(reinterpret_cast<const char *>(data), size);
    ENTROSCOPE_FUZZ_GUARD({
        const auto config = entroscope::GauConfig::fromJsonText(text, "fuzz/config.json");
        // What the engine writes it must read back as the same config.
        const auto again = entroscope::GauConfig::fromJsonText(config.toJsonText(), "fuzz/config.json");
        if (again.toJsonText() != config.toJsonText())
            std::abort();
    });
    return 0;
}
