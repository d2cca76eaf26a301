#pragma once
// Long work off the GUI thread (CKA over a dataset, MAD, batch classification, training):
// the work function gets progress and cancel callbacks; the job reports back by signals on
// the GUI thread and is cancelled and waited for when destroyed.

#include "ringscope/model/core/RunControl.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace ringscope::gui {

/// What a job's work gets: the one progress/cancel type of the project, whose progress is
/// forwarded to the GUI thread as the progress() signal.
using JobContext = RunControl;

class BackgroundJob : public QObject {
    Q_OBJECT

public:
    /// `work` runs on a worker thread; an exception it throws becomes failed(message).
    using Work = std::function<void(const JobContext&)>;

    explicit BackgroundJob(QObject* parent = nullptr);
    ~BackgroundJob() override;

    /// Starts `work` unless a job is running (returns false then).
    bool start(Work work);
    bool running() const { return running_; }

public Q_SLOTS:
    void cancel();

Q_SIGNALS:
    void progress(qint64 done, qint64 total);
    void finished(); ///< the work returned normally
    void failed(const QString& message);
    void cancelled(); ///< the work stopped after cancel()

private:
    QFutureWatcher<void> watcher_;
    std::shared_ptr<std::atomic<bool>> cancel_;
    std::shared_ptr<QString> error_;
    bool running_ = false;
};

} // namespace ringscope::gui
