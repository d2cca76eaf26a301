#pragma once
// View 5: every image of the strip through every loaded model: a table of each model's top-k
// with confidences, rows where the models disagree highlighted; the class-lens trajectory
// (probability of each class after every application) of the selected image, per model.

#include "jobs/DatasetRuns.h"
#include "views/ExportableView.h"

#include <QWidget>

#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace ringscope::plots {
class LinePlot;
}

namespace ringscope::gui {

class Workspace;

class ClassifyView : public QWidget, public ExportableView {
    Q_OBJECT

public:
    explicit ClassifyView(Workspace& workspace, QWidget* parent = nullptr);

    std::vector<std::pair<QString, plots::Figure*>> figures() override;
    void writeNumbers(AnalysisOutput& out) override;

    BackgroundJob& job() { return job_; }
    QTableWidget& table() { return *table_; }
    /// Classifies every image of the strip with every loaded model (in the background).
    void run();
    /// Rows whose models' top-1 classes differ.
    int disagreements() const;

private:
    QWidget* buildControls();
    void fillTable();
    void showLens();
    void setRunning(bool running);

    Workspace& ws_;
    BackgroundJob job_;
    std::shared_ptr<const ClassificationRun> result_;                   ///< the last finished run
    std::shared_ptr<std::shared_ptr<const ClassificationRun>> pending_; ///< the running job's
    bool rerunPending_ = false;
    QSpinBox* topBox_;
    QPushButton* runButton_;
    QPushButton* cancelButton_;
    QProgressBar* progress_;
    QLabel* status_;
    QTableWidget* table_;
    plots::LinePlot* lens_[2];
};

} // namespace ringscope::gui
