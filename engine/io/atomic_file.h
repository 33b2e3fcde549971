// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

#include <filesystem>
#include <string>

namespace entroscope {

/// Writes `bytes` to `path + ".partial"` and renames it over `path`, so a reader never sees a
/// half-written file. Throws Error naming the file on failure (the partial file is removed).
void writeFileAtomically(const std::filesystem::path &path, const std::string &bytes);

} // namespace entroscope
