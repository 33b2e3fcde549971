// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// MethodEditor: the three axes of a method (temperature × qk × position, METHODS.md §1) as combo boxes,
// with one spin box per parameter of the chosen value (from axisValueInfos(): names, ranges, integer or
// not). setSpec() shows a resolved MethodSpec without emitting; user edits emit methodEdited with the
// method string "temperature,qk[:S],position[:P...][,visible]" the engine parses (Method::fromString); the
// check box counts n_i as the visible keys (METHODS.md §1.3). GUI thread only.

#include "analysis/result_types.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;

namespace entroscope {

class MethodEditor : public QWidget
{
    Q_OBJECT
public:
    explicit MethodEditor(QWidget *parent = nullptr);

    /// Shows a resolved spec ({"infoscale", "cosscale:8", "rerope:16"}); no signal.
    void setSpec(const MethodSpec &spec);
    /// The edited method as "temperature,qk,position" with parameters.
    QString methodString() const;

Q_SIGNALS:
    void methodEdited(const QString &method);

private:
    struct Axis
    {
        QString name;
        QComboBox *combo = nullptr;
        std::vector<QLabel *> labels;
        std::vector<QDoubleSpinBox *> params;
    };
    void updateParams(Axis &axis, const QStringList &values);
    QString axisString(const Axis &axis) const;

    Axis m_axes[3];
    QCheckBox *m_visibleKeys = nullptr;
    bool m_updating = false;
};

} // namespace entroscope
