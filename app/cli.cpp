// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "cli.h"

#include "platform/blas_check.h"
#include "cli_common.h"
#include "distributed.h"

#include <c10/util/Exception.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace entroscope {
namespace {

extern "C" void onSignal(int)
{
    cli::interruptToken().cancel();
}

void printUsage(std::ostream &os)
{
    os << "usage: entroscope-cli <command> [options]   (entroscope-cli <command> --help for its options)\n"
          "       entroscope-cli --version               (version, BLAS library, kernels and speed)\n\ncommands:\n";
    for (const auto &[name, c] : cli::commands())
        os << "  " << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ') << c.summary << "\n";
}

} // namespace

namespace {

/// Under MPI: a rank other than 0 names itself in its messages, and a failure outside the work queue
/// ends every rank (the others would wait for it forever).
int failed(int code, const std::string &message)
{
    std::cerr << "entroscope-cli: " << (cli::worldRank() > 0 ? "rank " + std::to_string(cli::worldRank()) + ": " : "")
              << message << "\n";
    if (cli::worldSize() > 1 && !cli::workQueueFinished())
        cli::abortAll(code);
    return code;
}

} // namespace

int runCli(const std::vector<std::string> &args)
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    try {
        if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
            printUsage(args.empty() ? std::cerr : std::cout);
            return args.empty() ? 2 : 0;
        }
        if (args[0] == "--version") {
            const BlasReport &b = checkBlas();
            std::cout << "entroscope-cli 0.1.0\nBLAS: " << b.library << " (kernels: " << (b.core.empty() ? "unknown" : b.core)
                      << "), " << static_cast<int>(b.gflops) << " GFLOP/s float32 on 512x512x512"
                      << "\nOpenMP wait policy: " << (std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : "default")
                      << "\nOpenBLAS thread timeout: "
                      << (std::getenv("OPENBLAS_THREAD_TIMEOUT") ? std::getenv("OPENBLAS_THREAD_TIMEOUT") : "default")
                      << "\nMPI: " << cli::mpiDescription() << "\nThreads: "
                      << cli::defaultThreads(static_cast<int>(std::thread::hardware_concurrency()), cli::localRanks())
                      << " by default (" << std::thread::hardware_concurrency() << " hardware threads, "
                      << cli::localRanks() << " rank" << (cli::localRanks() == 1 ? "" : "s") << " on this host)" << (b.slow ? "\nwarning: " + b.warning : "") << "\n";
            return 0;
        }
        auto it = cli::commands().find(args[0]);
        if (it == cli::commands().end()) {
            std::string known;
            for (const auto &[name, c] : cli::commands())
                known += (known.empty() ? "" : ", ") + name;
            throw Error("'" + args[0] + "': unknown command (expected " + known + ")");
        }
        if (cli::worldSize() > 1 && args[0] != "evaluate" && args[0] != "sweep" && args[0] != "--help")
            throw Error(args[0] + ": runs in one process; start it without mpirun (evaluate and sweep are the "
                                  "commands that share their work among MPI ranks)");
        return it->second.fn(args);
    } catch (const Error &e) {
        return failed(2, e.what());
    } catch (const Cancelled &) {
        return failed(130, "interrupted; no output written");
    } catch (const c10::Error &e) {
        const std::string msg = e.what_without_backtrace();
        return failed(1, "internal error: " + msg.substr(0, msg.find('\n')));
    } catch (const std::bad_alloc &) {
        return failed(2, "out of memory");
    } catch (const std::exception &e) {
        const std::string msg = e.what();
        return failed(1, "internal error: " + msg.substr(0, msg.find('\n')));
    }
}

} // namespace entroscope
