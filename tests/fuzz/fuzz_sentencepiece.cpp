// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Fuzz target: a SentencePiece *.model file loaded through EntroScope's plug-in, then used to encode a text.
#include "fuzz_common.h"
#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string path = entroscope::fuzz::writeInput("spm.model", data, size);
    ENTROSCOPE_FUZZ_GUARD({
        const auto tok = entroscope::Tokenizer::fromSentencePieceFile(path);
        const auto ids = tok->encode("When a reader meets a long sentence, 長い文 [MASK] 123");
        for (const int64_t id : ids) {
            if (id < 0 || id >= tok->vocabSize())
                std::abort();
            tok->idToToken(id);
        }
    });
    return 0;
}
