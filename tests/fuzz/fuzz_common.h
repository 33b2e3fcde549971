// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Shared by the fuzz targets (libFuzzer entry points, LLVMFuzzerTestOneInput). Each target feeds its
// input to a real EntroScope entry point — through a file where the entry point reads files, so that the
// code a user's download meets is the code fuzzed — and accepts exactly one outcome besides success: an
// entroscope::Error whose message is one non-empty line. Anything else (another exception, a crash, a
// sanitizer report, a hang, unbounded memory) is a finding.

#include "errors.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace entroscope::fuzz {

/// A private folder for this process's input files (in /dev/shm when there is one), made once.
inline const std::string &scratchDir()
{
    static const std::string dir = [] {
        std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
        std::string templ = base + "/entroscope-fuzz-XXXXXX";
        if (!mkdtemp(templ.data())) {
            std::perror("entroscope fuzz: mkdtemp");
            std::abort();
        }
        return templ;
    }();
    return dir;
}

/// Writes `size` bytes to scratchDir()/name (replacing it) and returns the path.
inline std::string writeInput(const std::string &name, const void *data, size_t size)
{
    const std::string path = scratchDir() + "/" + name;
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::abort();
    }
    return path;
}

/// An entroscope::Error is the expected answer to a bad input; its message must be one non-empty line.
inline void checkError(const Error &e)
{
    const std::string what = e.what();
    if (what.empty() || what.find('\n') != std::string::npos || what.find('\r') != std::string::npos) {
        std::fprintf(stderr, "entroscope fuzz: the error message is not one non-empty line: [%s]\n", what.c_str());
        std::abort();
    }
}

} // namespace entroscope::fuzz

/// Runs `body`; entroscope::Error (one line) is fine, everything else escapes to the fuzzer.
#define ENTROSCOPE_FUZZ_GUARD(body)                                                                                   \
    try {                                                                                                             \
        body;                                                                                                         \
    } catch (const entroscope::Error &e) {                                                                            \
        entroscope::fuzz::checkError(e);                                                                              \
    }
