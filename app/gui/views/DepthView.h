#pragma once
// View "Depth": what the repeated block does over depth, over a data source in the
// background. The sweep K = 1..Kmax of every loaded model and policy on shared axes
// (accuracy, true-class probability or loss), the convergence measures per application, where
// an exit rule stops the images (right and wrong apart) and the adaptive-compute curve of
// every rule, each head's Jensen-Shannon change between applications (A and B), and the
// latent step of every patch of the current image following the application slider.

#include "jobs/DatasetRuns.h"
#include "views/ExportableView.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QSpinBox;

namespace ringscope::plots {
class AttentionOverlay;
class BarPlot;
class HeatmapPlot;
class LinePlot;
} // namespace ringscope::plots

namespace ringscope::gui {

class ApplicationSlider;
class DataRunBar;
class Workspace;

class DepthView : public QWidget, public ExportableView {
    Q_OBJECT

public:
    explicit DepthView(Workspace& workspace, QWidget* parent = nullptr);

    std::vector<std::pair<QString, plots::Figure*>> figures() override;
    void writeNumbers(AnalysisOutput& out) override;

    BackgroundJob& job() { return job_; }
    void run();
    /// The last finished run (null before the first), with the settings it ran with.
    const analysis::DepthStudy* result() const { return result_.get(); }
    void setDataSpec(const QString& spec);
    void setImageCount(int n);
    /// Kmax of the next run (0: twice the largest trained depth).
    QSpinBox& maxApplications() { return *maxBox_; }
    plots::AttentionOverlay& tokens() { return *tokens_; }

private:
    QWidget* buildControls();
    void showResult();
    void showTokens();
    void fillPolicies();
    /// The model and run the per-model plots show (false: no result).
    bool shownRun(size_t& model, size_t& run) const;
    /// "_cycle" when the shown model has several runs (the CLI's figure names).
    std::string runSuffix(size_t model, size_t run) const;

    Workspace& ws_;
    BackgroundJob job_;
    std::shared_ptr<const analysis::DepthStudy> result_;
    std::shared_ptr<std::shared_ptr<const analysis::DepthStudy>> pending_; ///< the running job's
    DataRunBar* bar_;
    QSpinBox* maxBox_;
    QComboBox* curveBox_;
    QComboBox* modelBox_;
    QComboBox* policyBox_;
    QComboBox* ruleBox_;
    plots::LinePlot* sweep_;
    plots::LinePlot* convergence_;
    plots::BarPlot* exits_;
    plots::LinePlot* adaptive_;
    plots::HeatmapPlot* heads_[2];
    ApplicationSlider* slider_;
    plots::AttentionOverlay* tokens_;
};

} // namespace ringscope::gui
