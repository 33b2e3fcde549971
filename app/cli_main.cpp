// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "cli.h"

int main(int argc, char **argv)
{
    return entroscope::runCli(std::vector<std::string>(argv + 1, argv + argc));
}
