#include "jobs/BackgroundJob.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

namespace ringscope::gui {

namespace {

/// Long jobs (training, dataset analyses) run on threads of their own, so that they never
/// starve the short work on the global pool (model loads, per-image analyses, image decoding).
QThreadPool& longJobPool() {
    static QThreadPool* pool = [] {
        auto* p = new QThreadPool(QCoreApplication::instance());
        p->setMaxThreadCount(
            8); // one per view's job at most; they are few and mostly wait on torch
        return p;
    }();
    return *pool;
}

} // namespace

BackgroundJob::BackgroundJob(QObject* parent) : QObject(parent) {
    connect(&watcher_, &QFutureWatcherBase::finished, this, [this] {
        running_ = false;
        if (!error_->isEmpty())
            Q_EMIT failed(*error_);
        else if (cancel_->load())
            Q_EMIT cancelled();
        else
            Q_EMIT finished();
    });
}

BackgroundJob::~BackgroundJob() {
    if (cancel_) cancel_->store(true);
    watcher_.waitForFinished();
}

bool BackgroundJob::start(Work work) {
    if (running_) return false;
    running_ = true;
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    error_ = std::make_shared<QString>();
    QPointer<BackgroundJob> self(this);
    JobContext ctx;
    auto flag = cancel_;
    ctx.cancel = [flag] { return flag->load(); };
    ctx.progress = [self](qint64 done, qint64 total) {
        if (!self) return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, done, total] {
                if (self) Q_EMIT self->progress(done, total);
            },
            Qt::QueuedConnection);
    };
    auto error = error_;
    watcher_.setFuture(QtConcurrent::run(&longJobPool(), [work = std::move(work), ctx, error] {
        try {
            work(ctx);
        } catch (const std::exception& e) {
            *error = QString::fromUtf8(e.what());
        } catch (...) {
            *error = QStringLiteral("unknown error");
        }
    }));
    return true;
}

void BackgroundJob::cancel() {
    if (cancel_) cancel_->store(true);
}

} // namespace ringscope::gui
