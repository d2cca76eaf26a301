#pragma once
// The control row of the views that compute over a data source (levels, CKA, MAD): data
// source, number of images, view-specific pickers, Compute / Cancel, progress and status,
// wired to the view's background job.

#include <QWidget>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace ringscope::analysis {
struct DataSettings;
}

namespace ringscope::gui {

class BackgroundJob;

class DataRunBar : public QWidget {
    Q_OBJECT

public:
    DataRunBar(BackgroundJob& job, int defaultImages, QWidget* parent = nullptr);

    QString dataSpec() const;
    void setDataSpec(const QString& spec);
    int imageCount() const;
    void setImageCount(int n);
    /// The data source and image count as the settings of a study (batch 64).
    analysis::DataSettings settings() const;
    /// Adds a view-specific control (with an optional label) before the Compute button.
    void addControl(QWidget* control, const QString& label = QString());
    /// Whether Compute is possible (e.g. a model is loaded); ignored while running.
    void setCanRun(bool can);
    /// Call when the view starts its job.
    void started();
    void setStatus(const QString& text);

Q_SIGNALS:
    void computeRequested();

private:
    void setRunning(bool running);

    BackgroundJob& job_;
    QHBoxLayout* row_;
    QComboBox* data_;
    QSpinBox* images_;
    QPushButton* run_;
    QPushButton* cancel_;
    QProgressBar* progress_;
    QLabel* status_;
    bool canRun_ = false;
    int insertAt_ = 0;
};

} // namespace ringscope::gui
