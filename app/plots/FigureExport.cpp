#include "FigureExport.h"

#include "Figure.h"

#include <qcustomplot.h>

#include <QFileInfo>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>

#include <cmath>

namespace ringscope::plots {

namespace {

QSize logicalSize(const ExportOptions& o, double& scale) {
    scale = std::max(0.25, o.dpi / 96.0);
    return QSize(std::max(1, int(std::lround(o.width / scale))),
                 std::max(1, int(std::lround(o.height / scale))));
}

void vectorise(QCPPainter& p) {
    p.setMode(QCPPainter::pmVectorized);
    p.setMode(QCPPainter::pmNoCaching);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);
}

bool renderPng(Figure& figure, QIODevice& out, const ExportOptions& o) {
    double scale = 1;
    const QSize logical = logicalSize(o, scale);
    QImage img(o.width, o.height, QImage::Format_ARGB32);
    img.fill(Qt::white);
    {
        QCPPainter p(&img);
        p.setRenderHint(QPainter::Antialiasing);
        p.setRenderHint(QPainter::TextAntialiasing);
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.scale(double(o.width) / logical.width(), double(o.height) / logical.height());
        figure.drawFigure(p, logical);
    }
    // The resolution is set after drawing: fonts are laid out at 96 dpi and scaled above.
    const int dpm = int(std::lround(o.dpi / 0.0254));
    img.setDotsPerMeterX(dpm);
    img.setDotsPerMeterY(dpm);
    return img.save(&out, "PNG");
}

bool renderSvg(Figure& figure, QIODevice& out, const ExportOptions& o) {
    double scale = 1;
    const QSize logical = logicalSize(o, scale);
    QSvgGenerator svg;
    svg.setOutputDevice(&out);
    svg.setSize(logical);
    svg.setViewBox(QRect(QPoint(0, 0), logical));
    svg.setResolution(96);
    svg.setTitle(figure.figureTitle());
    svg.setDescription("RingScope figure");
    QCPPainter p;
    if (!p.begin(&svg)) return false;
    vectorise(p);
    figure.drawFigure(p, logical);
    return p.end();
}

bool renderPdf(Figure& figure, QIODevice& out, const ExportOptions& o) {
    double scale = 1;
    const QSize logical = logicalSize(o, scale);
    QPdfWriter pdf(&out);
    pdf.setResolution(96); // one device pixel per logical pixel, as on screen
    pdf.setPageSize(QPageSize(QSizeF(logical) * 72.0 / 96.0, QPageSize::Point, QString(),
                              QPageSize::ExactMatch));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setTitle(figure.figureTitle());
    pdf.setCreator("RingScope");
    QCPPainter p;
    if (!p.begin(&pdf)) return false;
    vectorise(p);
    figure.drawFigure(p, logical);
    return p.end();
}

} // namespace

bool formatForPath(const QString& path, FigureFormat& format) {
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext == "png")
        format = FigureFormat::Png;
    else if (ext == "svg")
        format = FigureFormat::Svg;
    else if (ext == "pdf")
        format = FigureFormat::Pdf;
    else
        return false;
    return true;
}

QString exportFigure(Figure& figure, const QString& path, FigureFormat format,
                     const ExportOptions& options) {
    if (options.width <= 0 || options.height <= 0 || options.width > 20000 ||
        options.height > 20000 || !(options.dpi > 0))
        return path + ": invalid figure size";
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return path + ": " + file.errorString();
    bool ok = false;
    switch (format) {
    case FigureFormat::Png:
        ok = renderPng(figure, file, options);
        break;
    case FigureFormat::Svg:
        ok = renderSvg(figure, file, options);
        break;
    case FigureFormat::Pdf:
        ok = renderPdf(figure, file, options);
        break;
    }
    if (!ok) {
        file.cancelWriting();
        return path + ": could not render the figure";
    }
    if (!file.commit()) return path + ": " + file.errorString();
    return {};
}

QString exportFigure(Figure& figure, const QString& path, const ExportOptions& options) {
    FigureFormat format;
    if (!formatForPath(path, format))
        return path + ": unknown figure format (use .png, .svg or .pdf)";
    return exportFigure(figure, path, format, options);
}

} // namespace ringscope::plots
