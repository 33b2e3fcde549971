// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// The inputs at length n of METHODS.md §2 (tile, truncate, concat) and the documents of a text file.
// Plain C++: no LibTorch, no Qt. Errors are entroscope::Error with a one-line message.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace entroscope {

/// The fill modes, in the order the GUI lists them.
const std::vector<std::string> &fillModes();

/// Builds the n input ids from one token list: "tile" repeats it, "truncate" and "concat" (one text)
/// take the first n (Error when shorter). Error for an empty list, n < 1 or an unknown mode.
std::vector<int64_t> fillToLength(const std::vector<int64_t> &tokens, int64_t n, const std::string &fill);

/// The documents of a text: one per non-empty line (lines of blanks only do not count).
std::vector<std::string> splitDocuments(const std::string &text);

/// --fill concat from document `start`: it and the documents after it in order until n tokens, cut to n;
/// nullopt when the documents from `start` to the end hold fewer than n tokens.
std::optional<std::vector<int64_t>> concatFrom(const std::vector<std::vector<int64_t>> &documents, size_t start,
                                               int64_t n);

/// The inputs of a file of documents at length n: every document filled (tile, truncate), or for concat
/// every start d whose continuation holds n tokens (in file order; fewer inputs than documents). Error
/// when no input is left (naming `what`, e.g. the file) or a document is too short for truncate.
std::vector<std::vector<int64_t>> documentInputs(const std::vector<std::vector<int64_t>> &documents, int64_t n,
                                                 const std::string &fill, const std::string &what);

/// The evaluated positions of METHODS.md §3 for document d of D at length n: all n (positions <= 0 or
/// >= n), else (floor((k + 0.5)·n/K) + d·floor(n/(K·D))) mod n for k = 0..K-1.
std::vector<int64_t> evaluationPositions(int64_t n, int64_t positions, int64_t document = 0, int64_t documents = 1);

/// Wilson score interval (95 %, z = 1.959964) of a proportion hits/total; {0, 0} when total is 0.
struct Interval
{
    double low = 0;
    double high = 0;
};
Interval wilsonInterval(int64_t hits, int64_t total);

/// Mean and standard error (sample standard deviation / sqrt(count)) of values; se is nullopt for fewer
/// than two values.
struct MeanSe
{
    double mean = 0;
    std::optional<double> se;
};
MeanSe meanAndStandardError(const std::vector<double> &values);

} // namespace entroscope
