// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "cli.h"

#include "blas_check.h"
#include "cli_common.h"

#include <c10/util/Exception.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

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
                      << (b.slow ? "\nwarning: " + b.warning : "") << "\n";
            return 0;
        }
        auto it = cli::commands().find(args[0]);
        if (it == cli::commands().end()) {
            std::string known;
            for (const auto &[name, c] : cli::commands())
                known += (known.empty() ? "" : ", ") + name;
            throw Error("'" + args[0] + "': unknown command (expected " + known + ")");
        }
        return it->second.fn(args);
    } catch (const Error &e) {
        std::cerr << "entroscope-cli: " << e.what() << "\n";
        return 2;
    } catch (const Cancelled &) {
        std::cerr << "entroscope-cli: interrupted; no output written\n";
        return 130;
    } catch (const c10::Error &e) {
        const std::string msg = e.what_without_backtrace();
        std::cerr << "entroscope-cli: internal error: " << msg.substr(0, msg.find('\n')) << "\n";
        return 1;
    } catch (const std::bad_alloc &) {
        std::cerr << "entroscope-cli: out of memory\n";
        return 2;
    } catch (const std::exception &e) {
        const std::string msg = e.what();
        std::cerr << "entroscope-cli: internal error: " << msg.substr(0, msg.find('\n')) << "\n";
        return 1;
    }
}

} // namespace entroscope
