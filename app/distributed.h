// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// entroscope-cli across processes: MPI when the build found it and the program was started by an MPI
// launcher (mpirun, srun), one process otherwise. The commands that distribute (evaluate, sweep) cut
// their work into items and hand them to runWorkQueue; every item's result is a string (JSON), so the
// same bytes reach rank 0 whether an item ran there, on another rank, or in a shard file.

#include <cstdint>
#include <functional>
#include <string>

namespace entroscope::cli {

/// Starts MPI when built with it and launched by an MPI launcher; otherwise a process of one rank.
/// Call once, before any command runs.
void initDistributed(int *argc, char ***argv);
/// Ends MPI (no-op without it). Safe to call more than once.
void finalizeDistributed();
int worldRank(); ///< 0 without MPI
int worldSize(); ///< 1 without MPI
/// The ranks of this job on this host (for the default thread count); 1 without MPI.
int localRanks();
/// "Open MPI v4.1.4 (MPI 3.1)" when built with MPI, "not built in" otherwise.
std::string mpiDescription();
/// Whether this rank is done with the work queue (every other rank released or told to stop), so that an
/// error from here on needs no MPI_Abort for the others to end.
bool workQueueFinished();
/// Ends every rank at once (MPI_Abort); exit() without MPI.
[[noreturn]] void abortAll(int code);

/// Runs items 0..count-1 over every rank. `work(i)` computes item i on whichever rank it is handed to and
/// returns its result; rank 0 serves the queue (from a thread of its own, so it computes items too) and
/// calls `onResult(i, result)` on its calling thread for each item as its result arrives (any order).
/// `pending(i)` (rank 0) says whether item i still needs computing. One process: the pending items in
/// order, onResult after each. A work() that throws entroscope::Error on any rank ends the queue: rank 0
/// throws an Error "rank R: <message>" once the items in flight are back; the worker ranks return false.
/// Returns true on rank 0 and on workers that finished normally.
bool runWorkQueue(int64_t count, const std::function<bool(int64_t)> &pending,
                  const std::function<std::string(int64_t)> &work,
                  const std::function<void(int64_t, const std::string &)> &onResult);

} // namespace entroscope::cli
