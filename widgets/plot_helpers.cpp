// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "plot_helpers.h"

#include "qcustomplot_compat.h"

#include <QFontMetrics>
#include <QLocale>
#include <QPointer>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace entroscope {

namespace {

// QCustomPlot's default ticker picks steps like 0.5 when a few positions are visible; token positions
// are integers, so never go below 1.
class IntegerTicker : public QCPAxisTicker
{
protected:
    double getTickStep(const QCPRange &range) override
    {
        return std::max(1.0, QCPAxisTicker::getTickStep(range));
    }
};

// Token texts at integer positions. All labels of the visible range are kept in ticks(); the drawn
// ticks are thinned to every 2nd, 4th, … token when the axis (measured when QCustomPlot lays the
// plot out, so it follows resizes and export sizes) is too short for one text line per token. x
// labels are rotated, so in both directions a label needs one line height along the axis.
class TokenTicker : public QCPAxisTickerText
{
public:
    explicit TokenTicker(QCPAxis *axis)
        : m_axis(axis)
    {
    }

protected:
    QVector<double> createTickVector(double tickStep, const QCPRange &range) override
    {
        const QVector<double> all = QCPAxisTickerText::createTickVector(tickStep, range);
        int64_t stride = 1;
        if (m_axis && m_axis->axisRect()) {
            const int pixels = m_axis->orientation() == Qt::Horizontal ? m_axis->axisRect()->width()
                                                                      : m_axis->axisRect()->height();
            const double perToken = pixels / std::max(1.0, range.size());
            const int needed = QFontMetrics(m_axis->tickLabelFont()).height() + 1;
            // An axis rect that has not been laid out yet (tiny) gets every token.
            if (pixels >= 40)
                while (stride * perToken < needed && stride < kMaxLabelledTokens)
                    stride *= 2;
        }
        if (stride == 1)
            return all;
        QVector<double> thinned;
        for (double tick : all)
            if (int64_t(std::llround(tick)) % stride == 0)
                thinned.append(tick);
        return thinned;
    }

private:
    QPointer<QCPAxis> m_axis;
};

double cellCentre(int cell, int pool) { return cell * double(pool) + (pool - 1) / 2.0; }

QCPRange cellAxisRange(int count, int pool)
{
    if (count > 1)
        return QCPRange(cellCentre(0, pool), cellCentre(count - 1, pool));
    // One cell is stored twice (see fillColorMap); half a pool apart each side of the centre.
    return QCPRange(cellCentre(0, pool) - pool / 4.0, cellCentre(0, pool) + pool / 4.0);
}

QString quotedToken(const std::vector<std::string> &tokens, int64_t index)
{
    if (index < 0 || index >= static_cast<int64_t>(tokens.size()))
        return QString();
    return QStringLiteral(" “%1”").arg(tokenLabel(tokens[static_cast<size_t>(index)], 24));
}

} // namespace

QCPColorGradient viridisGradient()
{
    // matplotlib viridis sampled at 10 evenly spaced points; linear RGB interpolation between them
    // stays within a few units of the full table.
    static const char *const kStops[] = {"#440154", "#482878", "#3e4989", "#31688e", "#26828e",
                                         "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"};
    constexpr int kCount = int(sizeof(kStops) / sizeof(kStops[0]));
    QCPColorGradient gradient;
    gradient.clearColorStops();
    for (int i = 0; i < kCount; ++i)
        gradient.setColorStopAt(double(i) / (kCount - 1), QColor(kStops[i]));
    gradient.setColorInterpolation(QCPColorGradient::ciRGB);
    gradient.setLevelCount(256);
    return gradient;
}

QCPColorGradient divergingGradient()
{
    static const char *const kStops[] = {"#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
                                         "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"};
    constexpr int kCount = int(sizeof(kStops) / sizeof(kStops[0]));
    QCPColorGradient gradient;
    gradient.clearColorStops();
    for (int i = 0; i < kCount; ++i)
        gradient.setColorStopAt(double(i) / (kCount - 1), QColor(kStops[i]));
    gradient.setColorInterpolation(QCPColorGradient::ciRGB);
    gradient.setLevelCount(256);
    return gradient;
}

QColor seriesColor(int index)
{
    // Okabe–Ito palette (black replaced by a grey-blue so lines stay visible on grids).
    static const char *const kColors[] = {"#0072b2", "#e69f00", "#009e73", "#d55e00",
                                          "#cc79a7", "#56b4e9", "#5d6d7e", "#c9b400"};
    constexpr int kCount = int(sizeof(kColors) / sizeof(kColors[0]));
    return QColor(kColors[((index % kCount) + kCount) % kCount]);
}

QColor methodColor(const QString &label)
{
    // Okabe–Ito plus darker/lighter variants: 16 fixed preset colours, chosen so that the methods the
    // paper compares most (extrapolate, log-n, logn, infoscale, cosscale, window) are far apart.
    static const std::pair<const char *, const char *> kFixed[] = {
        {"native", "#999999"},      {"extrapolate", "#0072b2"},  {"log-n", "#e69f00"},   {"logn", "#8c510a"},
        {"infoscale", "#009e73"},   {"ssmax", "#7fbf7b"},        {"cosscale", "#cc79a7"}, {"infoscale+cosscale", "#762a83"},
        {"pi", "#56b4e9"},          {"ntk", "#1b9e9e"},          {"yarn", "#5d6d7e"},     {"rerope", "#d55e00"},
        {"window", "#000000"},      {"alibi", "#a6761d"},        {"streamingllm", "#e7298a"}, {"lminfinite", "#b2182b"},
    };
    const QString key = label.trimmed();
    for (const auto &[name, color] : kFixed)
        if (key == QLatin1String(name))
            return QColor(color);
    // Any other method string: a stable choice from its text (qHash is seeded per process; FNV-1a is not).
    uint32_t h = 2166136261u;
    for (const QChar c : key) {
        h ^= c.unicode();
        h *= 16777619u;
    }
    return seriesColor(int(h % 8u));
}

QString tokenLabel(const std::string &token, int maxChars)
{
    QString text = QString::fromStdString(token);
    text.replace(QLatin1Char('\n'), QStringLiteral("↵"));
    text.replace(QLatin1Char('\t'), QStringLiteral("→"));
    text.replace(QLatin1Char('\r'), QString());
    if (text.isEmpty())
        return QStringLiteral("∅");
    if (text.trimmed().isEmpty())
        text.replace(QLatin1Char(' '), QStringLiteral("␣"));
    if (maxChars > 1 && text.size() > maxChars)
        text = text.left(maxChars - 1) + QStringLiteral("…");
    return text;
}

QString distanceBinLabel(int bin)
{
    if (bin <= 1)
        return QString::number(std::max(bin, 0));
    const qint64 lo = qint64(1) << (bin - 1);
    return QStringLiteral("%1–%2").arg(lo).arg(2 * lo - 1);
}

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n'))
        && !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString numberText(double value)
{
    if (std::isnan(value))
        return QString();
    // Shortest text that reads back as the same double.
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

QString numberText(float value)
{
    if (std::isnan(value))
        return QString();
    // Shortest text that reads back as the same float (not the long expansion of the float as a double).
    char buffer[32];
    const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    return QString::fromLatin1(buffer, int(result.ptr - buffer));
}

QString poolingName(AttentionMap::Pooling pooling)
{
    switch (pooling) {
    case AttentionMap::Pooling::Max:
        return QStringLiteral("max");
    case AttentionMap::Pooling::Mean:
        return QStringLiteral("mean");
    case AttentionMap::Pooling::None:
        break;
    }
    return QStringLiteral("none");
}

void cellTokenRange(int cell, int pool, int64_t length, int64_t *first, int64_t *last)
{
    const int64_t p = std::max(pool, 1);
    *first = cell * p;
    *last = (cell + 1) * p - 1;
    if (length > 0)
        *last = std::min(*last, length - 1);
}

QString cellPositionText(const AttentionMap &map, const std::vector<std::string> &tokens, int r, int c)
{
    if (r < 0 || c < 0 || r >= map.rows || c >= map.cols)
        return QString();
    if (map.pool <= 1) {
        // One multi-argument arg() call: token texts may themselves contain "%1".
        return QStringLiteral("query %1%2\nkey %3%4\ndistance |i−j| = %5")
            .arg(QString::number(r), quotedToken(tokens, r), QString::number(c), quotedToken(tokens, c),
                 QString::number(std::abs(r - c)));
    }
    int64_t q0, q1, k0, k1;
    const int64_t n = map.length > 0 ? map.length : int64_t(map.rows) * map.pool;
    cellTokenRange(r, map.pool, n, &q0, &q1);
    cellTokenRange(c, map.pool, n, &k0, &k1);
    const int64_t dMin = std::max<int64_t>(0, std::max(q0, k0) - std::min(q1, k1));
    const int64_t dMax = std::max(q1 - k0, k1 - q0);
    return QStringLiteral("queries %1–%2\nkeys %3–%4\ndistance |i−j| %5–%6")
        .arg(q0)
        .arg(q1)
        .arg(k0)
        .arg(k1)
        .arg(dMin)
        .arg(dMax);
}

QString cellValueName(const AttentionMap &map)
{
    if (map.pool <= 1)
        return QStringLiteral("weight");
    return QStringLiteral("%1 of %2×%2").arg(poolingName(map.pooling)).arg(map.pool);
}

QString cellToolTip(const AttentionMap &map, const std::vector<std::string> &tokens, int r, int c)
{
    if (map.empty())
        return QString();
    const QString position = cellPositionText(map, tokens, r, c);
    if (position.isEmpty())
        return QString();
    return position + QStringLiteral("\n%1 = %2").arg(cellValueName(map), QString::number(map.at(r, c), 'g', 5));
}

QJsonArray mapRowsJson(const AttentionMap &map)
{
    QJsonArray rows;
    for (int r = 0; r < map.rows; ++r) {
        QJsonArray row;
        for (int c = 0; c < map.cols; ++c)
            row.append(double(map.at(r, c)));
        rows.append(row);
    }
    return rows;
}

QCPRange defaultColorRange(const std::vector<const AttentionMap *> &maps, bool log)
{
    double hi = 0;
    double minPositive = std::numeric_limits<double>::infinity();
    for (const AttentionMap *map : maps) {
        if (!map)
            continue;
        for (float v : map->data) {
            if (!std::isfinite(v))
                continue;
            hi = std::max(hi, double(v));
            if (v > 0)
                minPositive = std::min(minPositive, double(v));
        }
    }
    if (!log)
        return QCPRange(0, hi > 0 ? hi : 1);
    if (hi <= kLogFloor)
        return QCPRange(kLogFloor, 1);
    double lo = std::max(kLogFloor, std::isfinite(minPositive) ? minPositive : kLogFloor);
    if (lo >= hi)
        lo = hi / 10;
    return QCPRange(lo, hi);
}

namespace {

// QCPColorMapData has no bulk setter and setCell() costs a bounds check and a data-bounds update per
// cell (~10 ms for a 1024² map). This subclass writes the cell array directly.
class BulkColorMapData : public QCPColorMapData
{
public:
    BulkColorMapData(int keys, int values, const QCPRange &keyRange, const QCPRange &valueRange)
        : QCPColorMapData(keys, values, keyRange, valueRange)
    {
    }
    /// Row-major [valueSize][keySize]; marks the data modified (the map image is rebuilt on draw).
    double *cells()
    {
        mDataModified = true;
        mIsEmpty = false;
        return mData;
    }
    /// What recalculateDataBounds would find, from the pass that wrote the cells.
    void setDataBounds(const QCPRange &bounds) { mDataBounds = bounds; }
    /// A new shape for cells the caller is about to write, all of them: the buffer is kept when it is
    /// large enough (setSize would reallocate and zero-fill 8 MB per 1024² map on every slider stop).
    void reshape(int keys, int values, const QCPRange &keyRange, const QCPRange &valueRange)
    {
        const size_t cells = size_t(keys) * size_t(values);
        if (cells > m_capacity || !mData) {
            delete[] mData; // allocated with new[] by QCPColorMapData or here; freed with delete[] by it
            mData = new double[cells];
            m_capacity = cells;
        }
        mKeySize = keys;
        mValueSize = values;
        setRange(keyRange, valueRange);
    }

private:
    size_t m_capacity = size_t(std::max(keySize(), 0)) * size_t(std::max(valueSize(), 0));
};

template<typename T>
void fillCells(QCPColorMap *target, int rows, int cols, int pool, const T *values, double floor)
{
    if (rows <= 0 || cols <= 0 || !values) {
        target->data()->clear();
        return;
    }
    pool = std::max(pool, 1);
    // A single row or column is drawn as two identical ones (QCPColorMap needs two cells per side).
    const int keys = cols == 1 ? 2 : cols;
    const int valuesCount = rows == 1 ? 2 : rows;
    const QCPRange keyRange = cellAxisRange(cols, pool), valueRange = cellAxisRange(rows, pool);
    // A map of the same shape is refilled in place: no 8 MB allocation (and its page faults and zero
    // fill) per 1024² map and result in the GUI thread.
    // QCPColorMapData is not polymorphic: the map remembers which data object is one of ours.
    static const char *const kOurs = "entroscopeBulkData";
    auto *data = static_cast<BulkColorMapData *>(target->property(kOurs).value<void *>());
    const bool reuse = data && static_cast<QCPColorMapData *>(data) == target->data();
    if (reuse) {
        data->reshape(keys, valuesCount, keyRange, valueRange);
    } else {
        data = new BulkColorMapData(keys, valuesCount, keyRange, valueRange);
        target->setProperty(kOurs, QVariant::fromValue<void *>(data));
    }
    double *out = data->cells();
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (int vr = 0; vr < valuesCount; ++vr) {
        const T *src = values + size_t(std::min(vr, rows - 1)) * size_t(cols);
        double *dst = out + size_t(vr) * size_t(keys);
        for (int kc = 0; kc < cols; ++kc) {
            double v = double(src[kc]);
            if (floor > 0 && !std::isnan(v))
                v = std::max(v, floor);
            dst[kc] = v;
            if (!std::isnan(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
        if (keys > cols)
            dst[1] = dst[0];
    }
    data->setDataBounds(lo <= hi ? QCPRange(lo, hi) : QCPRange(0, 0));
    if (!reuse)
        target->setData(data, false); // takes ownership
}

} // namespace

void fillColorMap(QCPColorMap *target, const AttentionMap &map, double floor)
{
    if (map.data.size() < size_t(std::max(map.rows, 0)) * size_t(std::max(map.cols, 0))) {
        target->data()->clear();
        return;
    }
    fillCells(target, map.rows, map.cols, map.pool, map.data.data(), floor);
}

void fillColorMap(QCPColorMap *target, int rows, int cols, int pool, const std::vector<double> &values)
{
    if (rows <= 0 || cols <= 0 || values.size() < size_t(rows) * size_t(cols)) {
        target->data()->clear();
        return;
    }
    fillCells(target, rows, cols, pool, values.data(), 0.0);
}

QCPRange clampRange(const QCPRange &range, double minLo, double maxHi)
{
    const double span = maxHi - minLo;
    if (range.size() >= span)
        return QCPRange(minLo, maxHi);
    QCPRange result = range;
    if (result.lower < minLo)
        result = QCPRange(minLo, minLo + range.size());
    if (result.upper > maxHi)
        result = QCPRange(maxHi - range.size(), maxHi);
    return result;
}

bool updateTokenTicker(QCPAxis *axis, const std::vector<std::string> &tokens)
{
    const QCPRange range = axis->range();
    const int64_t n = static_cast<int64_t>(tokens.size());
    const int64_t first = std::max<int64_t>(0, int64_t(std::ceil(range.lower)));
    const int64_t last = std::min<int64_t>(n - 1, int64_t(std::floor(range.upper)));
    const bool labelled = n > 0 && last - first + 1 <= kMaxLabelledTokens && last >= first;
    const bool horizontal = axis->orientation() == Qt::Horizontal;
    if (labelled) {
        QSharedPointer<TokenTicker> ticker(new TokenTicker(axis));
        for (int64_t i = first; i <= last; ++i)
            ticker->addTick(double(i), QStringLiteral("%1 %2").arg(i).arg(tokenLabel(tokens[size_t(i)])));
        ticker->setSubTickCount(0);
        axis->setTicker(ticker);
        axis->setTickLabelRotation(horizontal ? -90 : 0);
    } else if (!axis->ticker().dynamicCast<IntegerTicker>()) {
        axis->setTicker(QSharedPointer<QCPAxisTicker>(new IntegerTicker));
        axis->setTickLabelRotation(0);
    }
    return labelled;
}

void setLayerTicks(QCPAxis *axis, int layerCount)
{
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1);
    ticker->setScaleStrategy(layerCount <= 32 ? QCPAxisTickerFixed::ssNone : QCPAxisTickerFixed::ssMultiples);
    axis->setTicker(ticker);
    axis->setSubTicks(false);
}

void styleAxis(QCPAxis *axis, const QString &label)
{
    axis->setLabel(label);
    axis->grid()->setPen(QPen(QColor(0, 0, 0, 40), 0, Qt::DotLine));
    axis->grid()->setSubGridVisible(false);
    axis->setSubTicks(false);
}

void fixColorScaleWidth(QCPColorScale *scale, int width)
{
    // QCPColorScale sizes itself from its inner axis rect's margins on every layout pass, so the margin
    // that holds the tick labels and the axis label (the right one, for a vertical scale) is made manual.
    QCPAxisRect *rect = scale->axis()->axisRect();
    rect->setAutoMargins(rect->autoMargins() & ~QCP::msRight);
    QMargins margins = rect->margins();
    margins.setRight(std::max(width - scale->barWidth(), 0));
    rect->setMargins(margins);
}

} // namespace entroscope
