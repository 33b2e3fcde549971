// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Fuzz target: a WordPiece vocab.txt and a text to tokenise with it. The input is split at its first NUL
// byte: before it the vocabulary file, after it the text (UTF-8 or not).
#include "fuzz_common.h"
#include "text/tokenizer.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto *nul = static_cast<const uint8_t *>(std::memchr(data, 0, size));
    const size_t vocabSize = nul ? size_t(nul - data) : size;
    const std::string text = nul ? std::string(reinterpret_cast<const char *>(nul + 1), size - vocabSize - 1)
                                 : std::string("Hello, world! 你好 [MASK] ##x");
    const std::string path = entroscope::fuzz::writeInput("vocab.txt", data, vocabSize);
    ENTROSCOPE_FUZZ_GUARD({
        const auto tok = entroscope::Tokenizer::fromVocabFile(path);
        const auto ids = tok->encode(text);
        const auto pieces = tok->tokenize(text);
        if (pieces.size() != ids.size())
            std::abort(); // tokenize() is documented as the pieces encode() produces
        for (const int64_t id : ids) {
            if (id < 0 || id >= tok->vocabSize())
                std::abort();
            tok->idToToken(id);
        }
        if (tok->clsId() >= 0 && tok->sepId() >= 0)
            tok->encode(text, true);
    });
    return 0;
}
