// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
// MainWindow's exports: PNG/SVG/PDF of a plot (and the PNG size dialog), each view's CSV/JSON/.npy data with
// its provenance, the report folder, the screenshots of every view. The rest of the window is main_window.cpp.
#include "main_window.h"

#include "analysis_controller.h"
#include "text/inputs.h"
#include "attention_map_view.h"
#include "platform/blas_check.h"
#include "compare_view.h"
#include "io/config.h"
#include "dilution_view.h"
#include "distance_profile_view.h"
#include "entropy_view.h"
#include "head_heatmap_view.h"
#include "head_selection.h"
#include "layer_overview.h"
#include "model/method.h"
#include "method_editor.h"
#include "io/npy.h"
#include "plot_export.h"
#include "token_inspector_view.h"
#include "qcustomplot_compat.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QStandardItemModel>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace entroscope {

namespace {

// Largest PNG rendered (file pixels): a side QPainter can address, and ≈1 GiB of ARGB32 in all.
constexpr qint64 kMaxPngSide = 32767;
constexpr qint64 kMaxPngPixels = qint64(256) << 20;
constexpr double kPngScales[] = {1.0, 1.5, 2.0, 3.0, 4.0};

QString pngTooLarge(qint64 w, qint64 h)
{
    if (w > kMaxPngSide || h > kMaxPngSide || w * h > kMaxPngPixels)
        return QObject::tr("%1 × %2 pixels is too large (at most %3 per side and %4 megapixels)")
            .arg(w)
            .arg(h)
            .arg(kMaxPngSide)
            .arg(kMaxPngPixels >> 20);
    return {};
}

} // namespace

PngExportDialog::PngExportDialog(const QSize &plotSize, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("pngExportDialog"));
    setWindowTitle(tr("Export PNG"));
    const QSettings settings;
    auto makeSpin = [this](int value) {
        auto *spin = new QSpinBox(this);
        spin->setRange(kMinSide, kMaxSide);
        spin->setSuffix(tr(" px"));
        spin->setValue(value);
        connect(spin, &QSpinBox::valueChanged, this, &PngExportDialog::updateSummary);
        return spin;
    };
    m_widthSpin = makeSpin(settings.value(QStringLiteral("export/pngWidth"), plotSize.width()).toInt());
    m_widthSpin->setObjectName(QStringLiteral("pngWidth"));
    m_heightSpin = makeSpin(settings.value(QStringLiteral("export/pngHeight"), plotSize.height()).toInt());
    m_heightSpin->setObjectName(QStringLiteral("pngHeight"));

    m_scaleCombo = new QComboBox(this);
    m_scaleCombo->setObjectName(QStringLiteral("pngScale"));
    const double wanted = settings.value(QStringLiteral("export/pngScale"), 2.0).toDouble();
    int best = 0;
    for (double f : kPngScales) {
        m_scaleCombo->addItem(tr("%1× (%2 dpi)").arg(f).arg(int(96 * f + 0.5)), f);
        if (std::fabs(f - wanted) < std::fabs(kPngScales[best] - wanted))
            best = m_scaleCombo->count() - 1;
    }
    m_scaleCombo->setCurrentIndex(best);
    connect(m_scaleCombo, &QComboBox::currentIndexChanged, this, &PngExportDialog::updateSummary);

    m_summaryLabel = new QLabel(this);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *form = new QFormLayout(this);
    form->addRow(tr("&Width:"), m_widthSpin);
    form->addRow(tr("&Height:"), m_heightSpin);
    form->addRow(tr("&Scale:"), m_scaleCombo);
    form->addRow(m_summaryLabel);
    form->addRow(buttons);
    updateSummary();
}

int PngExportDialog::pngWidth() const
{
    return m_widthSpin->value();
}

int PngExportDialog::pngHeight() const
{
    return m_heightSpin->value();
}

double PngExportDialog::scale() const
{
    return m_scaleCombo->currentData().toDouble();
}

void PngExportDialog::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("export/pngWidth"), pngWidth());
    settings.setValue(QStringLiteral("export/pngHeight"), pngHeight());
    settings.setValue(QStringLiteral("export/pngScale"), scale());
}

void PngExportDialog::updateSummary()
{
    const qint64 w = std::llround(pngWidth() * scale());
    const qint64 h = std::llround(pngHeight() * scale());
    const QString tooLarge = pngTooLarge(w, h);
    m_summaryLabel->setText(tooLarge.isEmpty() ? tr("File: %1 × %2 pixels at %3 dpi").arg(w).arg(h).arg(dpi()) : tooLarge);
    if (auto *buttons = findChild<QDialogButtonBox *>())
        buttons->button(QDialogButtonBox::Ok)->setEnabled(tooLarge.isEmpty());
}

QSize MainWindow::exportSize() const
{
    // Hidden tabs have no meaningful size: export at the visible tab's size (or a sensible default).
    QSize size = m_tabs->currentWidget() ? m_tabs->currentWidget()->size() : QSize();
    if (size.width() < 400 || size.height() < 300)
        size = QSize(1200, 800);
    return size;
}

bool MainWindow::exportPlotPng(int index, const QString &path, int width, int height, double scale, QString *error)
{
    updateAllViews();
    PlotView *v = view(index);
    if (!v) {
        if (error)
            *error = tr("no view %1").arg(index);
        return false;
    }
    if (width <= 0 || height <= 0) {
        const QSize size = exportSize();
        width = width > 0 ? width : size.width();
        height = height > 0 ? height : size.height();
    }
    if (scale > 0 && std::isfinite(scale)) {
        const QString tooLarge = pngTooLarge(std::llround(width * scale), std::llround(height * scale));
        if (!tooLarge.isEmpty()) {
            if (error)
                *error = tr("Cannot export %1: %2.").arg(path, tooLarge);
            return false;
        }
    }
    const int dpi = scale > 0 && std::isfinite(scale) ? int(std::lround(96 * scale)) : 96;
    return exportPng(v->plot(), path, width, height, scale, dpi, error, provenanceText(index));
}

QJsonObject MainWindow::provenance(int index) const
{
    // What produced an export: enough to run it again (the model, every method resolved, n, T, fill, the
    // layer/head the view shows) and the program that made it.
    QJsonObject o{{QStringLiteral("entroscope_version"), QApplication::applicationVersion()},
                  {QStringLiteral("view"), viewName(index)},
                  {QStringLiteral("model"), QDir::toNativeSeparators(m_controller->modelDir())}};
    const auto res = m_controller->lastResult();
    if (!res)
        return o;
    o[QStringLiteral("length")] = double(res->request.length);
    o[QStringLiteral("train_length")] = double(res->trainLength);
    o[QStringLiteral("fill")] = res->request.fill;
    o[QStringLiteral("layer")] = m_state.layer;
    o[QStringLiteral("head")] = head();
    if (m_controller->headCount() > 1 && head() == kHeadMean)
        o[QStringLiteral("head_mean_of")] = m_controller->headCount();
    if (!res->complete) // exported while the compared methods were still being computed
        o[QStringLiteral("pending")] = QJsonArray::fromStringList(res->pending);
    QJsonArray methods;
    for (size_t i = 0; i < res->results.size(); ++i) {
        if (!res->results[i])
            continue;
        const MethodSpec &m = res->results[i]->method;
        QJsonObject mj{{QStringLiteral("label"), res->labels.value(int(i))},
                       {QStringLiteral("temperature"), QString::fromStdString(m.temperature)},
                       {QStringLiteral("qk"), QString::fromStdString(m.qk)},
                       {QStringLiteral("position"), QString::fromStdString(m.position)}};
        if (!m.keyCount.empty())
            mj[QStringLiteral("key_count")] = QString::fromStdString(m.keyCount);
        methods.append(mj);
    }
    o[QStringLiteral("methods")] = methods;
    return o;
}

QString MainWindow::provenanceText(int index) const
{
    const QJsonObject p = provenance(index);
    QStringList methods;
    for (const auto &m : p[QStringLiteral("methods")].toArray()) {
        const QJsonObject o = m.toObject();
        methods << QStringLiteral("%1 (%2 × %3 × %4%5)")
                       .arg(o[QStringLiteral("label")].toString(), o[QStringLiteral("temperature")].toString(),
                            o[QStringLiteral("qk")].toString(), o[QStringLiteral("position")].toString(),
                            o.contains(QStringLiteral("key_count")) ? QStringLiteral(", visible keys") : QString());
    }
    return tr("EntroScope %1 · %2 · model %3 · %4 · n = %5 · T = %6 · fill %7 · layer %8")
        .arg(p[QStringLiteral("entroscope_version")].toString(), viewTitle(index),
             QFileInfo(p[QStringLiteral("model")].toString()).fileName(), methods.join(QStringLiteral("; ")))
        .arg(p[QStringLiteral("length")].toInt())
        .arg(p[QStringLiteral("train_length")].toInt())
        .arg(p[QStringLiteral("fill")].toString())
        .arg(p[QStringLiteral("layer")].toInt());
}

bool MainWindow::exportView(int index, const QString &path, QString *error)
{
    updateAllViews();
    PlotView *v = view(index);
    if (!v) {
        if (error)
            *error = tr("no view %1").arg(index);
        return false;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    const QSize size = exportSize();
    if (suffix == QLatin1String("png"))
        return exportPlotPng(index, path, size.width(), size.height(), 2.0, error);
    if (suffix == QLatin1String("svg"))
        return exportSvg(v->plot(), path, size.width(), size.height(), error, provenanceText(index));
    if (suffix == QLatin1String("pdf"))
        return exportPdf(v->plot(), path, size.width(), size.height(), error, provenanceText(index));
    if (suffix == QLatin1String("csv"))
        return writeTextFile(path, csvWithProvenance(index), error);
    if (suffix == QLatin1String("json")) {
        QJsonObject j = v->json();
        j[QStringLiteral("provenance")] = provenance(index);
        return writeTextFile(path, QString::fromUtf8(QJsonDocument(j).toJson(QJsonDocument::Indented)), error);
    }
    if (suffix == QLatin1String("npy")) {
        const AttentionMap &m = m_mapView->map();
        if (m.empty()) {
            if (error)
                *error = tr("%1: no attention map to export").arg(path);
            return false;
        }
        try {
            writeNpy(QFile::encodeName(path).toStdString(), {m.rows, m.cols}, m.data.data());
        } catch (const std::exception &e) {
            if (error)
                *error = QString::fromStdString(e.what());
            return false;
        }
        // A .npy holds numbers only: what they are goes into PATH.json beside it.
        QJsonObject side = provenance(index);
        side[QStringLiteral("array")] = QJsonObject{{QStringLiteral("shape"), QJsonArray{m.rows, m.cols}},
                                                    {QStringLiteral("pool"), m.pool},
                                                    {QStringLiteral("pooling"), m.pooling == AttentionMap::Pooling::Max ? QStringLiteral("max")
                                                                                : m.pooling == AttentionMap::Pooling::Mean ? QStringLiteral("mean")
                                                                                                                           : QStringLiteral("none")},
                                                    {QStringLiteral("rows"), QStringLiteral("queries")},
                                                    {QStringLiteral("layer"), m.layer}};
        return writeTextFile(path + QStringLiteral(".json"),
                             QString::fromUtf8(QJsonDocument(side).toJson(QJsonDocument::Indented)), error);
    }
    if (error)
        *error = tr("%1: unknown format '%2' (png, svg, pdf, csv, json, npy)").arg(path, suffix);
    return false;
}

bool MainWindow::exportReport(const QString &dirPath, QString *error)
{
    updateAllViews();
    QDir dir(dirPath);
    // Nothing half-written: on a failure (a full disk, a folder that is not writable) the files this
    // report added are removed again, and the folder too when the report created it. Each file is
    // itself written atomically, so a file it replaced is either the old one or the new one.
    const bool existed = dir.exists();
    const QStringList before = existed ? dir.entryList(QDir::Files | QDir::Hidden) : QStringList();
    auto abandon = [&] {
        if (!existed) {
            QDir(dirPath).removeRecursively();
        } else {
            for (const QString &f : QDir(dirPath).entryList(QDir::Files | QDir::Hidden))
                if (!before.contains(f))
                    QFile::remove(dir.filePath(f));
        }
        return false;
    };
    if (!dir.mkpath(QStringLiteral("."))) {
        if (error)
            *error = tr("%1: cannot create the folder").arg(dirPath);
        return false;
    }
    for (int i = 0; i < ViewCount; ++i) {
        const QString base = dir.filePath(QStringLiteral("%1-%2").arg(i + 1).arg(viewName(i)));
        for (const char *ext : {".png", ".svg", ".pdf"})
            if (!exportView(i, base + QLatin1String(ext), error))
                return abandon();
        if (!view(i)->csv().isEmpty() && !exportView(i, base + QStringLiteral(".csv"), error))
            return abandon();
        if (!view(i)->json().isEmpty() && !exportView(i, base + QStringLiteral(".json"), error))
            return abandon();
    }
    if (!m_mapView->map().empty()
        && !exportView(AttentionTab, dir.filePath(QStringLiteral("attention_layer%1.npy").arg(layer())), error))
        return abandon();
    QJsonObject settings = state().toJson();
    settings[QStringLiteral("model_summary")] = m_controller->modelSummary();
    if (const auto res = m_controller->lastResult()) {
        QJsonArray methods;
        for (size_t i = 0; i < res->results.size(); ++i) {
            if (!res->results[i])
                continue;
            const MethodSpec &spec = res->results[i]->method;
            QJsonObject m;
            m[QStringLiteral("label")] = res->labels.value(int(i));
            m[QStringLiteral("temperature")] = QString::fromStdString(spec.temperature);
            m[QStringLiteral("qk")] = QString::fromStdString(spec.qk);
            m[QStringLiteral("position")] = QString::fromStdString(spec.position);
            methods.append(m);
        }
        settings[QStringLiteral("methods_resolved")] = methods;
        settings[QStringLiteral("resolved_train_length")] = double(res->trainLength);
        settings[QStringLiteral("seconds")] = res->seconds;
    }
    if (!writeTextFile(dir.filePath(QStringLiteral("settings.json")),
                       QString::fromUtf8(QJsonDocument(settings).toJson(QJsonDocument::Indented)), error))
        return abandon();
    return true;
}

bool MainWindow::grabViews(const QString &dirPath, QString *error)
{
    updateAllViews();
    QDir dir(dirPath);
    dir.mkpath(QStringLiteral("."));
    const int current = m_tabs->currentIndex();
    for (int i = 0; i < ViewCount; ++i) {
        m_tabs->setCurrentIndex(i);
        QApplication::processEvents();
        view(i)->plot()->replot();
        const QString path = dir.filePath(QStringLiteral("%1-%2.png").arg(i + 1, 2, 10, QLatin1Char('0')).arg(viewName(i)));
        if (!grab().save(path)) {
            if (error)
                *error = tr("%1: cannot write").arg(path);
            return false;
        }
    }
    m_tabs->setCurrentIndex(current);
    // What the screenshots show: the state as a session file beside them.
    QString saveError;
    if (!state().save(dir.filePath(QStringLiteral("session.entroscope")), &saveError)) {
        if (error)
            *error = saveError;
        return false;
    }
    return true;
}

void MainWindow::exportCurrentDialog()
{
    const int i = currentViewIndex();
    QString filters = tr("PNG image (*.png);;SVG image (*.svg);;PDF (*.pdf);;CSV data (*.csv);;JSON data (*.json)");
    if (i == AttentionTab)
        filters += tr(";;Attention map, NumPy (*.npy)");
    QString selected;
    const QString folder = lastFolder(QStringLiteral("export"));
    QString path = QFileDialog::getSaveFileName(this, tr("Export %1").arg(viewTitle(i)),
                                                (folder.isEmpty() ? QString() : folder + QLatin1Char('/')) + viewName(i)
                                                    + QStringLiteral(".png"),
                                                filters, &selected);
    if (path.isEmpty())
        return;
    rememberFolder(QStringLiteral("export"), path);
    if (QFileInfo(path).suffix().isEmpty()) {
        const int a = selected.indexOf(QLatin1String("(*"));
        path += selected.mid(a + 2, selected.indexOf(QLatin1Char(')'), a) - a - 2);
    }
    QString error;
    bool ok = false;
    if (QFileInfo(path).suffix().toLower() == QLatin1String("png")) {
        PngExportDialog options(exportSize(), this);
        if (options.exec() != QDialog::Accepted)
            return;
        options.saveSettings();
        ok = exportPlotPng(i, path, options.pngWidth(), options.pngHeight(), options.scale(), &error);
    } else {
        ok = exportView(i, path, &error);
    }
    if (!ok)
        showError(tr("Export failed"), error);
    else
        m_statusLabel->setText(tr("Exported %1").arg(QDir::toNativeSeparators(path)));
}

void MainWindow::exportReportDialog()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export report into folder"), lastFolder(QStringLiteral("export")));
    if (dir.isEmpty())
        return;
    QSettings().setValue(QStringLiteral("folders/export"), dir);
    QString error;
    if (!exportReport(dir, &error))
        showError(tr("Export failed"), error);
    else
        m_statusLabel->setText(tr("Report written to %1").arg(QDir::toNativeSeparators(dir)));
}

QString MainWindow::csvWithProvenance(int index) const
{
    const PlotView *v = view(index);
    if (!v || v->csv().isEmpty())
        return QString();
    // "# key: value" lines first (numpy's and pandas' comment='#' skip them), then the data.
    QString head;
    const QJsonObject p = provenance(index);
    for (auto it = p.begin(); it != p.end(); ++it)
        head += QStringLiteral("# %1: %2\n")
                    .arg(it.key(), it.value().isArray()
                                       ? QString::fromUtf8(QJsonDocument(it.value().toArray()).toJson(QJsonDocument::Compact))
                                       : it.value().toVariant().toString());
    return head + v->csv();
}

} // namespace entroscope
