// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Fuzz target: raw pickle bytes for the restricted unpickler. The input becomes data.pkl of an otherwise
// valid torch.save zip with storage records data/0 … data/15 of 16 KiB each (the seed checkpoints use
// 0 … 11, the largest 12 KiB), so the mutations go to the opcode stream rather than to the zip container.
#include "fuzz_common.h"
#include "io/pickle_reader.h"

#include <caffe2/serialize/inline_container.h>

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string zip;
    {
        caffe2::serialize::PyTorchStreamWriter writer([&zip](const void *buf, size_t n) -> size_t {
            zip.append(static_cast<const char *>(buf), n);
            return n;
        });
        writer.writeRecord("data.pkl", data, size);
        static const std::vector<char> storage(16384, 0);
        for (int k = 0; k < 16; ++k)
            writer.writeRecord("data/" + std::to_string(k), storage.data(), storage.size());
        writer.writeEndOfFile();
    }
    const std::string path = entroscope::fuzz::writeInput("pickle.bin", zip.data(), zip.size());
    ENTROSCOPE_FUZZ_GUARD(entroscope::readTorchZip(path));
    return 0;
}
