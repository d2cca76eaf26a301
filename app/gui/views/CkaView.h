#pragma once
// View 3: CKA heatmaps A x A, B x B and A x B with colour bars (hover shows the exact value),
// the data source, number of images, kernel, estimator and feature pickers, a background run
// with progress and cancel, and the best-matching-application trace.

#include "jobs/DatasetRuns.h"
#include "views/ExportableView.h"

#include <QWidget>

#include <memory>

class QComboBox;

namespace ringscope::plots {
class HeatmapPlot;
class LinePlot;
} // namespace ringscope::plots

namespace ringscope::gui {

class DataRunBar;
class Workspace;

class CkaView : public QWidget, public ExportableView {
    Q_OBJECT

public:
    explicit CkaView(Workspace& workspace, QWidget* parent = nullptr);

    std::vector<std::pair<QString, plots::Figure*>> figures() override;
    void writeNumbers(AnalysisOutput& out) override;

    BackgroundJob& job() { return job_; }
    /// Starts a run with the current settings (no-op while one runs or without a model).
    void run();
    /// The last finished run (null before the first), with the settings it ran with.
    const analysis::CkaStudy* result() const { return result_.get(); }
    plots::HeatmapPlot& heatmap(int which) { return *maps_[which]; }
    void setImageCount(int n);
    void setDataSpec(const QString& spec);

private:
    QWidget* buildControls();
    void showResult();

    Workspace& ws_;
    BackgroundJob job_;
    std::shared_ptr<const analysis::CkaStudy> result_;
    std::shared_ptr<std::shared_ptr<const analysis::CkaStudy>> pending_; ///< the running job's
    DataRunBar* bar_;
    QComboBox* kernelBox_;
    QComboBox* estimatorBox_;
    QComboBox* featureBox_;
    plots::HeatmapPlot* maps_[3];
    plots::LinePlot* trace_;
};

} // namespace ringscope::gui
