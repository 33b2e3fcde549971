// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "platform/blas_check.h"
#include "cli.h"
#include "distributed.h"

int main(int argc, char **argv)
{
    entroscope::configureComputeEnvironment(argv); // may re-execute this program (faster BLAS kernels, passive OpenMP waits)
    entroscope::tuneAllocatorForBlocks();
    entroscope::cli::initDistributed(&argc, &argv); // MPI, when started by mpirun/srun (app/distributed.h)
    const int code = entroscope::runCli(std::vector<std::string>(argv + 1, argv + argc));
    entroscope::cli::finalizeDistributed();
    return code;
}
