#pragma once
// The checkpoint inspector: the stored tensors grouped by embedding / block or level / head
// with shape, count, mean, std, min and max; a histogram of the selected tensor; the
// configuration in use, the file's metadata and training state, and its training history.

#include <QWidget>

class QComboBox;
class QPlainTextEdit;
class QTreeWidget;

namespace ringscope::plots {
class LinePlot;
class PlotBase;
} // namespace ringscope::plots

namespace ringscope::gui {

class Workspace;

class InspectorView : public QWidget {
    Q_OBJECT

public:
    explicit InspectorView(Workspace& workspace, QWidget* parent = nullptr);

    QTreeWidget& tree() { return *tree_; }
    /// Shows the model in `slot` (if loaded).
    void showSlot(int slot);

private:
    void reloadSlots();
    void showTensor(const QString& name);

    Workspace& ws_;
    QComboBox* slotBox_;
    QTreeWidget* tree_;
    plots::PlotBase* histogram_;
    plots::LinePlot* history_;
    QPlainTextEdit* facts_;
    int slot_ = -1;
};

} // namespace ringscope::gui
