// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Shared look and small pure helpers of the plot widgets: colour gradients, series colours, token and
// distance-bin labels, CSV quoting, and filling a QCPColorMap from an AttentionMap.
// All functions are reentrant; the ones taking QCP objects must run in the GUI thread.

#include "analysis/result_types.h"

#include <QColor>
#include <QJsonArray>
#include <QString>

#include <cstdint>
#include <string>
#include <vector>

class QCPAxis;
class QCPColorGradient;
class QCPColorMap;
class QCPColorScale;
class QCPRange;

namespace entroscope {

/// Smallest weight shown on a log colour scale; smaller weights (including 0) are drawn at this floor.
constexpr double kLogFloor = 1e-6;
/// Token labels replace numeric ticks when at most this many positions are visible on an axis.
constexpr int kMaxLabelledTokens = 48;

/// Perceptual sequential gradient (matplotlib's viridis; QCustomPlot 2.1 has no viridis preset).
QCPColorGradient viridisGradient();
/// Diverging gradient for signed data (blue < 0, near-white at 0, red > 0; ColorBrewer RdBu).
/// Use with a range symmetric around 0.
QCPColorGradient divergingGradient();
/// A distinct, colour-blind-friendly colour for series number `index` (cycles after 8).
QColor seriesColor(int index);
/// The colour of a method, the same in every view and every session: the presets have fixed colours
/// (infoscale always green, extrapolate always blue, …), other method strings one chosen from their text.
QColor methodColor(const QString &label);

/// A token string made fit for an axis label: whitespace made visible, elided to `maxChars`.
QString tokenLabel(const std::string &token, int maxChars = 10);
/// Label of distance-profile bin b (METHODS.md §3): "0", "1", "2–3", "4–7", …
QString distanceBinLabel(int bin);
/// One CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
QString csvField(const QString &text);
/// Shortest CSV text that reads back as exactly `value`; empty for NaN (a missing value).
QString numberText(double value);
/// Same for float32 values (map weights): shortest text that reads back as the same float.
QString numberText(float value);

/// "max" / "mean" / "none".
QString poolingName(AttentionMap::Pooling pooling);
/// Inclusive token range [first, last] summarised by pooled cell `cell` (last cell may be partial).
void cellTokenRange(int cell, int pool, int64_t length, int64_t *first, int64_t *last);
/// Position lines of a tooltip for map cell (r, c): query/key index and token and |i−j| (pool 1), or
/// the cell's query/key ranges and distance range (pooled). Empty outside the map.
QString cellPositionText(const AttentionMap &map, const std::vector<std::string> &tokens, int r, int c);
/// "weight" (pool 1) or "max of 8×8" / "mean of 8×8" (pooled).
QString cellValueName(const AttentionMap &map);
/// Tooltip text of map cell (row r, column c): query/key index and token, weight, distance |i−j|;
/// for pooled maps the cell's ranges and "max/mean of p×p". Empty when (r, c) is outside the map.
QString cellToolTip(const AttentionMap &map, const std::vector<std::string> &tokens, int r, int c);
/// The map as a JSON array of rows.
QJsonArray mapRowsJson(const AttentionMap &map);

/// Colour range that shows a map: [0, max] linear, [max(kLogFloor, min positive), max] for log.
/// Never empty (a constant map gets a small positive width).
QCPRange defaultColorRange(const std::vector<const AttentionMap *> &maps, bool log);

/// Fills `target` so that cell (key = column c, value = row r) holds map.at(r, c), placed in token
/// coordinates (cell centre at c·pool + (pool−1)/2), values clamped to `floor` when floor > 0.
/// A map with a single row or column is stored twice along that axis so QCustomPlot gives it a width.
void fillColorMap(QCPColorMap *target, const AttentionMap &map, double floor);
/// Same placement for a signed map given as rows×cols doubles (difference maps).
void fillColorMap(QCPColorMap *target, int rows, int cols, int pool, const std::vector<double> &values);

/// Range [lo, hi] limited to [minLo, maxHi] keeping its size when it fits, else the whole span.
QCPRange clampRange(const QCPRange &range, double minLo, double maxHi);
/// Puts token-text ticks ("12 the") on `axis` when ≤ kMaxLabelledTokens integer positions are visible
/// and tokens are known, else a numeric ticker. The ticker (a QCPAxisTickerText holding every visible
/// token's label) draws every token, or every 2nd/4th/… when the axis is too short for one text line
/// per token. Returns true when token labels are shown.
bool updateTokenTicker(QCPAxis *axis, const std::vector<std::string> &tokens);

/// Integer ticks for a layer axis: every layer up to 32 layers, readable multiples beyond.
void setLayerTicks(QCPAxis *axis, int layerCount);

/// Sets the usual axis look: labels, a light grid, no sub-grid.
void styleAxis(QCPAxis *axis, const QString &label);
/// Gives a colour scale a fixed outer width (bar, tick labels and axis label), so that switching between
/// linear and log ticks (whose labels differ in width) does not resize the maps beside it. For a vertical
/// (atRight) scale whose bar width is already set.
void fixColorScaleWidth(QCPColorScale *scale, int width = 100);

} // namespace entroscope
