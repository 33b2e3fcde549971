// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

#include <stdexcept>
#include <string>

namespace entroscope {

/// The one exception type the engine throws for bad input or failed work.
/// what() is a single line that names the thing (file, key, flag) and the reason, ready to be shown
/// to a user as it is (the CLI prints it on stderr, the GUI in a dialog). Messages quote names taken
/// from hostile files, so the constructor enforces that: control characters become \n, \r, \t or \xNN,
/// and a message longer than kMaxLength bytes is cut (at a UTF-8 character boundary) with "…".
class Error : public std::runtime_error
{
public:
    static constexpr size_t kMaxLength = 2000;

    explicit Error(const std::string &message)
        : std::runtime_error(oneLine(message))
    {
    }

    static std::string oneLine(const std::string &message)
    {
        std::string out;
        out.reserve(message.size());
        for (const char ch : message) {
            const auto c = static_cast<unsigned char>(ch);
            if (c >= 0x20 && c != 0x7f) {
                out += ch;
                continue;
            }
            static const char hex[] = "0123456789abcdef";
            out += '\\';
            if (c == '\n')
                out += 'n';
            else if (c == '\r')
                out += 'r';
            else if (c == '\t')
                out += 't';
            else {
                out += 'x';
                out += hex[c >> 4];
                out += hex[c & 15];
            }
        }
        if (out.size() > kMaxLength) {
            size_t cut = kMaxLength;
            while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80)
                --cut; // not inside a multi-byte character
            out.resize(cut);
            out += "\u2026";
        }
        return out;
    }
};

/// Thrown by long calls when their CancelToken was set; not an error to report.
class Cancelled : public std::runtime_error
{
public:
    Cancelled()
        : std::runtime_error("cancelled")
    {
    }
};

} // namespace entroscope
