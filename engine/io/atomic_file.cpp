// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "io/atomic_file.h"

#include "errors.h"

#include <fstream>

namespace fs = std::filesystem;

namespace entroscope {

void writeFileAtomically(const fs::path &path, const std::string &bytes)
{
    const fs::path tmp = path.string() + ".partial";
    std::error_code ec;
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << bytes;
        out.flush();
        if (!out) {
            fs::remove(tmp, ec);
            throw Error(path.string() + ": write failed (disk full?)");
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        const std::string why = ec.message();
        fs::remove(tmp, ec);
        throw Error(path.string() + ": cannot move the finished file into place (" + why + ")");
    }
}

} // namespace entroscope
