#pragma once
// View 2: level signals of the recurrent models and depth dynamics of all models, over a data
// source in the background: relative update and cosine between applications (every loaded
// model), RingFormer signal-to-term ratios per level (Q, K, V, F), low-rank map norms and
// singular values, cosine between levels' signals, the per-token ratio on the patch grid of
// the current image, and UiT level-encoding ratios.

#include "jobs/DatasetRuns.h"
#include "views/ExportableView.h"

#include <QWidget>

#include <memory>

class QComboBox;

namespace ringscope::plots {
class AttentionOverlay;
class HeatmapPlot;
class LinePlot;
} // namespace ringscope::plots

namespace ringscope::gui {

class DataRunBar;
class Workspace;

class LevelsView : public QWidget, public ExportableView {
    Q_OBJECT

public:
    explicit LevelsView(Workspace& workspace, QWidget* parent = nullptr);

    std::vector<std::pair<QString, plots::Figure*>> figures() override;
    void writeNumbers(AnalysisOutput& out) override;

    BackgroundJob& job() { return job_; }
    void run();
    /// The last finished run (null before the first), with the settings it ran with.
    const analysis::LevelsStudy* result() const { return result_.get(); }
    void setDataSpec(const QString& spec);

private:
    QWidget* buildControls();
    void showResult();
    void showTokens();
    /// The index of the first RingFormer of the result (-1: none).
    int ringIndex() const;

    Workspace& ws_;
    BackgroundJob job_;
    std::shared_ptr<const analysis::LevelsStudy> result_;
    std::shared_ptr<std::shared_ptr<const analysis::LevelsStudy>> pending_; ///< the running job's
    DataRunBar* bar_;
    QComboBox* signalBox_;
    plots::LinePlot* dynamics_;
    plots::LinePlot* ratios_;
    plots::LinePlot* norms_;
    plots::LinePlot* singular_;
    plots::HeatmapPlot* cosine_;
    plots::AttentionOverlay* tokens_;
};

} // namespace ringscope::gui
