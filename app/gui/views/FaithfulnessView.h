#pragma once
// View "Faithfulness": is an attribution faithful? The deletion and insertion tests of raw
// attention, rollout and GAE over a data source, for A and B on shared axes (the area under
// each curve in the legend), in the background with progress and cancel.

#include "jobs/DatasetRuns.h"
#include "views/ExportableView.h"

#include <QWidget>

#include <memory>

class QSpinBox;

namespace ringscope::plots {
class LinePlot;
}

namespace ringscope::gui {

class DataRunBar;
class Workspace;

class FaithfulnessView : public QWidget, public ExportableView {
    Q_OBJECT

public:
    explicit FaithfulnessView(Workspace& workspace, QWidget* parent = nullptr);

    std::vector<std::pair<QString, plots::Figure*>> figures() override;
    void writeNumbers(AnalysisOutput& out) override;

    BackgroundJob& job() { return job_; }
    void run();
    /// The last finished run (null before the first), with the settings it ran with.
    const analysis::FaithfulnessStudy* result() const { return result_.get(); }
    void setDataSpec(const QString& spec);
    void setImageCount(int n);
    QSpinBox& steps() { return *stepsBox_; }
    plots::LinePlot& deletion() { return *deletion_; }

private:
    void showResult();

    Workspace& ws_;
    BackgroundJob job_;
    std::shared_ptr<const analysis::FaithfulnessStudy> result_;
    std::shared_ptr<std::shared_ptr<const analysis::FaithfulnessStudy>> pending_;
    DataRunBar* bar_;
    QSpinBox* stepsBox_;
    plots::LinePlot* deletion_;
    plots::LinePlot* insertion_;
};

} // namespace ringscope::gui
