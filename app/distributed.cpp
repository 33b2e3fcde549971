// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "distributed.h"
#include "errors.h"

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <iostream>
#include <mutex>
#include <thread>
#include <utility>

#ifdef ENTROSCOPE_WITH_MPI
#include <mpi.h>
#endif

namespace entroscope::cli {
namespace {

int g_rank = 0;
int g_size = 1;
int g_localRanks = 1;
bool g_mpiStarted = false;
bool g_queueFinished = false;
bool g_threadedServer = false; ///< MPI gave MPI_THREAD_SERIALIZED: rank 0 serves from a thread and computes

#ifdef ENTROSCOPE_WITH_MPI
// Messages: a worker sends kReady once, then kResult (8-byte item index + the result) or kFail (a one-line
// message); rank 0 answers kReady and kResult with kWork (an item index, or -1: no more work).
enum Tag : int { kReady = 1, kResult = 2, kFail = 3, kWork = 4 };

bool launchedByMpi()
{
    // Open MPI's mpirun, MPICH/Hydra and Slurm's PMI-2, PMIx (srun --mpi=pmix, Open MPI 5).
    for (const char *v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
        if (std::getenv(v))
            return true;
    return false;
}

void sendString(const std::string &s, int dest, int tag)
{
    MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

std::string receiveString(int source, int tag, MPI_Status *status)
{
    MPI_Status probe;
    MPI_Probe(source, tag, MPI_COMM_WORLD, &probe);
    int len = 0;
    MPI_Get_count(&probe, MPI_CHAR, &len);
    std::string s(static_cast<size_t>(len), '\0');
    MPI_Recv(s.data(), len, MPI_CHAR, probe.MPI_SOURCE, probe.MPI_TAG, MPI_COMM_WORLD, status);
    return s;
}

/// The state rank 0's server thread and its computing thread share.
struct Queue
{
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<int64_t> items;
    std::deque<std::pair<int64_t, std::string>> results;
    bool stop = false;       ///< hand out no more work (a failure)
    bool serverDone = false; ///< every worker has been told to stop
    int failedRank = -1;
    std::string failure;

    int64_t next()
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (stop || items.empty())
            return -1;
        const int64_t i = items.front();
        items.pop_front();
        return i;
    }
    void fail(int rank, const std::string &message)
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (failedRank < 0) {
            failedRank = rank;
            failure = message;
        }
        stop = true;
        changed.notify_all();
    }
};

/// Rank 0's server: answers every worker until each has been told there is no more work. Results are
/// queued for the computing thread, or handed to `direct` when rank 0 only serves.
void serve(Queue &q, const std::function<void(int64_t, const std::string &)> &direct = {})
{
    int active = g_size - 1;
    while (active > 0) {
        MPI_Status st;
        const std::string msg = receiveString(MPI_ANY_SOURCE, MPI_ANY_TAG, &st);
        if (st.MPI_TAG == kFail) {
            q.fail(st.MPI_SOURCE, msg);
            --active;
            continue;
        }
        if (st.MPI_TAG == kResult && msg.size() >= sizeof(int64_t)) {
            int64_t index = 0;
            std::memcpy(&index, msg.data(), sizeof index);
            if (direct) {
                direct(index, msg.substr(sizeof index));
            } else {
                std::lock_guard<std::mutex> lock(q.mutex);
                q.results.emplace_back(index, msg.substr(sizeof index));
                q.changed.notify_all();
            }
        }
        const int64_t next = q.next();
        MPI_Send(&next, 1, MPI_INT64_T, st.MPI_SOURCE, kWork, MPI_COMM_WORLD);
        if (next < 0)
            --active;
    }
    std::lock_guard<std::mutex> lock(q.mutex);
    q.serverDone = true;
    q.changed.notify_all();
}

bool runAsWorker(const std::function<std::string(int64_t)> &work)
{
    sendString(std::string(), 0, kReady);
    for (;;) {
        int64_t index = -1;
        MPI_Recv(&index, 1, MPI_INT64_T, 0, kWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (index < 0)
            return true;
        std::string result;
        try {
            result = work(index);
        } catch (const Error &e) {
            sendString(e.what(), 0, kFail);
            return false;
        } catch (const Cancelled &) {
            abortAll(130);
        } catch (const std::exception &e) {
            sendString(Error::oneLine(std::string("internal error: ") + e.what()), 0, kFail);
            return false;
        }
        std::string msg(sizeof index, '\0');
        std::memcpy(msg.data(), &index, sizeof index);
        sendString(msg + result, 0, kResult);
    }
}

void runAsServer(Queue &q, const std::function<std::string(int64_t)> &work,
                 const std::function<void(int64_t, const std::string &)> &onResult)
{
    std::exception_ptr ownError;
    auto deliver = [&](int64_t i, const std::string &r) {
        if (ownError)
            return;
        try {
            onResult(i, r);
        } catch (...) { // e.g. the results folder cannot be written: stop handing out work
            ownError = std::current_exception();
            std::lock_guard<std::mutex> lock(q.mutex);
            q.stop = true;
        }
    };
    if (!g_threadedServer) {
        serve(q, deliver); // MPI without thread support: rank 0 only serves
    } else {
        std::thread server([&q] { serve(q); });
        for (;;) {
            std::deque<std::pair<int64_t, std::string>> arrived;
            {
                std::lock_guard<std::mutex> lock(q.mutex);
                arrived.swap(q.results);
            }
            for (const auto &[i, r] : arrived)
                deliver(i, r);
            const int64_t i = ownError ? -1 : q.next();
            if (i >= 0) {
                try {
                    const std::string r = work(i);
                    deliver(i, r);
                } catch (...) { // Error or Cancelled here: the items in flight still come back first
                    ownError = std::current_exception();
                    std::lock_guard<std::mutex> lock(q.mutex);
                    q.stop = true;
                }
                continue;
            }
            std::unique_lock<std::mutex> lock(q.mutex);
            q.changed.wait(lock, [&] { return !q.results.empty() || q.serverDone; });
            if (q.serverDone && q.results.empty())
                break;
        }
        server.join();
    }
    if (ownError)
        std::rethrow_exception(ownError);
    if (q.failedRank >= 0)
        throw Error("rank " + std::to_string(q.failedRank) + ": " + q.failure);
}
#endif

} // namespace

void initDistributed(int *argc, char ***argv)
{
#ifdef ENTROSCOPE_WITH_MPI
    if (g_mpiStarted || !launchedByMpi())
        return;
    int provided = MPI_THREAD_SINGLE;
    MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
    g_mpiStarted = true;
    g_threadedServer = provided >= MPI_THREAD_SERIALIZED;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &g_localRanks);
    MPI_Comm_free(&local);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
#else
    (void)argc;
    (void)argv;
#endif
}

void finalizeDistributed()
{
#ifdef ENTROSCOPE_WITH_MPI
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (g_mpiStarted && !finalized)
        MPI_Finalize();
#endif
}

int worldRank() { return g_rank; }
int worldSize() { return g_size; }
int localRanks() { return g_localRanks; }
bool workQueueFinished() { return g_queueFinished; }

std::string mpiDescription()
{
#ifdef ENTROSCOPE_WITH_MPI
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string v(version, static_cast<size_t>(len));
    v = v.substr(0, v.find_first_of(",\n"));
    return v + " (MPI " + std::to_string(MPI_VERSION) + "." + std::to_string(MPI_SUBVERSION) + ")"
           + (g_mpiStarted ? ", " + std::to_string(g_size) + " rank" + (g_size == 1 ? "" : "s") + " in this job"
                           : ", not started by an MPI launcher: one process");
#else
    return "not built in (one process; --shard K/N and merge still split work)";
#endif
}

void abortAll(int code)
{
#ifdef ENTROSCOPE_WITH_MPI
    if (g_mpiStarted && g_size > 1) {
        std::cerr.flush();
        MPI_Abort(MPI_COMM_WORLD, code);
    }
#endif
    std::cerr.flush();
    std::_Exit(code);
}

bool runWorkQueue(int64_t count, const std::function<bool(int64_t)> &pending,
                  const std::function<std::string(int64_t)> &work,
                  const std::function<void(int64_t, const std::string &)> &onResult)
{
#ifdef ENTROSCOPE_WITH_MPI
    if (g_size > 1) {
        if (g_rank != 0) {
            const bool ok = runAsWorker(work);
            g_queueFinished = true;
            return ok;
        }
        Queue q;
        for (int64_t i = 0; i < count; ++i)
            if (pending(i))
                q.items.push_back(i);
        struct Finished
        {
            ~Finished() { g_queueFinished = true; } // also when runAsServer throws: it joined its server first
        } finished;
        runAsServer(q, work, onResult);
        return true;
    }
#endif
    for (int64_t i = 0; i < count; ++i)
        if (pending(i))
            onResult(i, work(i));
    return true;
}

} // namespace entroscope::cli
