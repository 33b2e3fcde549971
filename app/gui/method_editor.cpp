// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "method_editor.h"

#include "model/method.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>

namespace entroscope {

namespace {

const AxisValueInfo *findInfo(const QString &axis, const QString &value)
{
    for (const auto &i : axisValueInfos())
        if (QString::fromStdString(i.axis) == axis && QString::fromStdString(i.value) == value)
            return &i;
    return nullptr;
}

} // namespace

MethodEditor::MethodEditor(QWidget *parent)
    : QWidget(parent)
{
    auto *form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    const char *names[3] = {"temperature", "qk", "position"};
    for (int a = 0; a < 3; ++a) {
        Axis &axis = m_axes[a];
        axis.name = QString::fromLatin1(names[a]);
        auto *row = new QWidget(this);
        auto *h = new QHBoxLayout(row);
        h->setContentsMargins(0, 0, 0, 0);
        axis.combo = new QComboBox(row);
        axis.combo->setObjectName(axis.name + QStringLiteral("Combo"));
        // The editor never widens the dock: combos and spin boxes shrink to the width there is (a spin box
        // sized for 1e9 with two parameters used to add a horizontal scroll bar).
        axis.combo->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
        axis.combo->setMinimumWidth(64);
        for (const auto &i : axisValueInfos())
            if (QString::fromStdString(i.axis) == axis.name) {
                axis.combo->addItem(QString::fromStdString(i.value));
                axis.combo->setItemData(axis.combo->count() - 1,
                                        QString::fromStdString(i.description + (i.source.empty() ? "" : " — " + i.source)),
                                        Qt::ToolTipRole);
            }
        h->addWidget(axis.combo, 1);
        for (int p = 0; p < 2; ++p) {
            auto *label = new QLabel(row);
            auto *spin = new QDoubleSpinBox(row);
            spin->setObjectName(axis.name + QStringLiteral("Param%1").arg(p));
            spin->setKeyboardTracking(false);
            spin->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
            spin->setMinimumWidth(48);
            label->hide();
            spin->hide();
            h->addWidget(label);
            h->addWidget(spin);
            axis.labels.push_back(label);
            axis.params.push_back(spin);
            connect(spin, &QDoubleSpinBox::valueChanged, this, [this] {
                if (!m_updating)
                    Q_EMIT methodEdited(methodString());
            });
        }
        form->addRow(axis.name, row);
        connect(axis.combo, &QComboBox::currentIndexChanged, this, [this, a] {
            if (m_updating)
                return;
            m_updating = true;
            updateParams(m_axes[a], {});
            m_updating = false;
            Q_EMIT methodEdited(methodString());
        });
    }
    m_visibleKeys = new QCheckBox(tr("n_i = visible keys"), this);
    m_visibleKeys->setObjectName(QStringLiteral("visibleKeysCheck"));
    m_visibleKeys->setToolTip(tr("--key-count visible: the temperature, squared_relu's divisor and the normalised "
                                 "entropy count only the keys a window or sinks leave visible (default: every key "
                                 "of the row)"));
    connect(m_visibleKeys, &QCheckBox::toggled, this, [this] {
        if (!m_updating)
            Q_EMIT methodEdited(methodString());
    });
    form->addRow(QString(), m_visibleKeys);
    updateParams(m_axes[0], {});
    updateParams(m_axes[1], {});
    updateParams(m_axes[2], {});
}

void MethodEditor::updateParams(Axis &axis, const QStringList &values)
{
    const AxisValueInfo *info = findInfo(axis.name, axis.combo->currentText());
    for (size_t p = 0; p < axis.params.size(); ++p) {
        QDoubleSpinBox *spin = axis.params[p];
        QLabel *label = axis.labels[p];
        if (!info || p >= info->parameters.size()) {
            spin->hide();
            label->hide();
            spin->setProperty("active", false);
            continue;
        }
        const AxisParameter &ap = info->parameters[p];
        spin->setDecimals(ap.integer ? 0 : 4);
        spin->setRange(ap.minValue, std::min(ap.maxValue, 1e9));
        spin->setToolTip(QString::fromStdString(ap.description));
        label->setText(QString::fromStdString(ap.name));
        label->setToolTip(spin->toolTip());
        bool ok = false;
        const double v = p < size_t(values.size()) ? values[int(p)].toDouble(&ok) : 0;
        // Without a value the spin box shows "default" (its minimum with special text) and the parameter
        // is left out of the method string, so the engine resolves its default.
        spin->setSpecialValueText(tr("default"));
        spin->setMinimum(ap.minValue - (ap.integer ? 1 : 1e-6));
        spin->setValue(ok ? v : spin->minimum());
        spin->setProperty("active", true);
        spin->show();
        label->show();
    }
}

void MethodEditor::setSpec(const MethodSpec &spec)
{
    m_updating = true;
    const std::string parts[3] = {spec.temperature, spec.qk, spec.position};
    for (int a = 0; a < 3; ++a) {
        const QStringList fields = QString::fromStdString(parts[a]).split(QLatin1Char(':'));
        const int idx = m_axes[a].combo->findText(fields.value(0));
        if (idx >= 0)
            m_axes[a].combo->setCurrentIndex(idx);
        updateParams(m_axes[a], fields.mid(1));
    }
    m_visibleKeys->setChecked(spec.keyCount == "visible");
    m_updating = false;
}

QString MethodEditor::axisString(const Axis &axis) const
{
    QString s = axis.combo->currentText();
    QStringList params;
    for (const QDoubleSpinBox *spin : axis.params) {
        if (!spin->property("active").toBool())
            break;
        if (spin->value() == spin->minimum())
            break; // "default": this and later parameters resolve to their defaults
        params << QString::fromStdString(formatNumber(spin->value()));
    }
    for (const QString &p : params)
        s += QLatin1Char(':') + p;
    return s;
}

QString MethodEditor::methodString() const
{
    return axisString(m_axes[0]) + QLatin1Char(',') + axisString(m_axes[1]) + QLatin1Char(',') + axisString(m_axes[2])
           + (m_visibleKeys->isChecked() ? QStringLiteral(",visible") : QString());
}

} // namespace entroscope
