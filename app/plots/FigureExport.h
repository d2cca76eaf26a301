#pragma once
// Exports a Figure as PNG (exact pixel size, text scaled with the DPI), SVG or PDF.

#include <QString>

namespace ringscope::plots {

class Figure;

enum class FigureFormat { Png, Svg, Pdf };

struct ExportOptions {
    int width = 1600; ///< output pixels (PNG); vector outputs keep the same layout
    int height = 1000;
    double dpi = 150; ///< fonts and lines scale with dpi / 96
};

/// The format of a file name's extension (.png, .svg, .pdf; case-insensitive). Returns
/// false for anything else.
bool formatForPath(const QString& path, FigureFormat& format);

/// Writes `figure` to `path` in `format`, atomically (temporary file + rename). Returns an
/// empty string on success, else the problem (naming the file).
QString exportFigure(Figure& figure, const QString& path, FigureFormat format,
                     const ExportOptions& options = {});

/// exportFigure() with the format taken from the extension.
QString exportFigure(Figure& figure, const QString& path, const ExportOptions& options = {});

} // namespace ringscope::plots
