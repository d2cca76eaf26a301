#pragma once
// View 1: the input image with each model's attention map over it, side by side; the
// application slider with play/pause, head picker (fused, one head, all heads), CLS or a
// clicked query patch, raw attention or rollout, overlay alpha, colour map, shared or
// per-panel scale, and each model's top-3 predictions.

#include "views/ExportableView.h"

#include <QTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QToolButton;

namespace ringscope::plots {
class AttentionOverlay;
}

namespace ringscope::gui {

class ApplicationSlider;
class Workspace;

class AttentionView : public QWidget, public ExportableView {
    Q_OBJECT

public:
    explicit AttentionView(Workspace& workspace, QWidget* parent = nullptr);

    std::vector<std::pair<QString, plots::Figure*>> figures() override;
    void writeNumbers(AnalysisOutput& out) override;

    plots::AttentionOverlay& overlay() { return *overlay_; }
    QSlider& applicationSlider();
    ApplicationSlider& applicationControl() { return *slider_; }
    bool playing() const { return timer_.isActive(); }

public Q_SLOTS:
    void stepApplication(int delta);
    void togglePlay();
    /// Rebuilds the panels from the workspace (coalesced with other requests).
    void refresh();

private:
    QWidget* buildControls();
    void rebuild();
    void syncControls();
    void updateHeadChoices();
    /// The class picker of GAE: the predicted class, then the first model's classes.
    void updateClassChoices();

    Workspace& ws_;
    plots::AttentionOverlay* overlay_;
    ApplicationSlider* slider_;
    QToolButton* playButton_;
    QComboBox* headBox_;
    QPushButton* clsButton_;
    QLabel* queryLabel_;
    QCheckBox* rolloutBox_;
    QCheckBox* gaeBox_;
    QComboBox* classBox_;
    QSlider* alphaSlider_;
    QComboBox* colormapBox_;
    QCheckBox* sharedScaleBox_;
    QLabel* predictions_;
    QTimer timer_;
    QTimer refreshTimer_;
};

} // namespace ringscope::gui
