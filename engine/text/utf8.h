// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// UTF-8 helpers shared by the tokenizers (internal to entroscope_tokenizer).

#include <string>
#include <string_view>

namespace entroscope::utf8 {

constexpr char32_t kReplacement = 0xFFFD;

/// Strict UTF-8 decoding (no overlongs, surrogates or values above U+10FFFF). On an invalid byte it
/// returns false with cp = U+FFFD and moves on by that one byte, so bad input never stalls the caller.
inline bool decode(const unsigned char *&p, const unsigned char *end, char32_t &cp)
{
    const unsigned char b0 = *p++;
    if (b0 < 0x80) {
        cp = b0;
        return true;
    }
    int extra;
    char32_t value;
    char32_t minimum;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        extra = 1, value = b0 & 0x1F, minimum = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        extra = 2, value = b0 & 0x0F, minimum = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        extra = 3, value = b0 & 0x07, minimum = 0x10000;
    } else {
        cp = kReplacement;
        return false;
    }
    cp = kReplacement;
    if (end - p < extra)
        return false;
    for (int k = 0; k < extra; ++k) {
        if ((p[k] & 0xC0) != 0x80)
            return false;
        value = (value << 6) | (p[k] & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        return false;
    p += extra;
    cp = value;
    return true;
}

inline void append(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

inline bool isValid(std::string_view s)
{
    auto p = reinterpret_cast<const unsigned char *>(s.data());
    const auto end = p + s.size();
    char32_t cp;
    while (p < end) {
        if (!decode(p, end, cp))
            return false;
    }
    return true;
}

} // namespace entroscope::utf8
