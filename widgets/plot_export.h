// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: 2026 EntroScope developers
#pragma once

// Export of a plot (any PlotView::plot()) and of its data.
// Every function returns true on success; on failure it returns false, fills *error (when given) with
// one sentence naming the path and the reason, and leaves no file at `path` (nor a partial one): files
// are written to a temporary file in the target folder and renamed into place (QSaveFile). An existing
// file at `path` is replaced only on success. Nothing throws. GUI thread only (rendering a QCustomPlot).
// Sizes are in device-independent pixels; width/height ≤ 0 mean the plot's current size.

#include <QString>

class QCustomPlot;

namespace entroscope {

/// PNG of width×height logical pixels rendered at `scale` (the file has width·scale × height·scale
/// pixels), with `dpi` recorded as the image resolution. `description` (what produced the plot) goes into
/// the PNG's "Description" text chunk, "EntroScope" into "Software".
bool exportPng(QCustomPlot *plot, const QString &path, int width = 0, int height = 0, double scale = 1.0,
               int dpi = 96, QString *error = nullptr, const QString &description = {});
/// SVG (vector; colour maps embedded as images) of width×height; `description` as its <desc>.
bool exportSvg(QCustomPlot *plot, const QString &path, int width = 0, int height = 0, QString *error = nullptr,
               const QString &description = {});
/// PDF, one page of width×height points, vector where QCustomPlot draws vectors; `description` is its title.
bool exportPdf(QCustomPlot *plot, const QString &path, int width = 0, int height = 0, QString *error = nullptr,
               const QString &description = {});
/// Text (CSV, JSON) as UTF-8.
bool writeTextFile(const QString &path, const QString &text, QString *error = nullptr);
/// Puts a raster image of the plot (current size × scale) on the system clipboard.
bool copyToClipboard(QCustomPlot *plot, double scale = 1.0, QString *error = nullptr);

} // namespace entroscope
