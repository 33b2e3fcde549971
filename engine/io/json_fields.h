// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Typed, range-checked reads of config.json fields (GAU-α and the Llama family share them): an absent key or
// JSON null gives the fallback; a wrong type or an out-of-range value throws Error naming the file and key.

#include "errors.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace entroscope::json_fields {

using nlohmann::json;

inline int64_t readInt(const json &j, const char *key, int64_t fallback, const std::string &path, int64_t minValue,
                int64_t maxValue = int64_t{1} << 40)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    // Integers, or floats with an integral value (HF writes 512 but sometimes 512.0); range-checked before
    // any conversion: a float beyond int64 or an unsigned beyond INT64_MAX cannot be cast.
    const std::string range = " must be an integer from " + std::to_string(minValue) + " to " + std::to_string(maxValue)
                              + ", got " + it->dump();
    int64_t v = 0;
    if (it->is_number_float()) {
        const double d = it->get<double>();
        if (!std::isfinite(d) || d != std::floor(d) || d < double(minValue) || d > double(maxValue))
            throw Error(path + ": \"" + key + "\"" + range);
        v = static_cast<int64_t>(d);
    } else if (it->is_number_unsigned()) {
        const auto u = it->get<uint64_t>();
        if (u > static_cast<uint64_t>(maxValue))
            throw Error(path + ": \"" + key + "\"" + range);
        v = static_cast<int64_t>(u);
    } else if (it->is_number_integer()) {
        v = it->get<int64_t>();
    } else {
        throw Error(path + ": \"" + key + "\" must be an integer, got " + it->dump());
    }
    if (v < minValue || v > maxValue)
        throw Error(path + ": \"" + key + "\"" + range);
    return v;
}

inline std::string readString(const json &j, const char *key, const std::string &fallback, const std::string &path)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_string())
        throw Error(path + ": \"" + key + "\" must be a string, got " + it->dump());
    return it->get<std::string>();
}

inline bool readBool(const json &j, const char *key, bool fallback, const std::string &path)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_boolean())
        throw Error(path + ": \"" + key + "\" must be true or false, got " + it->dump());
    return it->get<bool>();
}

inline double readDouble(const json &j, const char *key, double fallback, const std::string &path)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_number())
        throw Error(path + ": \"" + key + "\" must be a number, got " + it->dump());
    return it->get<double>();
}


/// The text of a JSON file parsed into an object; Error naming `path` when unreadable, invalid or not an object.
inline json parseObject(const std::string &text, const std::string &path)
{
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception &e) { // parse_error, and out_of_range for a number beyond a double
        std::string what = e.what();
        if (auto pos = what.find("parse error"); pos != std::string::npos)
            what = what.substr(pos);
        throw Error(path + ": not valid JSON (" + what + ")");
    }
    if (!j.is_object())
        throw Error(path + ": expected a JSON object at the top level");
    return j;
}

/// A whole file's text; Error naming `path` (and `what`, e.g. "config.json") when it cannot be read.
inline std::string readFileText(const std::string &path, const std::string &what)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open (missing or unreadable " + what + ")");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace entroscope::json_fields
