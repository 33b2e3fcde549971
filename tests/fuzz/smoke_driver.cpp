// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// A main() for the fuzz targets in builds without libFuzzer (the default gcc build, and so the test suite):
//   fuzz_<target> RUNS SEED... (files or folders of files)
// runs every seed, then RUNS mutants of them made by a fixed-seed generator (bit flips, interesting bytes,
// insertions, deletions, truncation, splices of two seeds), so the smoke test is the same on every machine.
// A finding aborts (the process fails, and the input is written to fuzz-finding-<target>.bin in the
// working directory); an input that takes longer than 10 s is a hang. scripts/fuzz.sh runs the same targets
// under libFuzzer with coverage guidance for as long as asked.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

std::string g_current;
const char *g_name = "target";

void saveCurrent()
{
    const std::string path = std::string("fuzz-finding-") + g_name + ".bin";
    if (FILE *f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(g_current.data(), 1, g_current.size(), f);
        std::fclose(f);
        std::fprintf(stderr, "fuzz smoke: the input is in %s (%zu bytes)\n", path.c_str(), g_current.size());
    }
}

void onSignal(int sig)
{
    std::fprintf(stderr, "fuzz smoke: %s on an input\n", sig == SIGALRM ? "hang (> 10 s)" : strsignal(sig));
    saveCurrent();
    std::signal(sig, SIG_DFL);
    std::raise(sig == SIGALRM ? SIGABRT : sig);
}

std::string readFile(const std::filesystem::path &p)
{
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string mutate(std::mt19937_64 &rng, const std::vector<std::string> &seeds)
{
    std::string s = seeds[rng() % seeds.size()];
    static const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, '"', '}', ']', '\n', 0x8a, 'X', '('};
    const int steps = 1 + int(rng() % 4);
    for (int k = 0; k < steps; ++k) {
        const size_t n = s.size();
        switch (rng() % 7) {
        case 0: // flip a bit
            if (n)
                s[rng() % n] = char(uint8_t(s[rng() % n]) ^ uint8_t(1u << (rng() % 8)));
            break;
        case 1: // an interesting byte
            if (n)
                s[rng() % n] = char(interesting[rng() % sizeof(interesting)]);
            break;
        case 2: { // insert random bytes
            std::string ins(1 + rng() % 8, '\0');
            for (char &c : ins)
                c = char(rng());
            s.insert(n ? rng() % n : 0, ins);
            break;
        }
        case 3: // delete a range
            if (n > 1) {
                const size_t at = rng() % n;
                s.erase(at, 1 + rng() % std::min<size_t>(n - at, 64));
            }
            break;
        case 4: // truncate
            if (n)
                s.resize(rng() % n);
            break;
        case 5: { // splice with another seed
            const std::string &other = seeds[rng() % seeds.size()];
            if (n && !other.empty())
                s = s.substr(0, rng() % n) + other.substr(rng() % other.size());
            break;
        }
        case 6: // overwrite 4 or 8 bytes with a large integer (lengths, offsets, shapes)
            if (n >= 8) {
                const uint64_t v = (rng() % 2) ? ~uint64_t{0} >> (rng() % 64) : uint64_t(1) << (rng() % 64);
                std::memcpy(&s[rng() % (n - 7)], &v, (rng() % 2) ? 4 : 8);
            }
            break;
        }
    }
    return s;
}

void runOne(const std::string &input)
{
    g_current = input;
    alarm(10);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(g_current.data()), g_current.size());
    alarm(0);
}

} // namespace

int main(int argc, char **argv)
{
    g_name = std::strrchr(argv[0], '/') ? std::strrchr(argv[0], '/') + 1 : argv[0];
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s RUNS SEED...\n", g_name);
        return 2;
    }
    const long runs = std::strtol(argv[1], nullptr, 10);
    std::vector<std::string> seeds;
    for (int a = 2; a < argc; ++a) {
        const std::filesystem::path p(argv[a]);
        std::error_code ec;
        if (std::filesystem::is_directory(p, ec)) {
            std::vector<std::filesystem::path> files;
            for (const auto &e : std::filesystem::recursive_directory_iterator(p, ec))
                if (e.is_regular_file(ec))
                    files.push_back(e.path());
            std::sort(files.begin(), files.end());
            for (const auto &f : files)
                seeds.push_back(readFile(f));
        } else if (std::filesystem::is_regular_file(p, ec)) {
            seeds.push_back(readFile(p));
        } else {
            std::fprintf(stderr, "%s: seed %s: not a file or folder\n", g_name, argv[a]);
            return 2;
        }
    }
    if (seeds.empty()) {
        std::fprintf(stderr, "%s: no seeds\n", g_name);
        return 2;
    }
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGALRM})
        std::signal(sig, onSignal);
    const auto start = std::chrono::steady_clock::now();
    for (const auto &s : seeds)
        runOne(s);
    std::mt19937_64 rng(20261202);
    for (long r = 0; r < runs; ++r)
        runOne(mutate(rng, seeds));
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %zu seeds + %ld mutants, no finding, %.1f s (%.0f exec/s)\n", g_name, seeds.size(), runs, secs,
                double(long(seeds.size()) + runs) / std::max(secs, 1e-9));
    return 0;
}
