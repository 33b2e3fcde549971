// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "io/npy.h"
#include "io/element_count.h"

#include "errors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <charconv>
#include <cstring>
#include <numeric>

namespace entroscope {
namespace {

int64_t product(const std::vector<int64_t> &shape)
{
    return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
}

std::string headerFor(const std::vector<int64_t> &shape)
{
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i)
        dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
    dict += "), }";
    // magic(6) + version(2) + len(2) + dict + padding + '\n' must be a multiple of 64.
    const size_t total = 10 + dict.size() + 1;
    dict.append((64 - total % 64) % 64, ' ');
    dict += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    const uint16_t len = static_cast<uint16_t>(dict.size());
    out += static_cast<char>(len & 0xff);
    out += static_cast<char>(len >> 8);
    return out + dict;
}

} // namespace

NpyWriter::NpyWriter(const std::string &path, std::vector<int64_t> shape)
    : m_path(path)
    , m_partial(path + ".partial")
    , m_out(m_partial, std::ios::binary | std::ios::trunc)
    , m_expected(product(shape))
{
    if (!m_out)
        throw Error(path + ": cannot create file");
    const std::string h = headerFor(shape);
    m_out.write(h.data(), static_cast<std::streamsize>(h.size()));
}

NpyWriter::~NpyWriter()
{
    if (!m_finished) {
        m_out.close();
        std::remove(m_partial.c_str()); // an unfinished array never appears under its name
    }
}

void NpyWriter::write(const float *values, int64_t count)
{
    m_out.write(reinterpret_cast<const char *>(values), static_cast<std::streamsize>(count * sizeof(float)));
    if (!m_out)
        throw Error(m_path + ": write failed (disk full?)");
    m_written += count;
}

void NpyWriter::finish()
{
    if (m_written != m_expected)
        throw Error(m_path + ": internal error: wrote " + std::to_string(m_written) + " values, expected "
                    + std::to_string(m_expected));
    m_out.flush();
    if (!m_out)
        throw Error(m_path + ": write failed (disk full?)");
    m_out.close();
    if (m_out.fail())
        throw Error(m_path + ": write failed (disk full?)");
    if (std::rename(m_partial.c_str(), m_path.c_str()) != 0)
        throw Error(m_path + ": cannot rename " + m_partial + " into place (" + std::strerror(errno) + ")");
    m_finished = true;
}

void writeNpy(const std::string &path, const std::vector<int64_t> &shape, const float *values)
{
    NpyWriter w(path, shape);
    w.write(values, product(shape));
    w.finish();
}

NpyArray readNpy(const std::string &path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in)
        throw Error(path + ": cannot open");
    const auto fileSize = static_cast<uint64_t>(std::max<std::streamoff>(in.tellg(), 0));
    in.seekg(0);
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
        throw Error(path + ": not a .npy file (bad magic)");
    const int version = static_cast<unsigned char>(magic[6]);
    if (version < 1 || version > 3)
        throw Error(path + ": unsupported .npy format version " + std::to_string(version));
    uint32_t hlen = 0;
    unsigned char b[4] = {};
    if (!in.read(reinterpret_cast<char *>(b), version == 1 ? 2 : 4))
        throw Error(path + ": truncated header");
    hlen = version == 1 ? uint32_t(b[0] | (b[1] << 8))
                        : uint32_t(b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24));
    if (hlen > fileSize || hlen > (1u << 20))
        throw Error(path + ": header length " + std::to_string(hlen) + " exceeds the file or 1 MiB");
    std::string header(hlen, '\0');
    if (!in.read(header.data(), hlen))
        throw Error(path + ": truncated header");

    auto value = [&](const char *key) -> size_t {
        const size_t at = header.find(key);
        return at == std::string::npos ? at : at + std::strlen(key);
    };
    NpyArray a;
    const size_t descrAt = value("'descr':");
    const size_t q1 = descrAt == std::string::npos ? descrAt : header.find('\'', descrAt);
    const size_t q2 = q1 == std::string::npos ? q1 : header.find('\'', q1 + 1);
    if (q2 == std::string::npos)
        throw Error(path + ": header has no 'descr'");
    a.descr = header.substr(q1 + 1, q2 - q1 - 1);
    if (header.find("'fortran_order': True") != std::string::npos)
        throw Error(path + ": Fortran-order arrays are not supported");
    const size_t shapeAt = value("'shape':");
    const size_t s1 = shapeAt == std::string::npos ? shapeAt : header.find('(', shapeAt);
    const size_t s2 = s1 == std::string::npos ? s1 : header.find(')', s1);
    if (s2 == std::string::npos)
        throw Error(path + ": header has no 'shape' tuple");
    const std::string shapeText = header.substr(s1 + 1, s2 - s1 - 1);
    size_t itemSize = 0;
    if (a.descr == "<f4" || a.descr == "<i4")
        itemSize = 4;
    else if (a.descr == "<f8" || a.descr == "<i8")
        itemSize = 8;
    else
        throw Error(path + ": unsupported dtype '" + a.descr + "' (expected <f4, <f8, <i4 or <i8)");
    // The element count may not exceed what the file holds (checked as the shape is read: no overflow).
    const uint64_t dataBytes = fileSize - std::min<uint64_t>(fileSize, 8 + (version == 1 ? 2 : 4) + hlen);
    const uint64_t fits = dataBytes / itemSize;
    size_t pos = 0;
    while (pos <= shapeText.size()) {
        size_t next = shapeText.find(',', pos);
        std::string item = shapeText.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        const size_t first = item.find_first_not_of(' ');
        if (first != std::string::npos) {
            item = item.substr(first, item.find_last_not_of(' ') - first + 1);
            int64_t dim = -1;
            const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), dim);
            if (ec != std::errc() || end != item.data() + item.size() || dim < 0)
                throw Error(path + ": shape entry '" + item + "' is not a non-negative integer");
            a.shape.push_back(dim);
        }
        if (next == std::string::npos)
            break;
        pos = next + 1;
    }
    const auto bounded = boundedElementCount(a.shape, fits);
    if (!bounded)
        throw Error(path + ": truncated data (the shape needs more bytes than the file holds)");
    const uint64_t count = *bounded;
    a.values.resize(static_cast<size_t>(count));
    auto readAll = [&](auto tag) {
        using T = decltype(tag);
        std::vector<T> raw(static_cast<size_t>(count));
        if (!in.read(reinterpret_cast<char *>(raw.data()), static_cast<std::streamsize>(count * sizeof(T))))
            throw Error(path + ": truncated data");
        for (uint64_t i = 0; i < count; ++i)
            a.values[static_cast<size_t>(i)] = static_cast<double>(raw[static_cast<size_t>(i)]);
    };
    if (a.descr == "<f4")
        readAll(float{});
    else if (a.descr == "<f8")
        readAll(double{});
    else if (a.descr == "<i8")
        readAll(int64_t{});
    else
        readAll(int32_t{});
    return a;
}

} // namespace entroscope
