#pragma once
// The checkpoint inspector: the stored tensors grouped by embedding / block or level / head
// with shape, count, mean, std, min and max; a histogram of the selected tensor; the
// configuration in use, the file's metadata and training state, and its training history.
// Besides the loaded models it opens any tensor file RingScope can read ("Inspect a file..."),
// runnable or not, and says why a file is not a runnable model.

#include "jobs/BackgroundJob.h"

#include <QHash>
#include <QPair>
#include <QWidget>

#include <memory>
#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTreeWidget;

namespace ringscope::plots {
class LinePlot;
class PlotBase;
} // namespace ringscope::plots

namespace ringscope::gui {

class FileInspection;
struct CheckpointFacts;
struct ParameterStat;
class Workspace;

class InspectorView : public QWidget {
    Q_OBJECT

public:
    explicit InspectorView(Workspace& workspace, QWidget* parent = nullptr);

    QTreeWidget& tree() { return *tree_; }
    /// Shows the model in `slot` (if loaded).
    void showSlot(int slot);
    /// Reads `path` on a worker and shows its tensors (any file RingScope can read).
    void inspectFile(const QString& path);
    BackgroundJob& job() { return job_; }
    /// The histogram of the selected tensor (computed on a worker: histogramJob()).
    plots::PlotBase& histogramPlot() { return *histogram_; }
    BackgroundJob& histogramJob() { return histogramJob_; }
    /// The file shown by inspectFile() (null before).
    const FileInspection* file() const { return file_.get(); }

private:
    void reloadSlots();
    void showFile();
    /// Starts the histogram of tensor `name` on a worker (the latest request wins).
    void showTensor(const QString& name);
    /// Draws the histogram computed for `name`.
    void drawHistogram(const QString& name, const std::vector<double>& counts);
    /// The normalisation row: the model's, or hidden for a file.
    void showNormalization();
    /// Reopens the shown model with the normalisation typed in.
    void applyNormalization();
    /// Fills the tree, the facts and the history.
    void render(const std::vector<ParameterStat>& stats, const QString& header,
                const CheckpointFacts& facts);

    Workspace& ws_;
    QComboBox* slotBox_;
    QTreeWidget* tree_;
    plots::PlotBase* histogram_;
    plots::LinePlot* history_;
    QPlainTextEdit* facts_;
    QWidget* normRow_;
    QLineEdit *mean_, *std_;
    QLabel* normSource_;
    int slot_ = -1; ///< the slot shown, or kFile
    BackgroundJob job_;
    std::shared_ptr<const FileInspection> file_;
    std::shared_ptr<std::shared_ptr<const FileInspection>> pending_;
    QHash<QString, QPair<double, double>> ranges_; ///< min, max of every tensor shown
    BackgroundJob histogramJob_;
    QString histogramWanted_;   ///< the tensor whose histogram was asked for last
    QString histogramComputed_; ///< the tensor histogramJob_ computes
    std::shared_ptr<std::vector<double>> histogramCounts_;
};

} // namespace ringscope::gui
