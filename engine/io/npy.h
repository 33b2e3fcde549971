// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// NumPy .npy files (format 1.0/2.0, C order, little-endian float32 / int64 / float64).

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace entroscope {

/// Writes a float32 array row block by row block, so an [n, n] map never has to be in memory.
/// The header is written first with the final shape; finish() checks that exactly the announced
/// number of values arrived. Throws Error naming the file on I/O failure. The data goes to
/// `path + ".partial"`, renamed to `path` by finish(): a writer destroyed unfinished (an error, a
/// cancel, a full disk) removes its partial file and leaves whatever was at `path` untouched.
class NpyWriter
{
public:
    NpyWriter(const std::string &path, std::vector<int64_t> shape);
    ~NpyWriter();
    NpyWriter(const NpyWriter &) = delete;
    NpyWriter &operator=(const NpyWriter &) = delete;
    void write(const float *values, int64_t count);
    void finish();
    const std::string &path() const { return m_path; }

private:
    std::string m_path;
    std::string m_partial;
    std::ofstream m_out;
    bool m_finished = false;
    int64_t m_expected = 0;
    int64_t m_written = 0;
};

struct NpyArray
{
    std::vector<int64_t> shape;
    std::vector<double> values; ///< converted to double whatever the stored dtype
    std::string descr;          ///< e.g. "<f4"
};

/// Reads a .npy of dtype <f4, <f8, <i8 or <i4 (C order). Throws Error naming the file and the reason.
NpyArray readNpy(const std::string &path);

/// Writes a whole float32 array.
void writeNpy(const std::string &path, const std::vector<int64_t> &shape, const float *values);

} // namespace entroscope
