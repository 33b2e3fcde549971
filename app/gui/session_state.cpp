// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "session_state.h"

#include "text/inputs.h"

#include <algorithm>
#include <cmath>

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSettings>

namespace entroscope {

QJsonObject SessionState::toJson() const
{
    QJsonObject o;
    o[QStringLiteral("format")] = QStringLiteral("entroscope-session");
    o[QStringLiteral("version")] = kVersion;
    o[QStringLiteral("model")] = modelDir;
    o[QStringLiteral("text")] = text;
    o[QStringLiteral("length")] = double(length);
    o[QStringLiteral("fill")] = fill;
    o[QStringLiteral("method")] = method;
    o[QStringLiteral("compare")] = QJsonArray::fromStringList(compareMethods);
    if (!compareReference.isEmpty())
        o[QStringLiteral("compare_reference")] = compareReference;
    o[QStringLiteral("train_length")] = double(trainLength);
    o[QStringLiteral("layer")] = layer;
    o[QStringLiteral("head")] = head;
    QJsonObject v;
    v[QStringLiteral("tab")] = view;
    v[QStringLiteral("log_scale")] = logScale;
    if (inspectQuery >= 0)
        v[QStringLiteral("inspect_query")] = double(inspectQuery);
    o[QStringLiteral("view")] = v;
    return o;
}

namespace {

// A JSON number as an integer; `fallback` when absent. Values that are not integral or lie beyond ±2^53
// make *ok false (a double beyond int64 cannot even be cast).
qint64 integerValue(const QJsonValue &v, qint64 fallback, bool *ok)
{
    if (v.isUndefined() || v.isNull())
        return fallback;
    const double d = v.toDouble(std::nan(""));
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9007199254740992.0) {
        *ok = false;
        return fallback;
    }
    return qint64(d);
}

// Error messages quote values from the file: one line, whatever they hold.
QString oneLine(QString text)
{
    QString out;
    for (const QChar c : text) {
        if (c == QLatin1Char('\n'))
            out += QStringLiteral("\\n");
        else if (c == QLatin1Char('\r'))
            out += QStringLiteral("\\r");
        else if (c.unicode() < 0x20 || c.unicode() == 0x7f || c.category() == QChar::Separator_Line
                 || c.category() == QChar::Separator_Paragraph)
            out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out.size() > 300 ? out.left(299) + QChar(0x2026) : out;
}

} // namespace

bool SessionState::fromJson(const QJsonObject &o, SessionState *state, QString *error)
{
    if (o.value(QStringLiteral("format")).toString() != QLatin1String("entroscope-session")) {
        if (error)
            *error = QStringLiteral("not an EntroScope session (no \"format\": \"entroscope-session\")");
        return false;
    }
    SessionState s;
    s.modelDir = o.value(QStringLiteral("model")).toString();
    s.text = o.value(QStringLiteral("text")).toString();
    bool numbersOk = true;
    s.length = integerValue(o.value(QStringLiteral("length")), s.length, &numbersOk);
    s.fill = o.value(QStringLiteral("fill")).toString(s.fill);
    s.method = o.value(QStringLiteral("method")).toString(s.method);
    for (const auto &v : o.value(QStringLiteral("compare")).toArray())
        s.compareMethods << v.toString();
    s.compareReference = o.value(QStringLiteral("compare_reference")).toString();
    s.trainLength = integerValue(o.value(QStringLiteral("train_length")), 0, &numbersOk);
    s.layer = o.value(QStringLiteral("layer")).toInt(0);
    s.head = std::max(-1, o.value(QStringLiteral("head")).toInt(-1));
    const QJsonObject v = o.value(QStringLiteral("view")).toObject();
    s.view = v.value(QStringLiteral("tab")).toInt(0);
    s.logScale = v.value(QStringLiteral("log_scale")).toBool(false);
    s.inspectQuery = integerValue(v.value(QStringLiteral("inspect_query")), -1, &numbersOk);
    if (!numbersOk || s.trainLength < 0 || s.inspectQuery < -1) {
        if (error)
            *error = QStringLiteral("a length, train_length or inspect_query in the session is not a valid integer");
        return false;
    }
    const auto &modes = fillModes();
    if (s.length < 1 || std::find(modes.begin(), modes.end(), s.fill.toStdString()) == modes.end()) {
        if (error)
            *error = QStringLiteral("invalid length (%1) or fill ('%2') in the session").arg(s.length).arg(oneLine(s.fill));
        return false;
    }
    *state = s;
    return true;
}

bool SessionState::save(const QString &path, QString *error) const
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return false;
    }
    f.write(QJsonDocument(toJson()).toJson(QJsonDocument::Indented));
    if (!f.commit()) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

bool SessionState::load(const QString &path, SessionState *state, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, f.errorString());
        return false;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    if (!doc.isObject()) {
        if (error)
            *error = QStringLiteral("%1: not JSON (%2)").arg(path, pe.errorString());
        return false;
    }
    QString why;
    if (!fromJson(doc.object(), state, &why)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, oneLine(why));
        return false;
    }
    return true;
}

bool SessionState::operator==(const SessionState &o) const
{
    return modelDir == o.modelDir && text == o.text && length == o.length && fill == o.fill && method == o.method
           && compareMethods == o.compareMethods
           && compareReference == o.compareReference && trainLength == o.trainLength && layer == o.layer
           && head == o.head
           && view == o.view && logScale == o.logScale && inspectQuery == o.inspectQuery;
}

bool SessionState::restoreLast(SessionState *state)
{
    const QByteArray last = QSettings().value(QStringLiteral("session/last")).toByteArray();
    if (last.isEmpty())
        return false;
    SessionState restored;
    if (!fromJson(QJsonDocument::fromJson(last).object(), &restored) || !QFileInfo(restored.modelDir).isDir())
        return false;
    *state = restored;
    return true;
}

void SessionState::storeLast() const
{
    QSettings().setValue(QStringLiteral("session/last"), QJsonDocument(toJson()).toJson(QJsonDocument::Compact));
}

} // namespace entroscope
