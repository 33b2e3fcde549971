// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// A length-extrapolation method = temperature × qk-normalisation × position (METHODS.md §1),
// parsed from the CLI's axis strings or a preset name, with every default resolved against the
// checkpoint's config and the training length T.

#include "result_types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace entroscope {

struct GauConfig;

enum class Temperature { Softmax, SoftmaxPlus, LogN, InfoScale, SquaredRelu };
enum class PositionKind { Rope, Pi, Ntk, Yarn, Rerope, Window, Alibi, StreamingLlm, LmInfinite };

struct QkNorm
{
    bool cosScale = false;
    double scale = 128; ///< S of cosscale:S
};

struct Position
{
    PositionKind kind = PositionKind::Rope;
    int64_t window = 0; ///< W of rerope/window/streamingllm/lminfinite (resolved, >= 1)
    int64_t sinks = 0;  ///< S of streamingllm/lminfinite
    double slope = 0;   ///< M of alibi
};

struct Method
{
    Temperature temperature = Temperature::Softmax;
    QkNorm qk;
    Position position;

    /// Parses the three axis strings (empty = take that axis from the `native` preset).
    /// Throws Error naming the flag (--temperature/--qk/--position) and the reason.
    static Method parse(const std::string &temperature, const std::string &qk, const std::string &position,
                        const GauConfig &config, int64_t trainLength);
    /// A named preset of METHODS.md §4; throws Error for an unknown name (listing the known ones).
    static Method preset(const std::string &name, const GauConfig &config, int64_t trainLength);

    /// Canonical axis strings with parameters resolved, e.g. {"infoscale", "cosscale:128", "rerope:64"}.
    MethodSpec spec() const;

    bool rotates() const { return position.kind != PositionKind::Alibi; }
    bool clampsRelative() const
    {
        return position.kind == PositionKind::Rerope || position.kind == PositionKind::LmInfinite;
    }
    bool hasVisibilityMask() const
    {
        return position.kind == PositionKind::Window || position.kind == PositionKind::StreamingLlm
               || position.kind == PositionKind::LmInfinite;
    }
    /// Whether key j is visible to query i (windows and sinks; never changes n_i).
    bool visible(int64_t i, int64_t j) const;
};

/// τ(n_i) of METHODS.md §1.3 (1 for softmax and squared_relu).
double temperatureFactor(Temperature t, int64_t n, int64_t trainLength, int64_t keySize);

/// YaRN's ramp limits lo, hi for key size d, training length T, base b (METHODS.md §1.2).
void yarnRampLimits(int64_t keySize, int64_t trainLength, double base, int64_t &lo, int64_t &hi);

/// Shortest round-trip decimal of v ("8", "0.1", "0.00390625"), as used in canonical strings.
std::string formatNumber(double v);

/// What the GUI lists: a preset with a one-line description and its source.
struct PresetInfo
{
    std::string name;
    std::string description;
    std::string source;
};
const std::vector<PresetInfo> &presetInfos();

/// One parameter of an axis value, for the GUI's editor.
struct AxisParameter
{
    std::string name;        ///< e.g. "W"
    std::string description; ///< e.g. "window (tokens); default T"
    double minValue = 0;
    double maxValue = 0;
    bool integer = true;
};
struct AxisValueInfo
{
    std::string axis;  ///< "temperature" | "qk" | "position"
    std::string value; ///< e.g. "rerope"
    std::string description;
    std::string source;
    std::vector<AxisParameter> parameters;
};
const std::vector<AxisValueInfo> &axisValueInfos();

} // namespace entroscope
