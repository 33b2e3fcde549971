// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "npy.h"

#include "errors.h"

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
    , m_out(path, std::ios::binary | std::ios::trunc)
    , m_expected(product(shape))
{
    if (!m_out)
        throw Error(path + ": cannot create file");
    const std::string h = headerFor(shape);
    m_out.write(h.data(), static_cast<std::streamsize>(h.size()));
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
}

void writeNpy(const std::string &path, const std::vector<int64_t> &shape, const float *values)
{
    NpyWriter w(path, shape);
    w.write(values, product(shape));
    w.finish();
}

NpyArray readNpy(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open");
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
        throw Error(path + ": not a .npy file (bad magic)");
    uint32_t hlen = 0;
    if (magic[6] == 1) {
        unsigned char b[2];
        in.read(reinterpret_cast<char *>(b), 2);
        hlen = b[0] | (b[1] << 8);
    } else {
        unsigned char b[4];
        in.read(reinterpret_cast<char *>(b), 4);
        hlen = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
    }
    std::string header(hlen, '\0');
    if (!in.read(header.data(), hlen))
        throw Error(path + ": truncated header");
    NpyArray a;
    auto descrPos = header.find("'descr':");
    auto q1 = header.find('\'', descrPos + 8);
    auto q2 = header.find('\'', q1 + 1);
    a.descr = header.substr(q1 + 1, q2 - q1 - 1);
    if (header.find("'fortran_order': True") != std::string::npos)
        throw Error(path + ": Fortran-order arrays are not supported");
    auto s1 = header.find('(', header.find("'shape':"));
    auto s2 = header.find(')', s1);
    std::string shapeText = header.substr(s1 + 1, s2 - s1 - 1);
    size_t pos = 0;
    while (pos < shapeText.size()) {
        size_t next = shapeText.find(',', pos);
        std::string item = shapeText.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        if (item.find_first_not_of(' ') != std::string::npos)
            a.shape.push_back(std::stoll(item));
        if (next == std::string::npos)
            break;
        pos = next + 1;
    }
    const int64_t count = product(a.shape);
    a.values.resize(static_cast<size_t>(count));
    auto readAll = [&](auto tag) {
        using T = decltype(tag);
        std::vector<T> raw(static_cast<size_t>(count));
        if (!in.read(reinterpret_cast<char *>(raw.data()), static_cast<std::streamsize>(count * sizeof(T))))
            throw Error(path + ": truncated data");
        for (int64_t i = 0; i < count; ++i)
            a.values[static_cast<size_t>(i)] = static_cast<double>(raw[static_cast<size_t>(i)]);
    };
    if (a.descr == "<f4")
        readAll(float{});
    else if (a.descr == "<f8")
        readAll(double{});
    else if (a.descr == "<i8")
        readAll(int64_t{});
    else if (a.descr == "<i4")
        readAll(int32_t{});
    else
        throw Error(path + ": unsupported dtype " + a.descr);
    return a;
}

} // namespace entroscope
