#pragma once
// The window's depth, chosen in one place (the tool bar): how many applications every view
// runs (as trained, or K) and, beyond a model's trained depth, which levels it uses.

#include <QWidget>

class QComboBox;
class QSpinBox;

namespace ringscope::gui {

class Workspace;

class DepthControl : public QWidget {
    Q_OBJECT

public:
    explicit DepthControl(Workspace& workspace, QWidget* parent = nullptr);

    QSpinBox& applications() { return *applications_; }
    QComboBox& policy() { return *policy_; }

private:
    /// Writes the widgets' choice into the workspace.
    void apply();
    /// Shows the workspace's choice.
    void sync();

    Workspace& ws_;
    QSpinBox* applications_;
    QComboBox* policy_;
};

} // namespace ringscope::gui
