#pragma once
// View 6: train a model in the app: family, sizes, data, epochs; live loss, accuracy and
// learning-rate curves, images/s and ETA; cancel keeps the last good checkpoint; the result
// opens into a model slot.

#include "jobs/TrainingRun.h"

#include <QTimer>
#include <QWidget>

#include <memory>

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace ringscope::plots {
class LinePlot;
}

namespace ringscope::gui {

class Workspace;

class TrainView : public QWidget {
    Q_OBJECT

public:
    explicit TrainView(Workspace& workspace, QWidget* parent = nullptr);

    BackgroundJob& job() { return job_; }
    /// Fills the form (tests and scripted runs).
    void setRequest(const TrainRequest& request);
    TrainRequest request() const;
    void start();
    const TrainOutcome& outcome() const { return *outcome_; }

Q_SIGNALS:
    /// A run ended with a checkpoint (finished or cancelled after at least one epoch).
    void trained(const QString& checkpoint);

private:
    QWidget* buildForm();
    void collect();
    void finish(bool cancelled);
    void setRunning(bool running);

    Workspace& ws_;
    BackgroundJob job_;
    std::shared_ptr<TrainFeed> feed_ = std::make_shared<TrainFeed>();
    std::shared_ptr<TrainOutcome> outcome_ = std::make_shared<TrainOutcome>();
    QTimer poll_;
    QComboBox* family_;
    QSpinBox *hidden_, *heads_, *mlp_, *depth_, *rank_, *epochs_, *batch_, *holdout_, *limit_;
    QDoubleSpinBox *lr_, *weightDecay_, *cropScale_;
    QComboBox* optimizer_;
    double warmupEpochs_ = 1.0; ///< not in the form: kept from the request
    QComboBox* data_;
    QLineEdit* out_;
    QPushButton *startButton_, *cancelButton_;
    QProgressBar* progress_;
    QLabel* status_;
    plots::LinePlot *loss_, *accuracy_, *lrPlot_;
};

} // namespace ringscope::gui
