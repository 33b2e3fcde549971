// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "method.h"

#include "config.h"
#include "errors.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <array>
#include <map>

namespace entroscope {
namespace {

constexpr double kDefaultAlibiSlope = 1.0 / 256.0;
constexpr int64_t kDefaultSinks = 4;
constexpr double kDefaultCosScale = 128.0;

std::vector<std::string> splitColon(const std::string &s)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const size_t pos = s.find(':', start);
        parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
        if (pos == std::string::npos)
            break;
        start = pos + 1;
    }
    return parts;
}

double parseNumber(const std::string &text, const std::string &flag, const std::string &value, const char *what)
{
    const char *begin = text.data();
    char *end = nullptr;
    const double v = std::strtod(begin, &end);
    if (text.empty() || end != begin + text.size() || !std::isfinite(v))
        throw Error(flag + ": invalid '" + value + "': " + what + " must be a number, got '" + text + "'");
    return v;
}

int64_t parsePositiveInt(const std::string &text, const std::string &flag, const std::string &value,
                         const char *what, int64_t minValue)
{
    const double v = parseNumber(text, flag, value, what);
    if (v != std::floor(v) || v < static_cast<double>(minValue) || v > 1e12)
        throw Error(flag + ": invalid '" + value + "': " + what + " must be an integer >= "
                    + std::to_string(minValue) + ", got '" + text + "'");
    return static_cast<int64_t>(v);
}

Temperature parseTemperature(const std::string &s)
{
    static const std::map<std::string, Temperature> names = {
        {"softmax", Temperature::Softmax},     {"softmax_plus", Temperature::SoftmaxPlus},
        {"logn", Temperature::LogN},           {"infoscale", Temperature::InfoScale},
        {"squared_relu", Temperature::SquaredRelu},
    };
    auto it = names.find(s);
    if (it == names.end())
        throw Error("--temperature: unknown '" + s + "' (expected softmax, softmax_plus, logn, infoscale or squared_relu)");
    return it->second;
}

QkNorm parseQk(const std::string &s, const GauConfig &config)
{
    const auto parts = splitColon(s);
    QkNorm qk;
    if (parts[0] == "plain" && parts.size() == 1)
        return qk;
    if (parts[0] == "cosscale" && parts.size() <= 2) {
        qk.cosScale = true;
        qk.scale = config.cosScaleValue.value_or(kDefaultCosScale);
        if (parts.size() == 2) {
            qk.scale = parseNumber(parts[1], "--qk", s, "the scale S");
            if (!(qk.scale > 0))
                throw Error("--qk: invalid '" + s + "': the scale S must be > 0");
        }
        return qk;
    }
    throw Error("--qk: unknown '" + s + "' (expected plain or cosscale[:S])");
}

Position parsePosition(const std::string &s, int64_t trainLength)
{
    const auto parts = splitColon(s);
    const std::string &name = parts[0];
    const size_t nParams = parts.size() - 1;
    auto tooMany = [&](size_t allowed) {
        if (nParams > allowed)
            throw Error("--position: invalid '" + s + "': " + name + " takes at most " + std::to_string(allowed)
                        + " parameter(s)");
    };
    Position p;
    if (name == "rope" || name == "pi" || name == "ntk" || name == "yarn") {
        tooMany(0);
        p.kind = name == "rope" ? PositionKind::Rope
                 : name == "pi" ? PositionKind::Pi
                 : name == "ntk" ? PositionKind::Ntk
                                 : PositionKind::Yarn;
        return p;
    }
    if (name == "rerope" || name == "window") {
        tooMany(1);
        p.kind = name == "rerope" ? PositionKind::Rerope : PositionKind::Window;
        p.window = nParams ? parsePositiveInt(parts[1], "--position", s, "the window W", 1) : trainLength;
        return p;
    }
    if (name == "alibi") {
        tooMany(1);
        p.kind = PositionKind::Alibi;
        p.slope = nParams ? parseNumber(parts[1], "--position", s, "the slope M") : kDefaultAlibiSlope;
        if (p.slope < 0)
            throw Error("--position: invalid '" + s + "': the slope M must be >= 0");
        return p;
    }
    if (name == "streamingllm" || name == "lminfinite") {
        tooMany(2);
        p.kind = name == "streamingllm" ? PositionKind::StreamingLlm : PositionKind::LmInfinite;
        p.sinks = nParams >= 1 ? parsePositiveInt(parts[1], "--position", s, "the sink count S", 0) : kDefaultSinks;
        p.window = nParams >= 2 ? parsePositiveInt(parts[2], "--position", s, "the window W", 1) : trainLength;
        return p;
    }
    throw Error("--position: unknown '" + s
                + "' (expected rope, pi, ntk, yarn, rerope[:W], window[:W], alibi[:M], streamingllm[:S[:W]], "
                  "lminfinite[:S[:W]])");
}

std::string nativeTemperature(const GauConfig &c) { return c.normalization; }
std::string nativeQk(const GauConfig &c) { return c.trainedWithCosScale() ? "cosscale" : "plain"; }

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
                     const GauConfig &config, int64_t trainLength)
{
    if (trainLength < 1)
        throw Error("--train-length: must be a positive integer, got " + std::to_string(trainLength));
    Method m;
    m.temperature = parseTemperature(temperature.empty() ? nativeTemperature(config) : temperature);
    m.qk = parseQk(qk.empty() ? nativeQk(config) : qk, config);
    m.position = parsePosition(position.empty() ? "rope" : position, trainLength);
    return m;
}

Method Method::preset(const std::string &name, const GauConfig &config, int64_t trainLength)
{
    static const std::map<std::string, std::array<const char *, 3>> table = {
        {"native", {"", "", "rope"}},
        {"extrapolate", {"softmax", "plain", "rope"}},
        {"log-n", {"softmax_plus", "plain", "rope"}},
        {"infoscale", {"infoscale", "plain", "rope"}},
        {"cosscale", {"softmax", "cosscale", "rope"}},
        {"infoscale+cosscale", {"infoscale", "cosscale", "rope"}},
        {"pi", {"softmax", "plain", "pi"}},
        {"ntk", {"softmax", "plain", "ntk"}},
        {"yarn", {"softmax", "plain", "yarn"}},
        {"rerope", {"softmax", "plain", "rerope"}},
        {"window", {"softmax", "plain", "window"}},
        {"alibi", {"softmax", "plain", "alibi"}},
        {"streamingllm", {"softmax", "plain", "streamingllm"}},
        {"lminfinite", {"softmax", "plain", "lminfinite"}},
    };
    auto it = table.find(name);
    if (it == table.end()) {
        std::string known;
        for (const auto &p : presetInfos())
            known += (known.empty() ? "" : ", ") + p.name;
        throw Error("--preset: unknown '" + name + "' (known: " + known + ")");
    }
    return parse(it->second[0], it->second[1], it->second[2], config, trainLength);
}

MethodSpec Method::spec() const
{
    MethodSpec s;
    switch (temperature) {
    case Temperature::Softmax: s.temperature = "softmax"; break;
    case Temperature::SoftmaxPlus: s.temperature = "softmax_plus"; break;
    case Temperature::LogN: s.temperature = "logn"; break;
    case Temperature::InfoScale: s.temperature = "infoscale"; break;
    case Temperature::SquaredRelu: s.temperature = "squared_relu"; break;
    }
    s.qk = qk.cosScale ? "cosscale:" + formatNumber(qk.scale) : "plain";
    const std::string w = std::to_string(position.window);
    switch (position.kind) {
    case PositionKind::Rope: s.position = "rope"; break;
    case PositionKind::Pi: s.position = "pi"; break;
    case PositionKind::Ntk: s.position = "ntk"; break;
    case PositionKind::Yarn: s.position = "yarn"; break;
    case PositionKind::Rerope: s.position = "rerope:" + w; break;
    case PositionKind::Window: s.position = "window:" + w; break;
    case PositionKind::Alibi: s.position = "alibi:" + formatNumber(position.slope); break;
    case PositionKind::StreamingLlm: s.position = "streamingllm:" + std::to_string(position.sinks) + ":" + w; break;
    case PositionKind::LmInfinite: s.position = "lminfinite:" + std::to_string(position.sinks) + ":" + w; break;
    }
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

double temperatureFactor(Temperature t, int64_t n, int64_t trainLength, int64_t keySize)
{
    const double nn = static_cast<double>(n);
    const double tt = static_cast<double>(trainLength);
    switch (t) {
    case Temperature::SoftmaxPlus: return std::log(nn) / std::log(512.0);
    case Temperature::LogN: return tt > 1 ? std::max(1.0, std::log(nn) / std::log(tt)) : 1.0;
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

const std::vector<PresetInfo> &presetInfos()
{
    static const std::vector<PresetInfo> infos = {
        {"native", "What the checkpoint was trained with: its normalization and norm_method, plain RoPE", "checkpoint config.json"},
        {"extrapolate", "Plain softmax and RoPE run past the training length (the baseline)", "Su et al. 2021 (RoFormer)"},
        {"log-n", "GAU-α's softmax_plus: logits scaled by ln(n)/ln(512)", "Su 2021, kexue.fm/archives/8823"},
        {"infoscale", "InfoScale: temperature keeping attention entropy invariant as n grows", "Li et al. 2025"},
        {"cosscale", "CosScale: cosine attention with scale S", "Li et al. 2025"},
        {"infoscale+cosscale", "InfoScale temperature on CosScale cosine attention", "Li et al. 2025"},
        {"pi", "Position Interpolation: positions scaled by T/n", "Chen et al. 2023"},
        {"ntk", "NTK-aware RoPE: base scaled by (n/T)^(d/(d-2))", "bloc97 2023"},
        {"yarn", "YaRN: ramped per-frequency interpolation and (0.1 ln s + 1)^2 score scale", "Peng et al. 2023"},
        {"rerope", "ReRoPE: relative positions clamped to the window W", "Su 2023, kexue.fm/archives/9708"},
        {"window", "Windowed attention: keys within |i-j| < W only", "Su 2023, kexue.fm/archives/9431"},
        {"alibi", "ALiBi: no rotation, linear distance bias -M|i-j|", "Press et al. 2022"},
        {"streamingllm", "StreamingLLM: window W plus S attention sinks", "Xiao et al. 2024"},
        {"lminfinite", "LM-Infinite: Λ-shaped mask (sinks + window) and clamped distances", "Han et al. 2024"},
    };
    return infos;
}

const std::vector<AxisValueInfo> &axisValueInfos()
{
    static const std::vector<AxisValueInfo> infos = {
        {"temperature", "softmax", "τ = 1", "", {}},
        {"temperature", "softmax_plus", "τ = ln(n)/ln(512) (GAU-α pre-training)", "Su 2021", {}},
        {"temperature", "logn", "τ = max(1, ln n / ln T)", "Chiang & Cholak 2022; Su 2021", {}},
        {"temperature", "infoscale", "τ = sqrt((1-n^(-2/d))/(1-T^(-2/d)))", "Li et al. 2025", {}},
        {"temperature", "squared_relu", "A = relu(s)^2 / n, no softmax", "Hua et al. 2022 (GAU)", {}},
        {"qk", "plain", "q, k as the model computes them", "", {}},
        {"qk", "cosscale", "q, k normalised, score = S·cos", "Li et al. 2025",
         {{"S", "scale; default: the checkpoint's CosScale_value, else 128", 1e-6, 1e6, false}}},
        {"position", "rope", "RoPE at the original positions", "Su et al. 2021", {}},
        {"position", "pi", "positions × T/n when n > T", "Chen et al. 2023", {}},
        {"position", "ntk", "base × (n/T)^(d/(d-2)) when n > T", "bloc97 2023", {}},
        {"position", "yarn", "ramped interpolation, s = n/T", "Peng et al. 2023", {}},
        {"position", "rerope", "relative position clamped to ±(W-1)", "Su 2023",
         {{"W", "window (tokens); default T", 1, 1e9, true}}},
        {"position", "window", "keys with |i-j| < W only", "Su 2023", {{"W", "window (tokens); default T", 1, 1e9, true}}},
        {"position", "alibi", "no rotation, bias -M|i-j|", "Press et al. 2022", {{"M", "slope; default 1/256", 0, 1e3, false}}},
        {"position", "streamingllm", "window W plus the first S keys", "Xiao et al. 2024",
         {{"S", "sink tokens; default 4", 0, 1e9, true}, {"W", "window; default T", 1, 1e9, true}}},
        {"position", "lminfinite", "streamingllm mask plus clamped distances", "Han et al. 2024",
         {{"S", "sink tokens; default 4", 0, 1e9, true}, {"W", "window; default T", 1, 1e9, true}}},
    };
    return infos;
}

} // namespace entroscope
