// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Fuzz target: a whole pytorch_model.bin (zip container, data.pkl through the restricted unpickler, storage
// records), then the checkpoint validation against a fixed GAU-α config (names, shapes, finite values).
#include "io/checkpoint.h"
#include "fuzz_common.h"


extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // The config of the seed corpus's checkpoint (tests/data/models/mini-2layer).
    static const entroscope::GauConfig config =
        entroscope::GauConfig::fromFile(ENTROSCOPE_TEST_DATA "/models/mini-2layer/config.json");
    const std::string path = entroscope::fuzz::writeInput("pytorch_model.bin", data, size);
    ENTROSCOPE_FUZZ_GUARD({
        const auto tensors = entroscope::readTorchZip(path);
        entroscope::Checkpoint::fromStateDict(config, tensors, path);
    });
    return 0;
}
