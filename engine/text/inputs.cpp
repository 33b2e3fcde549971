// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "text/inputs.h"

#include "errors.h"

#include <cmath>
#include <sstream>

namespace entroscope {

const std::vector<std::string> &fillModes()
{
    static const std::vector<std::string> modes = {"tile", "truncate", "concat"};
    return modes;
}

std::vector<int64_t> fillToLength(const std::vector<int64_t> &tokens, int64_t n, const std::string &fill)
{
    if (n < 1)
        throw Error("length: must be at least 1, got " + std::to_string(n));
    if (tokens.empty())
        throw Error("input: the text gives no tokens");
    std::vector<int64_t> out;
    if (fill == "truncate" || fill == "concat") {
        if (static_cast<int64_t>(tokens.size()) < n)
            throw Error("fill " + fill + ": the input has " + std::to_string(tokens.size())
                        + " tokens, fewer than the length " + std::to_string(n)
                        + (fill == "concat" ? " (give more documents, or fill tile to repeat them)"
                                            : " (use fill tile to repeat it)"));
        out.assign(tokens.begin(), tokens.begin() + n);
    } else if (fill == "tile") {
        out.reserve(static_cast<size_t>(n));
        while (static_cast<int64_t>(out.size()) < n)
            out.push_back(tokens[out.size() % tokens.size()]);
    } else {
        throw Error("fill: unknown '" + fill + "' (expected tile, truncate or concat)");
    }
    return out;
}

std::vector<std::string> splitDocuments(const std::string &text)
{
    std::vector<std::string> docs;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.find_first_not_of(" \t") != std::string::npos)
            docs.push_back(line);
    }
    return docs;
}

std::optional<std::vector<int64_t>> concatFrom(const std::vector<std::vector<int64_t>> &documents, size_t start,
                                               int64_t n)
{
    std::vector<int64_t> out;
    out.reserve(static_cast<size_t>(std::max<int64_t>(n, 0)));
    for (size_t d = start; d < documents.size() && static_cast<int64_t>(out.size()) < n; ++d)
        out.insert(out.end(), documents[d].begin(), documents[d].end());
    if (static_cast<int64_t>(out.size()) < n)
        return std::nullopt;
    out.resize(static_cast<size_t>(n));
    return out;
}

std::vector<std::vector<int64_t>> documentInputs(const std::vector<std::vector<int64_t>> &documents, int64_t n,
                                                 const std::string &fill, const std::string &what)
{
    if (documents.empty())
        throw Error(what + ": holds no documents");
    std::vector<std::vector<int64_t>> inputs;
    if (fill == "concat") {
        if (n < 1)
            throw Error("length: must be at least 1, got " + std::to_string(n));
        for (size_t d = 0; d < documents.size(); ++d) {
            auto x = concatFrom(documents, d, n);
            if (!x)
                break; // later starts hold even fewer tokens
            inputs.push_back(std::move(*x));
        }
        if (inputs.empty())
            throw Error(what + ": the documents hold fewer than " + std::to_string(n)
                        + " tokens in all, so fill concat has no input at that length");
        return inputs;
    }
    for (const auto &doc : documents)
        inputs.push_back(fillToLength(doc, n, fill));
    return inputs;
}

std::vector<int64_t> evaluationPositions(int64_t n, int64_t positions, int64_t document, int64_t documents)
{
    std::vector<int64_t> out;
    if (positions <= 0 || positions >= n) {
        for (int64_t p = 0; p < n; ++p)
            out.push_back(p);
        return out;
    }
    const int64_t K = positions, D = std::max<int64_t>(documents, 1);
    const int64_t shift = document * (n / (K * D));
    for (int64_t k = 0; k < K; ++k)
        out.push_back(((2 * k + 1) * n / (2 * K) + shift) % n); // floor((k + 0.5) n / K), in integers
    return out;
}

Interval wilsonInterval(int64_t hits, int64_t total)
{
    if (total <= 0)
        return {};
    constexpr double z = 1.959963984540054;
    const double N = static_cast<double>(total), p = static_cast<double>(hits) / N;
    const double den = 1 + z * z / N;
    const double centre = (p + z * z / (2 * N)) / den;
    const double half = z * std::sqrt(p * (1 - p) / N + z * z / (4 * N * N)) / den;
    // The bounds are exactly 0 with no hits and 1 with all (not a rounding residue such as 4e-19).
    return {hits == 0 ? 0.0 : std::max(0.0, centre - half), hits == total ? 1.0 : std::min(1.0, centre + half)};
}

MeanSe meanAndStandardError(const std::vector<double> &values)
{
    MeanSe r;
    if (values.empty())
        return r;
    double sum = 0;
    for (double v : values)
        sum += v;
    const double count = static_cast<double>(values.size());
    r.mean = sum / count;
    if (values.size() >= 2) {
        double ss = 0;
        for (double v : values)
            ss += (v - r.mean) * (v - r.mean);
        r.se = std::sqrt(ss / (count - 1)) / std::sqrt(count);
    }
    return r;
}

} // namespace entroscope
