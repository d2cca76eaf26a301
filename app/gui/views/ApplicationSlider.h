#pragma once
// The application slider the views share: it moves the workspace's application (layer or
// iteration), runs up to the depth chosen for the window, and says when the selected
// application lies beyond a model's trained depth (and under which policy).

#include <QWidget>

class QLabel;
class QSlider;

namespace ringscope::gui {

class Workspace;

class ApplicationSlider : public QWidget {
    Q_OBJECT

public:
    explicit ApplicationSlider(Workspace& workspace, QWidget* parent = nullptr);

    QSlider& slider() { return *slider_; }
    /// What the label says: "iteration 8 / 12", then "A: beyond the trained 6, cycle".
    QString text() const;
    /// True while the selected application lies beyond the trained depth of a loaded model.
    bool beyondTrained() const { return beyond_; }

private:
    void sync();

    Workspace& ws_;
    QSlider* slider_;
    QLabel* label_;
    bool beyond_ = false;
};

} // namespace ringscope::gui
