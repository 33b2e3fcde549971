// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "model/method.h"

#include "io/config.h"
#include "errors.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace entroscope {
namespace {

using P = AxisParameter;
using D = AxisParameter::Default;

// The method vocabulary, one row per axis value (METHODS.md §1). The GUI lists them in this order.
const std::vector<AxisValueInfo> kAxisValues = {
    {"temperature", "softmax", "τ = 1", "", {}},
    {"temperature", "softmax_plus", "τ = ln(n_i)/ln(512) (GAU-α pre-training)", "Su 2021, kexue.fm/archives/8823", {}},
    {"temperature", "logn", "τ = max(1, ln(n_i)/ln T)", "Chiang & Cholak 2022; Su 2021", {}},
    {"temperature", "infoscale", "τ = sqrt((1 − n_i^(−2/d)) / (1 − T^(−2/d)))", "Li et al. 2025, eq. 14", {}},
    {"temperature", "ssmax", "Scalable-Softmax: τ = s·ln(n_i), training-free", "Nakanishi 2025",
     {{"s", "scale; default 1/ln T (τ(T) = 1)", 0, 1e3, false, true, D::InverseLogT, 0}}},
    {"temperature", "squared_relu", "A = relu(s)² / n_i, no softmax", "Hua et al. 2022 (GAU)", {}},
    {"qk", "plain", "q, k as the model computes them", "", {}},
    {"qk", "cosscale", "q, k normalised before RoPE, score = S·cos", "Li et al. 2025, eq. 17",
     {{"S", "scale; default: the checkpoint's CosScale_value, else 128", 0, 1e6, false, true, D::CheckpointCosScale, 128}}},
    {"position", "rope", "RoPE at the original positions (plain extrapolation)", "Su et al. 2021 (RoFormer)", {}},
    {"position", "native", "the checkpoint's own rope_scaling as Hugging Face applies it (linear, dynamic, yarn, llama3), else rope",
     "checkpoint config.json", {}},
    {"position", "pi", "positions × T/n when n > T (pi:F: positions / F at every n, HF linear)", "Chen et al. 2023",
     {{"F", "fixed factor; default n/T when n > T", 0, 1e6, false, true, D::Fixed, 0}}},
    {"position", "ntk", "RoPE base × (n/T)^(d/(d−2)) when n > T (ntk:F: base × F^(d/(d−2)) at every n)", "bloc97 2023",
     {{"F", "fixed factor; default n/T when n > T", 0, 1e6, false, true, D::Fixed, 0}}},
    {"position", "yarn", "ramped per-frequency interpolation, s = n/T, scores × (0.1 ln s + 1)² (yarn:F: s = F at every n, HF yarn)",
     "Peng et al. 2023", {{"F", "fixed factor; default n/T when n > T", 0, 1e6, false, true, D::Fixed, 0}}},
    {"position", "rerope", "relative position clamped to ±(W−1)", "Su 2023, kexue.fm/archives/9708",
     {{"W", "window (tokens); default T", 1, 1e9, true, false, D::TrainLength, 0}}},
    {"position", "window", "keys with |i−j| < W only (2W − 1 keys for a bidirectional row)", "Su 2023, kexue.fm/archives/9431",
     {{"W", "window (tokens); default T", 1, 1e9, true, false, D::TrainLength, 0}}},
    {"position", "alibi", "no rotation, bias −M·|i−j|", "Press et al. 2022",
     {{"M", "slope; default 1/256", 0, 1e3, false, false, D::Fixed, 1.0 / 256.0}}},
    {"position", "streamingllm", "window W plus the first S keys, RoPE at the original positions", "Xiao et al. 2024",
     {{"S", "sink tokens; default 4", 0, 1e9, true, false, D::Fixed, 4},
      {"W", "window; default T", 1, 1e9, true, false, D::TrainLength, 0}}},
    {"position", "lminfinite", "the streamingllm mask plus distances clamped at W − 1", "Han et al. 2024",
     {{"S", "sink tokens; default 4", 0, 1e9, true, false, D::Fixed, 4},
      {"W", "window; default T", 1, 1e9, true, false, D::TrainLength, 0}}},
};

// Presets of METHODS.md §4: each sets only the axes it names ("" = the checkpoint's own).
const std::vector<PresetInfo> kPresets = {
    {"native", "", "", "native", "What the checkpoint was trained with: its normalization, norm_method and rope_scaling (else plain RoPE)",
     "checkpoint config.json"},
    {"extrapolate", "softmax", "", "rope", "Plain softmax and RoPE run past the training length (the baseline)",
     "Su et al. 2021 (RoFormer)"},
    {"log-n", "softmax_plus", "", "rope", "GAU-α's softmax_plus: logits scaled by ln(n)/ln(512)",
     "Su 2021, kexue.fm/archives/8823"},
    {"logn", "logn", "", "rope", "log-n scaling relative to T: logits × max(1, ln n / ln T)", "Chiang & Cholak 2022; Su 2021"},
    {"infoscale", "infoscale", "", "rope", "InfoScale: temperature keeping attention entropy invariant as n grows",
     "Li et al. 2025"},
    {"ssmax", "ssmax", "", "rope", "Scalable-Softmax applied training-free: logits × ln(n)/ln(T)", "Nakanishi 2025"},
    {"cosscale", "", "cosscale", "rope", "CosScale: cosine attention with scale S", "Li et al. 2025"},
    {"infoscale+cosscale", "infoscale", "cosscale", "rope", "InfoScale temperature on CosScale cosine attention",
     "Li et al. 2025"},
    {"pi", "", "", "pi", "Position Interpolation: positions scaled by T/n", "Chen et al. 2023"},
    {"ntk", "", "", "ntk", "NTK-aware RoPE: base scaled by (n/T)^(d/(d-2))", "bloc97 2023"},
    {"yarn", "", "", "yarn", "YaRN: ramped per-frequency interpolation and (0.1 ln s + 1)^2 score scale",
     "Peng et al. 2023"},
    {"rerope", "", "", "rerope", "ReRoPE: relative positions clamped to the window W", "Su 2023, kexue.fm/archives/9708"},
    {"window", "", "", "window", "Windowed attention: keys within |i-j| < W only", "Su 2023, kexue.fm/archives/9431"},
    {"alibi", "", "", "alibi", "ALiBi: no rotation, linear distance bias -M|i-j|", "Press et al. 2022"},
    {"streamingllm", "", "", "streamingllm", "StreamingLLM: window W plus S attention sinks", "Xiao et al. 2024"},
    {"lminfinite", "", "", "lminfinite", "LM-Infinite: Λ-shaped mask (sinks + window) and clamped distances",
     "Han et al. 2024"},
};

std::vector<std::string> splitOn(const std::string &s, char sep)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const size_t pos = s.find(sep, start);
        parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
        if (pos == std::string::npos)
            break;
        start = pos + 1;
    }
    return parts;
}

std::string trimmed(const std::string &s)
{
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string knownValues(const std::string &axis)
{
    std::string out;
    for (const auto &v : kAxisValues) {
        if (v.axis != axis)
            continue;
        out += (out.empty() ? "" : ", ") + v.value;
        for (size_t p = 0; p < v.parameters.size(); ++p)
            out += "[:" + v.parameters[p].name;
        out += std::string(v.parameters.size(), ']');
    }
    return out;
}

/// The value's parameters, parsed and checked against the table, defaults resolved.
std::vector<double> parseParameters(const AxisValueInfo &info, const std::vector<std::string> &given,
                                    const std::string &flag, const std::string &text, const MethodDefaults &config,
                                    int64_t trainLength)
{
    if (given.size() > info.parameters.size())
        throw Error(flag + ": invalid '" + text + "': " + info.value + " takes at most "
                    + std::to_string(info.parameters.size()) + " parameter(s)");
    std::vector<double> values;
    for (size_t k = 0; k < info.parameters.size(); ++k) {
        const AxisParameter &p = info.parameters[k];
        if (k >= given.size()) {
            switch (p.rule) {
            case D::Fixed: values.push_back(p.fixedDefault); break;
            case D::TrainLength: values.push_back(static_cast<double>(trainLength)); break;
            case D::CheckpointCosScale: values.push_back(config.cosScaleValue.value_or(p.fixedDefault)); break;
            case D::InverseLogT:
                if (trainLength < 2)
                    throw Error(flag + ": invalid '" + text + "': the default s = 1/ln T needs T >= 2");
                values.push_back(1.0 / std::log(static_cast<double>(trainLength)));
                break;
            }
            continue;
        }
        const std::string &g = given[k];
        char *end = nullptr;
        const double v = std::strtod(g.c_str(), &end);
        const std::string what = p.name + " (" + p.description.substr(0, p.description.find(';')) + ")";
        if (g.empty() || end != g.c_str() + g.size() || !std::isfinite(v))
            throw Error(flag + ": invalid '" + text + "': " + what + " must be a number, got '" + g + "'");
        if (p.integer && v != std::floor(v))
            throw Error(flag + ": invalid '" + text + "': " + what + " must be an integer, got '" + g + "'");
        if ((p.exclusiveMin ? v <= p.minValue : v < p.minValue) || v > p.maxValue)
            throw Error(flag + ": invalid '" + text + "': " + what + " must be " + (p.exclusiveMin ? "> " : ">= ")
                        + formatNumber(p.minValue) + " and <= " + formatNumber(p.maxValue) + ", got '" + g + "'");
        values.push_back(v);
    }
    return values;
}

const AxisValueInfo &findValue(const std::string &axis, const std::string &name, const std::string &flag,
                               const std::string &text)
{
    for (const auto &v : kAxisValues)
        if (v.axis == axis && v.value == name)
            return v;
    throw Error(flag + ": unknown '" + text + "' (expected " + knownValues(axis) + ")");
}

template<typename Enum>
Enum enumOf(const std::string &name, std::initializer_list<std::pair<const char *, Enum>> names)
{
    for (const auto &[n, e] : names)
        if (name == n)
            return e;
    throw Error("internal error: no enum for '" + name + "'");
}

void applyTemperature(Method &m, const std::string &text, const MethodDefaults &config, int64_t T)
{
    const auto parts = splitOn(text, ':');
    const auto &info = findValue("temperature", parts[0], "--temperature", text);
    const auto params = parseParameters(info, {parts.begin() + 1, parts.end()}, "--temperature", text, config, T);
    m.temperature = enumOf<Temperature>(info.value, {{"softmax", Temperature::Softmax},
                                                     {"softmax_plus", Temperature::SoftmaxPlus},
                                                     {"logn", Temperature::LogN},
                                                     {"infoscale", Temperature::InfoScale},
                                                     {"ssmax", Temperature::SsMax},
                                                     {"squared_relu", Temperature::SquaredRelu}});
    if (m.temperature == Temperature::SsMax)
        m.ssmaxScale = params[0];
}

void applyQk(Method &m, const std::string &text, const MethodDefaults &config, int64_t T)
{
    const auto parts = splitOn(text, ':');
    const auto &info = findValue("qk", parts[0], "--qk", text);
    const auto params = parseParameters(info, {parts.begin() + 1, parts.end()}, "--qk", text, config, T);
    m.qk = QkNorm{};
    m.qk.cosScale = info.value == "cosscale";
    if (m.qk.cosScale)
        m.qk.scale = params[0];
}

void applyPosition(Method &m, const std::string &text, const MethodDefaults &config, int64_t T)
{
    const auto parts = splitOn(text, ':');
    const auto &info = findValue("position", parts[0], "--position", text);
    const auto params = parseParameters(info, {parts.begin() + 1, parts.end()}, "--position", text, config, T);
    Position p;
    p.kind = enumOf<PositionKind>(info.value, {{"rope", PositionKind::Rope},
                                               {"pi", PositionKind::Pi},
                                               {"ntk", PositionKind::Ntk},
                                               {"yarn", PositionKind::Yarn},
                                               {"rerope", PositionKind::Rerope},
                                               {"window", PositionKind::Window},
                                               {"alibi", PositionKind::Alibi},
                                               {"streamingllm", PositionKind::StreamingLlm},
                                               {"lminfinite", PositionKind::LmInfinite},
                                               {"native", PositionKind::Native}});
    switch (p.kind) {
    case PositionKind::Rerope:
    case PositionKind::Window: p.window = static_cast<int64_t>(params[0]); break;
    case PositionKind::Alibi: p.slope = params[0]; break;
    case PositionKind::StreamingLlm:
    case PositionKind::LmInfinite:
        p.sinks = static_cast<int64_t>(params[0]);
        p.window = static_cast<int64_t>(params[1]);
        break;
    case PositionKind::Pi:
    case PositionKind::Ntk:
    case PositionKind::Yarn: p.factor = params[0]; break;
    case PositionKind::Native:
        if (config.ropeScaling)
            p.scaling = config.ropeScaling;
        else
            p.kind = PositionKind::Rope; // no rope_scaling: the checkpoint's own position is plain RoPE
        break;
    default: break;
    }
    m.position = p;
}

KeyCount parseKeyCount(const std::string &s)
{
    if (s.empty() || s == "rows")
        return KeyCount::Rows;
    if (s == "visible")
        return KeyCount::Visible;
    throw Error("--key-count: unknown '" + s + "' (expected rows or visible)");
}

std::string nativeTemperature(const MethodDefaults &c) { return c.normalization; }
std::string nativeQk(const MethodDefaults &c) { return c.cosScale ? "cosscale" : "plain"; }

} // namespace

std::string formatNumber(double v)
{
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
        return std::string(buf, r.ptr);
    }
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

Method Method::parse(const std::string &temperature, const std::string &qk, const std::string &position,
                     const MethodDefaults &config, int64_t trainLength, const std::string &keyCount)
{
    if (trainLength < 1)
        throw Error("--train-length: must be a positive integer, got " + std::to_string(trainLength));
    Method m;
    applyTemperature(m, temperature.empty() ? nativeTemperature(config) : temperature, config, trainLength);
    applyQk(m, qk.empty() ? nativeQk(config) : qk, config, trainLength);
    applyPosition(m, position.empty() ? "native" : position, config, trainLength);
    m.keyCount = parseKeyCount(keyCount);
    return m;
}

Method Method::preset(const std::string &name, const MethodDefaults &config, int64_t trainLength, const std::string &keyCount)
{
    for (const auto &p : kPresets)
        if (p.name == name)
            return parse(p.temperature, p.qk, p.position, config, trainLength, keyCount);
    std::string known;
    for (const auto &p : kPresets)
        known += (known.empty() ? "" : ", ") + p.name;
    throw Error("--preset: unknown '" + name + "' (known: " + known + ")");
}

Method Method::fromString(const std::string &text, const MethodDefaults &config, int64_t trainLength,
                          const std::string &keyCount)
{
    auto parts = splitOn(text, ',');
    for (auto &p : parts)
        p = trimmed(p);
    std::string count = keyCount;
    if (parts.size() == 2 || parts.size() == 4) { // a trailing key count
        count = parts.back();
        parts.pop_back();
    }
    if (parts.size() == 3)
        return parse(parts[0], parts[1], parts[2], config, trainLength, count);
    if (parts.size() != 1 || parts[0].empty())
        throw Error("method '" + text + "': expected a preset name or temperature,qk,position[,visible]");
    return preset(parts[0], config, trainLength, count);
}

MethodSpec Method::spec() const
{
    MethodSpec s;
    switch (temperature) {
    case Temperature::Softmax: s.temperature = "softmax"; break;
    case Temperature::SoftmaxPlus: s.temperature = "softmax_plus"; break;
    case Temperature::LogN: s.temperature = "logn"; break;
    case Temperature::InfoScale: s.temperature = "infoscale"; break;
    case Temperature::SsMax: s.temperature = "ssmax:" + formatNumber(ssmaxScale); break;
    case Temperature::SquaredRelu: s.temperature = "squared_relu"; break;
    }
    s.qk = qk.cosScale ? "cosscale:" + formatNumber(qk.scale) : "plain";
    const std::string w = std::to_string(position.window);
    const std::string f = position.factor > 0 ? ":" + formatNumber(position.factor) : "";
    switch (position.kind) {
    case PositionKind::Rope: s.position = "rope"; break;
    case PositionKind::Pi: s.position = "pi" + f; break;
    case PositionKind::Ntk: s.position = "ntk" + f; break;
    case PositionKind::Yarn: s.position = "yarn" + f; break;
    case PositionKind::Native: s.position = "native"; break;
    case PositionKind::Rerope: s.position = "rerope:" + w; break;
    case PositionKind::Window: s.position = "window:" + w; break;
    case PositionKind::Alibi: s.position = "alibi:" + formatNumber(position.slope); break;
    case PositionKind::StreamingLlm: s.position = "streamingllm:" + std::to_string(position.sinks) + ":" + w; break;
    case PositionKind::LmInfinite: s.position = "lminfinite:" + std::to_string(position.sinks) + ":" + w; break;
    }
    if (keyCount == KeyCount::Visible)
        s.keyCount = "visible";
    return s;
}

bool Method::visible(int64_t i, int64_t j) const
{
    const int64_t dist = i > j ? i - j : j - i;
    switch (position.kind) {
    case PositionKind::Window: return dist < position.window;
    case PositionKind::StreamingLlm:
    case PositionKind::LmInfinite: return dist < position.window || j < position.sinks;
    default: return true;
    }
}

int64_t Method::visibleKeys(int64_t i, int64_t n) const
{
    if (!hasVisibilityMask())
        return n;
    const int64_t W = position.window;
    const int64_t lo = std::max<int64_t>(0, i - W + 1), hi = std::min<int64_t>(n - 1, i + W - 1);
    int64_t count = hi - lo + 1;
    if (position.kind != PositionKind::Window) {
        const int64_t sinks = std::min<int64_t>(position.sinks, n);
        count += std::max<int64_t>(0, std::min(sinks, lo));              // sinks left of the window
        count += std::max<int64_t>(0, sinks - std::max<int64_t>(hi + 1, 0)); // sinks right of it (small i)
    }
    return count;
}

int64_t Method::keyCountOf(int64_t i, int64_t n) const
{
    return keyCount == KeyCount::Visible ? visibleKeys(i, n) : n;
}

double Method::tau(int64_t keys, int64_t trainLength, int64_t keySize) const
{
    return temperatureFactor(temperature, keys, trainLength, keySize, ssmaxScale);
}

double temperatureFactor(Temperature t, int64_t n, int64_t trainLength, int64_t keySize, double ssmaxScale)
{
    const double nn = static_cast<double>(n);
    const double tt = static_cast<double>(trainLength);
    switch (t) {
    case Temperature::SoftmaxPlus: return std::log(nn) / std::log(512.0);
    case Temperature::LogN: return tt > 1 ? std::max(1.0, std::log(nn) / std::log(tt)) : 1.0;
    case Temperature::SsMax: return ssmaxScale * std::log(nn);
    case Temperature::InfoScale: {
        const double e = -2.0 / static_cast<double>(keySize);
        const double denom = 1.0 - std::pow(tt, e);
        if (denom <= 0)
            return 1.0;
        return std::sqrt((1.0 - std::pow(nn, e)) / denom);
    }
    case Temperature::Softmax:
    case Temperature::SquaredRelu: return 1.0;
    }
    return 1.0;
}

void yarnRampLimits(int64_t keySize, int64_t trainLength, double base, int64_t &lo, int64_t &hi)
{
    const double d = static_cast<double>(keySize);
    auto c = [&](double beta) {
        return d * std::log(static_cast<double>(trainLength) / (2.0 * M_PI * beta)) / (2.0 * std::log(base));
    };
    lo = std::max<int64_t>(static_cast<int64_t>(std::floor(c(32.0))), 0);
    hi = std::min<int64_t>(static_cast<int64_t>(std::ceil(c(1.0))), keySize - 1);
}

namespace {
std::string fixed(double v, int digits = 4)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}
const AxisValueInfo &infoOf(const std::string &axis, const std::string &canonical)
{
    const std::string name = canonical.substr(0, canonical.find(':'));
    for (const auto &v : kAxisValues)
        if (v.axis == axis && v.value == name)
            return v;
    throw Error("internal error: no axis value for '" + canonical + "'");
}
std::string withSource(const std::string &line, const AxisValueInfo &info)
{
    return info.source.empty() ? line : line + " (" + info.source + ")";
}
} // namespace

std::vector<std::string> methodFormulas(const Method &m, int64_t n, int64_t d, int64_t T)
{
    const MethodSpec spec = m.spec();
    const std::string nn = std::to_string(n), dd = std::to_string(d), tt = std::to_string(T);
    const std::string ni = m.keyCount == KeyCount::Visible ? "n_i (visible keys; " + nn + " away from windows)" : "n";
    std::vector<std::string> out;
    std::string t;
    switch (m.temperature) {
    case Temperature::Softmax: t = "τ = 1: plain softmax"; break;
    case Temperature::SoftmaxPlus:
        t = "τ = ln " + ni + " / ln 512 = " + fixed(m.tau(n, T, d)) + " at n = " + nn;
        break;
    case Temperature::LogN:
        t = "τ = max(1, ln " + ni + " / ln T) = " + fixed(m.tau(n, T, d)) + " at n = " + nn + ", T = " + tt;
        break;
    case Temperature::InfoScale:
        t = "τ = sqrt((1 − " + ni + "^(−2/d)) / (1 − T^(−2/d))) = " + fixed(m.tau(n, T, d)) + " at n = " + nn
            + ", d = " + dd + ", T = " + tt;
        break;
    case Temperature::SsMax:
        t = "τ = s·ln " + ni + " = " + formatNumber(m.ssmaxScale) + " · ln " + nn + " = " + fixed(m.tau(n, T, d));
        break;
    case Temperature::SquaredRelu: t = "A_ij = relu(s_ij)² / " + ni + ", no softmax"; break;
    }
    out.push_back(withSource(t, infoOf("temperature", spec.temperature)));
    if (m.qk.cosScale)
        out.push_back(withSource("score = S·cos(q̂, k̂) with S = " + formatNumber(m.qk.scale)
                                     + " (q, k normalised before RoPE; |score| ≤ S)",
                                 infoOf("qk", spec.qk)));
    else
        out.push_back("q, k as the model computes them (no CosScale)");
    const bool longer = n > T;
    const double s = static_cast<double>(n) / static_cast<double>(T);
    const double F = m.position.factor;
    const bool fixedFactor = F > 0;
    const std::string W = std::to_string(m.position.window);
    std::string p;
    switch (m.position.kind) {
    case PositionKind::Rope: p = "RoPE at the original positions i, j (plain extrapolation)"; break;
    case PositionKind::Pi:
        if (fixedFactor)
            p = "positions / F = " + fixed(1.0 / F, 6) + " at every n (Hugging Face's linear, factor F)";
        else
            p = longer ? "positions × T/n = " + fixed(1.0 / s, 6) + " (every angle inside the trained range)"
                       : "n ≤ T: positions unchanged (plain RoPE)";
        break;
    case PositionKind::Ntk:
        if (fixedFactor || longer)
            p = "RoPE base b' = 10000·(" + std::string(fixedFactor ? "F" : "n/T") + ")^(d/(d−2)) = "
                + fixed(10000.0 * std::pow(fixedFactor ? F : s, double(d) / (d - 2.0)), 0)
                + (fixedFactor ? " at every n" : "");
        else
            p = "n ≤ T: base 10000 (plain RoPE)";
        break;
    case PositionKind::Yarn: {
        int64_t lo = 0, hi = 0;
        yarnRampLimits(d, T, 10000.0, lo, hi);
        const double ys = fixedFactor ? F : s;
        const double f = ys > 1 ? 0.1 * std::log(ys) + 1.0 : 1.0;
        p = fixedFactor || longer
                ? std::string(fixedFactor ? "s = F = " : "s = n/T = ") + fixed(ys, 2) + ", ramp lo = " + std::to_string(lo)
                      + ", hi = " + std::to_string(hi)
                      + " (frequencies below lo kept, above hi interpolated), scores × (0.1 ln s + 1)² = " + fixed(f * f)
                : "n ≤ T: plain RoPE";
        break;
    }
    case PositionKind::Native: {
        const RopeScaling &r = *m.position.scaling;
        p = "the checkpoint's rope_scaling: " + r.typeName() + ", factor " + formatNumber(r.factor) + ", original "
            + std::to_string(r.originalMax) + " positions";
        switch (r.type) {
        case RopeScaling::Type::Linear: p += " (positions / factor at every n)"; break;
        case RopeScaling::Type::Dynamic:
            p += n > r.originalMax ? " (base recomputed for n = " + nn + ")" : " (n ≤ original: plain RoPE)";
            break;
        case RopeScaling::Type::Yarn: p += " (ramped interpolation, attention factor² on the scores)"; break;
        case RopeScaling::Type::Llama3:
            p += ", low/high frequency factors " + formatNumber(r.lowFreqFactor) + "/" + formatNumber(r.highFreqFactor);
            break;
        }
        break;
    }
    case PositionKind::Rerope: p = "relative position i − j clamped to ±(W − 1), W = " + W; break;
    case PositionKind::Window:
        p = "keys with |i − j| < W = " + W + " only: " + std::to_string(2 * m.position.window - 1)
            + " keys for a row away from the ends";
        break;
    case PositionKind::Alibi: p = "no rotation; bias −M·|i − j| with M = " + formatNumber(m.position.slope); break;
    case PositionKind::StreamingLlm:
        p = "keys with |i − j| < W = " + W + " plus the first S = " + std::to_string(m.position.sinks)
            + " (sinks), RoPE at the original positions";
        break;
    case PositionKind::LmInfinite:
        p = "keys with |i − j| < W = " + W + " plus S = " + std::to_string(m.position.sinks)
            + " sinks, distances clamped at W − 1";
        break;
    }
    out.push_back(withSource(p, infoOf("position", spec.position)));
    return out;
}

std::vector<std::string> untrainedAxes(const Method &m, const MethodDefaults &config)
{
    std::vector<std::string> out;
    const MethodSpec spec = m.spec();
    const std::string trainedT = nativeTemperature(config);
    const std::string t = spec.temperature.substr(0, spec.temperature.find(':'));
    if (t != trainedT) {
        const bool softmaxFamily = t != "squared_relu" && trainedT != "squared_relu";
        out.push_back("temperature " + spec.temperature + ": the checkpoint was trained with " + trainedT
                      + (softmaxFamily ? " (a training-free rescaling of its logits)"
                                       : " (a different row normaliser: out of distribution)"));
    }
    if (m.qk.cosScale != config.cosScale) {
        if (config.cosScale)
            out.push_back("qk plain: the checkpoint was trained with cosscale:"
                          + formatNumber(config.cosScaleValue.value_or(infoOf("qk", "cosscale").parameters[0].fixedDefault))
                          + ", so this removes CosScale (an ablation, out of distribution)");
        else
            out.push_back("qk " + spec.qk + ": the checkpoint was trained without CosScale, so its q·k were never "
                          "normalised (out of distribution: expect a near-diagonal map)");
    } else if (m.qk.cosScale && config.cosScaleValue && m.qk.scale != *config.cosScaleValue) {
        out.push_back("qk " + spec.qk + ": the checkpoint was trained with S = " + formatNumber(*config.cosScaleValue));
    }
    if (config.ropeScaling && m.position.kind != PositionKind::Native)
        out.push_back("position " + spec.position + ": replaces the checkpoint's rope_scaling ("
                      + config.ropeScaling->typeName() + ", factor " + formatNumber(config.ropeScaling->factor)
                      + "; `native` applies it)");
    return out;
}

const std::vector<PresetInfo> &presetInfos() { return kPresets; }

const std::vector<AxisValueInfo> &axisValueInfos() { return kAxisValues; }

std::string methodVocabularyHelp()
{
    std::string s = "  presets (each sets only the axes it names; · = the checkpoint's own):\n";
    auto axis = [](const std::string &v) { return v.empty() ? std::string("·") : v; };
    for (const auto &p : kPresets) {
        std::string name = "    " + p.name;
        name.resize(std::max<size_t>(name.size() + 1, 24), ' ');
        s += name + axis(p.temperature) + " × " + axis(p.qk) + " × " + axis(p.position) + "  " + p.description + "\n";
    }
    std::string lastAxis;
    for (const auto &v : kAxisValues) {
        if (v.axis != lastAxis)
            s += "  --" + v.axis + " values:\n";
        lastAxis = v.axis;
        std::string name = "    " + v.value;
        for (const auto &p : v.parameters)
            name += "[:" + p.name;
        name += std::string(v.parameters.size(), ']');
        name.resize(std::max<size_t>(name.size() + 1, 24), ' ');
        s += name + v.description;
        for (const auto &p : v.parameters)
            s += "; " + p.name + ": " + p.description;
        s += v.source.empty() ? "\n" : " (" + v.source + ")\n";
    }
    return s;
}

} // namespace entroscope
