// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "blas_check.h"
#include "cli.h"

int main(int argc, char **argv)
{
    entroscope::configureComputeEnvironment(argv); // may re-execute this program (faster BLAS kernels, passive OpenMP waits)
    entroscope::tuneAllocatorForBlocks();
    return entroscope::runCli(std::vector<std::string>(argv + 1, argv + argc));
}
