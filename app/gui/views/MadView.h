#pragma once
// View 4: mean attention distance per head by depth for every loaded model on shared axes,
// with a mean line; hover names model, application, head and value. Runs in the background
// over a data source, with progress and cancel.

#include "jobs/DatasetRuns.h"
#include "views/ExportableView.h"

#include <QWidget>

#include <memory>

class QCheckBox;

namespace ringscope::plots {
class DepthScatterPlot;
}

namespace ringscope::gui {

class DataRunBar;
class Workspace;

class MadView : public QWidget, public ExportableView {
    Q_OBJECT

public:
    explicit MadView(Workspace& workspace, QWidget* parent = nullptr);

    std::vector<std::pair<QString, plots::Figure*>> figures() override;
    void writeNumbers(AnalysisOutput& out) override;

    BackgroundJob& job() { return job_; }
    void run();
    /// The last finished run (null before the first), with the settings it ran with.
    const analysis::MadStudy* result() const { return result_.get(); }
    plots::DepthScatterPlot& plot() { return *plot_; }
    void setImageCount(int n);
    void setDataSpec(const QString& spec);

private:
    QWidget* buildControls();
    void showResult();

    Workspace& ws_;
    BackgroundJob job_;
    std::shared_ptr<const analysis::MadStudy> result_;
    std::shared_ptr<std::shared_ptr<const analysis::MadStudy>> pending_; ///< the running job's
    DataRunBar* bar_;
    QCheckBox* renormBox_;
    plots::DepthScatterPlot* plot_;
};

} // namespace ringscope::gui
