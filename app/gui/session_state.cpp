// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "session_state.h"

#include "inputs.h"

#include <algorithm>

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
    QJsonObject v;
    v[QStringLiteral("tab")] = view;
    v[QStringLiteral("log_scale")] = logScale;
    if (inspectQuery >= 0)
        v[QStringLiteral("inspect_query")] = double(inspectQuery);
    o[QStringLiteral("view")] = v;
    return o;
}

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
    s.length = qint64(o.value(QStringLiteral("length")).toDouble(double(s.length)));
    s.fill = o.value(QStringLiteral("fill")).toString(s.fill);
    s.method = o.value(QStringLiteral("method")).toString(s.method);
    for (const auto &v : o.value(QStringLiteral("compare")).toArray())
        s.compareMethods << v.toString();
    s.compareReference = o.value(QStringLiteral("compare_reference")).toString();
    s.trainLength = qint64(o.value(QStringLiteral("train_length")).toDouble(0));
    s.layer = o.value(QStringLiteral("layer")).toInt(0);
    const QJsonObject v = o.value(QStringLiteral("view")).toObject();
    s.view = v.value(QStringLiteral("tab")).toInt(0);
    s.logScale = v.value(QStringLiteral("log_scale")).toBool(false);
    s.inspectQuery = qint64(v.value(QStringLiteral("inspect_query")).toDouble(-1));
    const auto &modes = fillModes();
    if (s.length < 1 || std::find(modes.begin(), modes.end(), s.fill.toStdString()) == modes.end()) {
        if (error)
            *error = QStringLiteral("invalid length (%1) or fill ('%2') in the session").arg(s.length).arg(s.fill);
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
            *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    }
    return true;
}

bool SessionState::operator==(const SessionState &o) const
{
    return modelDir == o.modelDir && text == o.text && length == o.length && fill == o.fill && method == o.method
           && compareMethods == o.compareMethods
           && compareReference == o.compareReference && trainLength == o.trainLength && layer == o.layer
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
