// The plot components: exports (PNG at the asked size, SVG as XML, PDF), hover values, patch
// picking, colour maps.
#include "TestSupport.h"

#include "AttentionOverlay.h"
#include "DepthScatterPlot.h"
#include "FigureExport.h"
#include "HeatmapPlot.h"
#include "LinePlot.h"

#include <QtTest>
#include <QXmlStreamReader>

using namespace ringscope::plots;

namespace {

std::vector<double> matrix(int rows, int cols) {
    std::vector<double> v;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            v.push_back(1.0 / (1.0 + std::abs(r - c)) + 0.001 * c);
    return v;
}

bool validSvg(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return false;
    QXmlStreamReader xml(&f);
    bool sawSvg = false;
    while (!xml.atEnd()) {
        if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("svg"))
            sawSvg = true;
    }
    return sawSvg && !xml.hasError();
}

} // namespace

class TestPlots : public QObject {
    Q_OBJECT

private:
    QString dir_;

    void checkExports(Figure& figure, const QString& stem) {
        ExportOptions o;
        o.width = 900;
        o.height = 600;
        o.dpi = 144;
        QCOMPARE(exportFigure(figure, dir_ + "/" + stem + ".png", o), QString());
        const QImage png(dir_ + "/" + stem + ".png");
        QCOMPARE(png.size(), QSize(900, 600));
        QVERIFY(std::abs(png.dotsPerMeterX() * 0.0254 - 144) < 1);
        QCOMPARE(exportFigure(figure, dir_ + "/" + stem + ".svg", o), QString());
        QVERIFY2(validSvg(dir_ + "/" + stem + ".svg"), qPrintable(stem));
        QCOMPARE(exportFigure(figure, dir_ + "/" + stem + ".pdf", o), QString());
        QFile pdf(dir_ + "/" + stem + ".pdf");
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QCOMPARE(pdf.read(4), QByteArray("%PDF"));
        QVERIFY(pdf.size() > 1000);
        QVERIFY(!exportFigure(figure, dir_ + "/" + stem + ".bmp", o).isEmpty());
        QVERIFY(exportFigure(figure, dir_ + "/no/such/dir/x.png", o).contains("x.png"));
    }

private Q_SLOTS:
    void initTestCase() {
        // RINGSCOPE_KEEP_PLOTS=DIR keeps the exported figures for a look.
        dir_ = qEnvironmentVariable("RINGSCOPE_KEEP_PLOTS");
        if (dir_.isEmpty())
            dir_ = QString::fromStdString(ringscope::test::makeTempDir("plots"));
        else
            QDir().mkpath(dir_);
    }

    void heatmap() {
        HeatmapPlot plot;
        plot.resize(600, 500);
        plot.setTitle("CKA, RingFormer x ViT");
        plot.setAxisLabels("ViT layer", "RingFormer level");
        plot.setValueLabel("CKA");
        plot.setMatrix(matrix(6, 4), 6, 4);
        plot.setRange(0, 1);
        plot.replot();
        // The centre of cell (row 3, column 2) shows its exact value.
        const QPoint centre(int(plot.xAxis->coordToPixel(2)), int(plot.yAxis->coordToPixel(3)));
        QCOMPARE(plot.hoverText(centre),
                 QString("RingFormer level 3, ViT layer 2: %1").arg(plot.value(2, 1), 0, 'g', 10));
        QVERIFY(plot.hoverText(QPoint(2, 2)).isEmpty());
        checkExports(plot, "heatmap");
    }

    void depthScatter() {
        DepthScatterPlot plot;
        plot.resize(600, 400);
        plot.setTitle("Mean attention distance");
        plot.setAxisLabels("application", "distance (pixels)");
        plot.addModel("RingFormer", {{2, 4, 6}, {3, 5, 7}}, DepthScatterPlot::defaultColor(0));
        plot.addModel("ViT", {{1, 2, 3}, {8, 9, 10}}, DepthScatterPlot::defaultColor(1));
        plot.replot();
        const QPoint p(int(plot.xAxis->coordToPixel(2 + 0.5 * 0.12)),
                       int(plot.yAxis->coordToPixel(9)));
        QCOMPARE(plot.hoverText(p), QString("ViT, application 2, head 2: 9"));
        checkExports(plot, "mad");
    }

    void lines() {
        LinePlot plot;
        plot.resize(600, 400);
        plot.setTitle("Relative update");
        plot.setAxisLabels("application", "||h_a - h_a-1|| / ||h_a-1||");
        plot.setIntegerXAxis(true);
        plot.addSeries("RingFormer", {1, 2, 3}, {0.5, 0.3, 0.2}, QColor(), {0.4, 0.25, 0.1},
                       {0.6, 0.35, 0.3});
        plot.addSeries("ViT", {1, 2, 3}, {0.7, 0.4, 0.1});
        QCOMPARE(plot.seriesCount(), 2);
        plot.replot();
        const QPoint p(int(plot.xAxis->coordToPixel(2)), int(plot.yAxis->coordToPixel(0.4)));
        QCOMPARE(plot.hoverText(p), QString("ViT at application = 2: 0.4"));
        checkExports(plot, "lines");
    }

    void overlay() {
        AttentionOverlay view;
        view.resize(640, 360);
        QImage img(28, 28, QImage::Format_RGB32);
        img.fill(QColor(90, 90, 90));
        std::vector<double> map(49);
        for (int i = 0; i < 49; ++i)
            map[size_t(i)] = i / 48.0;
        view.setPanels({{img, map, 7, "RingFormer, level 6", 10},
                        {img, std::vector<double>(49, 0.02), 7, "ViT", -1}});
        view.setTitle("CLS attention");
        view.setAlpha(0.7);
        QCOMPARE(view.rangeOf(1), std::make_pair(0.0, 1.0)); // shared scale
        view.setSharedScale(false);
        QCOMPARE(view.rangeOf(0).second, 1.0);
        QVERIFY(view.rangeOf(1).second - view.rangeOf(1).first < 1e-9);
        view.setSharedScale(true);
        // Picking: find the first panel's top-left patch by scanning for a hit.
        int panel = -1, patch = -1;
        bool found = false;
        for (int y = 0; y < 360 && !found; y += 2)
            for (int x = 0; x < 320 && !found; x += 2)
                found = view.patchAt(QPoint(x, y), panel, patch);
        QVERIFY(found);
        QCOMPARE(panel, 0);
        QCOMPARE(patch, 0);
        int x = 0, y = 0;
        for (y = 0; y < 360; ++y) {
            for (x = 0; x < 320; ++x)
                if (view.patchAt(QPoint(x, y), panel, patch) && patch == 10) break;
            if (patch == 10) break;
        }
        QCOMPARE(view.hoverText(QPoint(x, y)),
                 QString("RingFormer, level 6\npatch 11 (row 2, column 4): %1")
                     .arg(10 / 48.0, 0, 'g', 6));
        checkExports(view, "overlay");
    }

    void colormaps() {
        bool ok = false;
        const Colormap v = Colormap::fromName("viridis", &ok);
        QVERIFY(ok);
        QCOMPARE(v.at(0.0), QColor(68, 1, 84));
        QCOMPARE(v.at(1.0), QColor(253, 231, 37));
        QCOMPARE(v.at(2.0), QColor(253, 231, 37)); // clamped
        QCOMPARE(Colormap::fromName("gray").at(0.5), QColor(128, 128, 128));
        Colormap::fromName("jet", &ok);
        QVERIFY(!ok);
    }
};

QTEST_MAIN(TestPlots)
#include "TestPlots.moc"
