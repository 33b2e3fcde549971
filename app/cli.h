// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

#include <string>
#include <vector>

namespace entroscope {

/// Runs `entroscope-cli` with the given arguments (without the program name).
/// Returns the exit status: 0 success, 2 bad input (one line on stderr), 130 interrupted, 1 internal error.
int runCli(const std::vector<std::string> &args);

} // namespace entroscope
