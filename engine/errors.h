// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

#include <stdexcept>
#include <string>

namespace entroscope {

/// The one exception type the engine throws for bad input or failed work.
/// what() is a single line that names the thing (file, key, flag) and the reason, ready to be shown
/// to a user as it is (the CLI prints it on stderr, the GUI in a dialog).
class Error : public std::runtime_error
{
public:
    explicit Error(const std::string &message)
        : std::runtime_error(message)
    {
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
