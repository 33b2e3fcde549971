// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// SessionState: everything the window shows, as a value, and its `.entroscope` JSON file format.
// Reentrant; no engine types.

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace entroscope {

struct SessionState
{
    static constexpr int kVersion = 1;

    QString modelDir;
    QString text;
    qint64 length = 64;
    QString fill = QStringLiteral("tile");
    QString method = QStringLiteral("native"); ///< preset name or "temperature,qk,position"
    /// The ticked methods of the compare list, in the order they were ticked (0–3). The primary `method`
    /// is never compared with itself: ticked and then made primary, it waits here until it is not.
    QStringList compareMethods;
    QString compareReference; ///< which compared method the difference and JS use (empty: the first)
    qint64 trainLength = 0;                     ///< 0 = the model's T
    int layer = 0;
    int head = -1; ///< the selected head; -1: the mean of the heads (one-head models ignore it)
    int view = 0; ///< tab index
    bool logScale = false;
    qint64 inspectQuery = -1; ///< the token inspector's query (-1: none)

    QJsonObject toJson() const;
    /// Reads what toJson() writes; unknown keys are ignored, missing ones keep their defaults.
    /// Returns false and sets *error when `json` is not an EntroScope session.
    static bool fromJson(const QJsonObject &json, SessionState *state, QString *error = nullptr);

    /// Writes the JSON file atomically (QSaveFile). False + *error (naming the file) on failure.
    bool save(const QString &path, QString *error = nullptr) const;
    static bool load(const QString &path, SessionState *state, QString *error = nullptr);

    /// The state the window had when it was last closed (QSettings "session/last", written by
    /// storeLast() from MainWindow::closeEvent). False when there is none, it is not a session, or
    /// its model folder no longer exists (the caller then opens on the defaults).
    static bool restoreLast(SessionState *state);
    void storeLast() const;

    bool operator==(const SessionState &o) const;
    bool operator!=(const SessionState &o) const { return !(*this == o); }
};

} // namespace entroscope
