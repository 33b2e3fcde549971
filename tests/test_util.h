// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Shared helpers for the engine tests: fixture paths and golden-file loading.

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QtTest>

namespace testutil {

inline QString dataPath(const QString &rel)
{
    return QStringLiteral(ENTROSCOPE_TEST_DATA) + QLatin1Char('/') + rel;
}

inline QJsonDocument readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", qPrintable(path));
    QJsonParseError err;
    auto doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError)
        qFatal("bad JSON in %s: %s", qPrintable(path), qPrintable(err.errorString()));
    return doc;
}

inline std::vector<int64_t> toIds(const QJsonArray &a)
{
    std::vector<int64_t> ids;
    for (const auto &v : a)
        ids.push_back(static_cast<int64_t>(v.toDouble()));
    return ids;
}

} // namespace testutil
