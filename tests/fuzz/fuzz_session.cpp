// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// Fuzz target: a .entroscope session file (JSON, format marker, types and ranges), and its round trip.
#include "fuzz_common.h"
#include "session_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string path = entroscope::fuzz::writeInput("fuzz.entroscope", data, size);
    entroscope::SessionState state;
    QString error;
    if (entroscope::SessionState::load(QString::fromStdString(path), &state, &error)) {
        // A session that loads survives a save and a load unchanged.
        entroscope::SessionState back;
        if (!entroscope::SessionState::fromJson(state.toJson(), &back) || back != state)
            std::abort();
    } else if (error.isEmpty() || error.contains(QLatin1Char('\n'))) {
        std::abort(); // one non-empty line, as the window shows it
    }
    return 0;
}
