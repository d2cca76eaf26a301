#pragma once
// View 4: mean attention distance per head by depth for every loaded model on shared axes,
// with a mean line; hover names model, application, head and value. Runs in the background
// over a data source, with progress and cancel.

#include "jobs/DatasetRuns.h"
#include "views/ExportableView.h"

#include <QStringList>
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
    const std::vector<MadResult>& result() const { return result_; }
    plots::DepthScatterPlot& plot() { return *plot_; }
    void setImageCount(int n);
    void setDataSpec(const QString& spec);

private:
    QWidget* buildControls();
    void showResult();

    Workspace& ws_;
    BackgroundJob job_;
    std::vector<MadResult> result_;
    std::shared_ptr<std::vector<MadResult>> pending_;
    QStringList labels_, pendingLabels_;
    DataRunBar* bar_;
    QCheckBox* renormBox_;
    plots::DepthScatterPlot* plot_;
};

} // namespace ringscope::gui
