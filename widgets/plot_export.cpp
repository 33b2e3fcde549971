// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#include "plot_export.h"

#include "qcustomplot_compat.h"

#include <QBuffer>
#include <QClipboard>
#include <QFile>
#include <QGuiApplication>
#include <QImage>
#include <QImageWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTemporaryDir>

#include <cmath>

namespace entroscope {

namespace {

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

QSize exportSize(QCustomPlot *plot, int width, int height)
{
    if (width > 0 && height > 0)
        return QSize(width, height);
    return plot->size().isEmpty() ? QSize(640, 480) : plot->size();
}

// QCustomPlot computes tick vectors from the axis-rect sizes of the previous layout, so a plot drawn
// once at a new size (an export) would get ticks meant for the old one (e.g. token labels thinned
// for another length). Lay the plot out at the export size first; the caller's draw then settles.
void layOutAt(QCustomPlot *plot, const QSize &size)
{
    const QRect old = plot->viewport();
    plot->setViewport(QRect(QPoint(0, 0), size));
    plot->plotLayout()->update(QCPLayoutElement::upPreparation);
    plot->plotLayout()->update(QCPLayoutElement::upMargins);
    plot->plotLayout()->update(QCPLayoutElement::upLayout);
    plot->setViewport(old);
}

// The export draw leaves the layout at the export size; lay the widget out again on its next paint.
void restoreScreenLayout(QCustomPlot *plot) { plot->replot(QCustomPlot::rpQueuedReplot); }

bool checkArguments(QCustomPlot *plot, const QString &path, QString *error)
{
    if (!plot)
        return fail(error, QObject::tr("Cannot export to %1: there is no plot.").arg(path));
    if (path.isEmpty())
        return fail(error, QObject::tr("Cannot export: no file name given."));
    return true;
}

// Writes `bytes` to `path` atomically.
bool saveBytes(const QString &path, const QByteArray &bytes, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error, QObject::tr("Cannot write %1: %2").arg(path, file.errorString()));
    if (file.write(bytes) != bytes.size()) {
        const QString reason = file.errorString();
        file.cancelWriting();
        return fail(error, QObject::tr("Cannot write %1: %2").arg(path, reason));
    }
    if (!file.commit())
        return fail(error, QObject::tr("Cannot write %1: %2").arg(path, file.errorString()));
    return true;
}

} // namespace

bool exportPng(QCustomPlot *plot, const QString &path, int width, int height, double scale, int dpi, QString *error,
               const QString &description)
{
    if (!checkArguments(plot, path, error))
        return false;
    if (!(scale > 0) || !std::isfinite(scale))
        return fail(error, QObject::tr("Cannot export %1: the scale must be positive.").arg(path));
    const QSize size = exportSize(plot, width, height);
    layOutAt(plot, size);
    QImage image = plot->toPixmap(size.width(), size.height(), scale).toImage();
    restoreScreenLayout(plot);
    if (image.isNull())
        return fail(error, QObject::tr("Cannot export %1: rendering the plot failed (size %2×%3).")
                               .arg(path)
                               .arg(size.width())
                               .arg(size.height()));
    if (dpi > 0) {
        const int dotsPerMeter = int(std::lround(dpi / 0.0254));
        image.setDotsPerMeterX(dotsPerMeter);
        image.setDotsPerMeterY(dotsPerMeter);
    }
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, "png");
    writer.setText(QStringLiteral("Software"), QStringLiteral("EntroScope"));
    if (!description.isEmpty())
        writer.setText(QStringLiteral("Description"), description);
    if (!writer.write(image))
        return fail(error, QObject::tr("Cannot export %1: %2").arg(path, writer.errorString()));
    return saveBytes(path, bytes, error);
}

bool exportSvg(QCustomPlot *plot, const QString &path, int width, int height, QString *error,
               const QString &description)
{
    if (!checkArguments(plot, path, error))
        return false;
    const QSize size = exportSize(plot, width, height);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    generator.setSize(size);
    generator.setViewBox(QRect(QPoint(0, 0), size));
    generator.setTitle(QStringLiteral("EntroScope plot"));
    if (!description.isEmpty())
        generator.setDescription(description);
    QCPPainter painter;
    if (!painter.begin(&generator))
        return fail(error, QObject::tr("Cannot export %1: the SVG painter did not start.").arg(path));
    // Vectorised mode keeps QCustomPlot from drawing through its pixmap caches.
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    layOutAt(plot, size);
    plot->toPainter(&painter, size.width(), size.height());
    painter.end();
    restoreScreenLayout(plot);
    if (bytes.isEmpty())
        return fail(error, QObject::tr("Cannot export %1: the SVG output is empty.").arg(path));
    return saveBytes(path, bytes, error);
}

bool exportPdf(QCustomPlot *plot, const QString &path, int width, int height, QString *error,
               const QString &description)
{
    if (!checkArguments(plot, path, error))
        return false;
    const QSize size = exportSize(plot, width, height);
    // QCustomPlot::savePdf only writes to a file name: render into a private temporary folder, then
    // move the bytes into place atomically.
    QTemporaryDir dir;
    if (!dir.isValid())
        return fail(error, QObject::tr("Cannot export %1: no temporary folder (%2).").arg(path, dir.errorString()));
    const QString tmp = dir.filePath(QStringLiteral("plot.pdf"));
    layOutAt(plot, size);
    const bool rendered = plot->savePdf(tmp, size.width(), size.height(), QCP::epAllowCosmetic,
                                        QStringLiteral("EntroScope"),
                                        description.isEmpty() ? QStringLiteral("EntroScope plot") : description);
    restoreScreenLayout(plot);
    if (!rendered)
        return fail(error, QObject::tr("Cannot export %1: rendering the PDF failed.").arg(path));
    QFile file(tmp);
    if (!file.open(QIODevice::ReadOnly))
        return fail(error, QObject::tr("Cannot export %1: %2").arg(path, file.errorString()));
    const QByteArray bytes = file.readAll();
    if (bytes.isEmpty())
        return fail(error, QObject::tr("Cannot export %1: the PDF output is empty.").arg(path));
    return saveBytes(path, bytes, error);
}

bool writeTextFile(const QString &path, const QString &text, QString *error)
{
    if (path.isEmpty())
        return fail(error, QObject::tr("Cannot write: no file name given."));
    return saveBytes(path, text.toUtf8(), error);
}

bool copyToClipboard(QCustomPlot *plot, double scale, QString *error)
{
    if (!plot)
        return fail(error, QObject::tr("Cannot copy: there is no plot."));
    QClipboard *clipboard = QGuiApplication::clipboard();
    if (!clipboard)
        return fail(error, QObject::tr("Cannot copy: no clipboard is available."));
    const QSize size = exportSize(plot, 0, 0);
    layOutAt(plot, size);
    const QImage image = plot->toPixmap(size.width(), size.height(), scale > 0 ? scale : 1.0).toImage();
    restoreScreenLayout(plot);
    if (image.isNull())
        return fail(error, QObject::tr("Cannot copy: rendering the plot failed."));
    clipboard->setImage(image);
    return true;
}

} // namespace entroscope
