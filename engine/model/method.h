// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// A length-extrapolation method = temperature × qk-normalisation × position (METHODS.md §1), parsed from
// axis strings, a preset name or a method string, with every default resolved against the checkpoint's
// config and the training length T.
//
// The vocabulary lives in two tables in method.cpp: axisValueInfos() (every axis value with its
// parameters, their defaults and ranges, description and source) and presetInfos() (every preset with
// the axes it sets). Parsing, canonical strings, error messages, the GUI's lists and the CLI's help all
// come from them; adding a method is one row there plus its computation in the model.

#include "analysis/result_types.h"
#include "io/method_defaults.h"

#include <cstdint>
#include <string>
#include <vector>

namespace entroscope {

enum class Temperature { Softmax, SoftmaxPlus, LogN, InfoScale, SquaredRelu, SsMax };
/// Native: the checkpoint's own rope_scaling (Position::scaling); `native` without one parses as Rope.
enum class PositionKind { Rope, Pi, Ntk, Yarn, Rerope, Window, Alibi, StreamingLlm, LmInfinite, Native };
/// How n_i is counted (METHODS.md §1.3): every non-padding key of the row, or only the visible ones.
enum class KeyCount { Rows, Visible };

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
    double factor = 0;  ///< F of pi:F, ntk:F, yarn:F (a fixed factor at every n); 0 = n/T when n > T
    std::optional<RopeScaling> scaling; ///< the checkpoint's rope_scaling under PositionKind::Native
};

struct Method
{
    Temperature temperature = Temperature::Softmax;
    double ssmaxScale = 0; ///< s of ssmax:s (resolved; default 1/ln T)
    QkNorm qk;
    Position position;
    KeyCount keyCount = KeyCount::Rows;

    /// Parses the three axis strings; an empty axis takes the checkpoint's own (`native`) value.
    /// keyCount: "" or "rows" or "visible". Throws Error naming the flag (--temperature/--qk/--position/
    /// --key-count) and the reason.
    static Method parse(const std::string &temperature, const std::string &qk, const std::string &position,
                        const MethodDefaults &config, int64_t trainLength, const std::string &keyCount = {});
    /// A named preset of METHODS.md §4: it sets only the axes it names, the others are the checkpoint's
    /// own. Throws Error for an unknown name (listing the known ones).
    static Method preset(const std::string &name, const MethodDefaults &config, int64_t trainLength,
                         const std::string &keyCount = {});
    /// A method string as the GUI, sessions and the CLI's --method take it: a preset name, or
    /// "temperature,qk,position" (an empty axis = the checkpoint's own), optionally followed by ",visible"
    /// (or ",rows") for the key count. `keyCount` applies when the string names none.
    static Method fromString(const std::string &text, const MethodDefaults &config, int64_t trainLength,
                             const std::string &keyCount = {});

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
    /// Whether key j is visible to query i (windows and sinks).
    bool visible(int64_t i, int64_t j) const;
    /// Keys visible to query i of a bidirectional row of n keys (windows and sinks counted).
    int64_t visibleKeys(int64_t i, int64_t n) const;
    /// n_i of METHODS.md §1.3 for query i of n keys: n under KeyCount::Rows, visibleKeys otherwise.
    int64_t keyCountOf(int64_t i, int64_t n) const;
    /// Whether n_i differs between rows (a visibility mask counted as visible keys).
    bool perRowKeyCount() const { return keyCount == KeyCount::Visible && hasVisibilityMask(); }
    /// τ(n_i) of METHODS.md §1.3 for this method (1 for softmax and squared_relu).
    double tau(int64_t keys, int64_t trainLength, int64_t keySize) const;
};

/// The active formulas of a method at length n with their constants evaluated and their sources, one line
/// per axis, e.g. "τ = sqrt((1 − n^(−2/d)) / (1 − T^(−2/d))) = 1.3308 at n = 4096, d = 32, T = 64 (Li et al.
/// 2025, eq. 14)". For the GUI's formula panel and the CLI's analyze log.
std::vector<std::string> methodFormulas(const Method &method, int64_t n, int64_t keySize, int64_t trainLength);

/// Where a method departs from how the checkpoint was trained (its normalization and norm_method), one
/// sentence per axis, e.g. "qk plain: the checkpoint was trained with cosscale:32, so this removes CosScale
/// (an ablation, out of distribution)". Empty when every axis is the checkpoint's own.
std::vector<std::string> untrainedAxes(const Method &method, const MethodDefaults &config);

/// τ(n_i) of METHODS.md §1.3 (1 for softmax and squared_relu); ssmaxScale is s of ssmax:s.
double temperatureFactor(Temperature t, int64_t n, int64_t trainLength, int64_t keySize, double ssmaxScale = 0);

/// YaRN's ramp limits lo, hi for key size d, training length T, base b (METHODS.md §1.2).
void yarnRampLimits(int64_t keySize, int64_t trainLength, double base, int64_t &lo, int64_t &hi);

/// Shortest round-trip decimal of v ("8", "0.1", "0.00390625"), as used in canonical strings.
std::string formatNumber(double v);

/// One parameter of an axis value: what the GUI's editor shows and what parsing checks.
struct AxisParameter
{
    enum class Default { Fixed, TrainLength, CheckpointCosScale, InverseLogT };
    std::string name;        ///< e.g. "W"
    std::string description; ///< e.g. "window (tokens); default T"
    double minValue = 0;
    double maxValue = 0;
    bool integer = true;
    bool exclusiveMin = false; ///< the value must be > minValue (not >=)
    Default rule = Default::Fixed;
    double fixedDefault = 0; ///< the default under Default::Fixed (and CheckpointCosScale's fallback)
};
struct AxisValueInfo
{
    std::string axis;  ///< "temperature" | "qk" | "position"
    std::string value; ///< e.g. "rerope"
    std::string description;
    std::string source;
    std::vector<AxisParameter> parameters;
};
/// Every axis value, in the order the GUI lists them.
const std::vector<AxisValueInfo> &axisValueInfos();

/// A preset of METHODS.md §4: the axes it sets (empty = the checkpoint's own), description, source.
struct PresetInfo
{
    std::string name;
    std::string temperature;
    std::string qk;
    std::string position;
    std::string description;
    std::string source;
};
const std::vector<PresetInfo> &presetInfos();

/// "  name  description (source)" lines of every preset and axis value, for the CLI's help.
std::string methodVocabularyHelp();

} // namespace entroscope
