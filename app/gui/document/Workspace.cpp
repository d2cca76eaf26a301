#include <torch/types.h>

#include "document/Workspace.h"

#include "MatImage.h"

#include "ringscope/model/checkpoint/Checkpoint.h"
#include "ringscope/model/nets/ArchitectureInference.h"
#include "ringscope/model/data/ImageTensor.h"

#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

#include <opencv2/imgproc.hpp>

namespace ringscope::gui {

Workspace::Workspace(QObject* parent) : QObject(parent), slots_(kSlots) {
    // RINGSCOPE_ANALYSIS_CACHE_MIB overrides the analysis cache's budget (default 512 MiB).
    bool ok = false;
    const int mib = qEnvironmentVariableIntValue("RINGSCOPE_ANALYSIS_CACHE_MIB", &ok);
    if (ok && mib > 0) cache_.setBudget(size_t(mib) << 20);
}

Workspace::~Workspace() {
    // Workers hold their own references to sessions and images; their watchers are children
    // of this object, so results that arrive after it is gone go nowhere.
}

std::shared_ptr<const ModelSession> Workspace::model(int slot) const {
    return slot >= 0 && slot < kSlots ? slots_[size_t(slot)].session : nullptr;
}

QList<int> Workspace::loadedSlots() const {
    QList<int> out;
    for (int s = 0; s < kSlots; ++s)
        if (slots_[size_t(s)].session) out.push_back(s);
    return out;
}

std::vector<std::shared_ptr<const ModelSession>>
Workspace::loadedModels(QStringList* labels) const {
    std::vector<std::shared_ptr<const ModelSession>> out;
    if (labels) labels->clear();
    for (int s : loadedSlots()) {
        out.push_back(model(s));
        if (labels) *labels << slotLabel(s);
    }
    return out;
}

QString Workspace::slotLabel(int slot) const {
    const auto& session = slots_[size_t(slot)].session;
    return session ? slotName(slot) + ": " + QString::fromStdString(session->facts().family)
                   : slotName(slot);
}

bool Workspace::isLoading(int slot) const {
    return slots_[size_t(slot)].loading;
}

int Workspace::maxApplications() const {
    int n = 0;
    for (int s : loadedSlots())
        n = std::max(n, applicationsOf(s));
    return n;
}

int Workspace::applicationsOf(int slot) const {
    const auto& session = slots_[size_t(slot)].session;
    if (!session) return 0;
    const DepthChoice run = session->resolve(depth_);
    return run.applications > 0 ? run.applications : session->facts().applications;
}

QString Workspace::depthNote(int slot, int application) const {
    const auto& session = slots_[size_t(slot)].session;
    if (!session || !session->facts().recurrent || application < session->facts().applications)
        return {};
    return tr("beyond trained %1, %2")
        .arg(session->facts().applications)
        .arg(QString::fromStdString(session->resolve(depth_).policy));
}

void Workspace::setDepth(const DepthChoice& depth) {
    if (depth == depth_) return;
    depth_ = depth;
    invalidateAnalyses();
    if (application_ >= maxApplications()) setApplication(std::max(0, maxApplications() - 1));
    Q_EMIT depthChanged();
}

void Workspace::invalidateAnalyses() {
    for (Slot& s : slots_)
        if (s.session) ++s.generation; // late results of the old request are dropped
    cache_.clear();
}

void Workspace::setGae(bool on) {
    if (on == gae_) return;
    gae_ = on;
    if (on) invalidateAnalyses(); // the cached ones have no GAE
    Q_EMIT gaeChanged();
}

void Workspace::setGaeClass(int cls) {
    cls = std::max(-1, cls);
    if (cls == gaeClass_) return;
    gaeClass_ = cls;
    if (gae_) invalidateAnalyses();
    Q_EMIT gaeChanged();
}

void Workspace::startLoad(int slot, const QString& path, std::function<LoadOutcome()> work) {
    Slot& s = slots_[size_t(slot)];
    s.loading = true;
    s.pending.reset();
    const int generation = ++s.generation;
    auto* watcher = new QFutureWatcher<LoadOutcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, slot, generation, path] {
        watcher->deleteLater();
        Slot& s = slots_[size_t(slot)];
        if (s.generation != generation) return; // superseded by a later open/close
        s.loading = false;
        LoadOutcome r = watcher->result();
        if (r.checkpoint) {
            s.pending = std::move(r.checkpoint);
            Q_EMIT modelNeedsAnswers(slot, path, r.question);
            return;
        }
        if (!r.session) {
            const QString message = r.error.isEmpty() ? path + ": could not be read" : r.error;
            if (r.notRunnable)
                Q_EMIT fileNotRunnable(slot, path, message);
            else
                Q_EMIT modelLoadFailed(slot, message);
            return;
        }
        s.session = std::move(r.session);
        cache_.dropSlot(slot);
        if (application_ >= maxApplications()) setApplication(maxApplications() - 1);
        Q_EMIT modelChanged(slot);
    });
    watcher->setFuture(QtConcurrent::run([work = std::move(work), path]() -> LoadOutcome {
        try {
            return work();
        } catch (const AmbiguousShapeError& e) {
            return {nullptr, nullptr, {}, QString::fromStdString(e.what())};
        } catch (const ModelMismatchError& e) {
            return {nullptr, nullptr, {}, QString::fromStdString(e.what()), true};
        } catch (const std::exception& e) {
            return {nullptr, nullptr, {}, QString::fromStdString(e.what())};
        } catch (...) {
            return {nullptr, nullptr, {}, path + ": unknown error"};
        }
    }));
}

void Workspace::openModel(int slot, const QString& path, const OpenAnswers& answers) {
    const std::string file = path.toStdString();
    slots_[size_t(slot)].pendingAnswers = answers;
    startLoad(slot, path, [file, answers]() -> LoadOutcome {
        auto checkpoint = std::make_shared<const Checkpoint>(loadCheckpoint(file));
        OpenQuestion question = ModelSession::question(*checkpoint, answers);
        if (!question.empty()) return {nullptr, std::move(checkpoint), std::move(question), {}};
        return {ModelSession::build(*checkpoint, answers), nullptr, {}, {}};
    });
}

void Workspace::answerPending(int slot, const OpenAnswers& answers) {
    Slot& s = slots_[size_t(slot)];
    if (!s.pending) return;
    std::shared_ptr<const Checkpoint> checkpoint = s.pending;
    OpenAnswers all = s.pendingAnswers;
    if (answers.heads) all.heads = answers.heads;
    if (answers.imageSize) all.imageSize = answers.imageSize;
    if (answers.levels) all.levels = answers.levels;
    startLoad(slot, QString::fromStdString(checkpoint->path), [checkpoint, all]() -> LoadOutcome {
        return {ModelSession::build(*checkpoint, all), nullptr, {}, {}};
    });
}

void Workspace::dropPending(int slot) {
    slots_[size_t(slot)].pending.reset();
}

void Workspace::closeModel(int slot) {
    Slot& s = slots_[size_t(slot)];
    ++s.generation;
    s.session.reset();
    s.loading = false;
    cache_.dropSlot(slot);
    Q_EMIT modelChanged(slot);
}

std::vector<Workspace::DecodedImage> Workspace::readWorkspaceImages(const QStringList& paths) {
    std::vector<DecodedImage> decoded;
    for (const QString& p : paths)
        decoded.push_back(readWorkspaceImage(p));
    return decoded;
}

Workspace::DecodedImage Workspace::readWorkspaceImage(const QString& path) {
    try {
        auto pixels = std::make_shared<cv::Mat>(readImage(path.toStdString()));
        return {WorkspaceImage{path, QFileInfo(path).fileName(), matToQImage(*pixels), pixels}, {}};
    } catch (const std::exception& e) {
        return {std::nullopt, QString::fromStdString(e.what())};
    }
}

int Workspace::append(const std::vector<DecodedImage>& decoded) {
    int added = 0;
    for (const DecodedImage& d : decoded) {
        if (!d.image) {
            Q_EMIT problem(d.error);
            continue;
        }
        images_.push_back(*d.image);
        ++added;
    }
    if (added > 0) {
        Q_EMIT imagesChanged();
        if (currentImage_ < 0) setCurrentImage(0);
    }
    return added;
}

int Workspace::addImages(const QStringList& paths) {
    return append(readWorkspaceImages(paths));
}

void Workspace::loadImages(const QStringList& paths) {
    if (paths.isEmpty()) return;
    const int generation = imageGeneration_;
    auto* watcher = new QFutureWatcher<std::vector<DecodedImage>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation == imageGeneration_) append(watcher->result());
    });
    watcher->setFuture(QtConcurrent::run([paths] { return readWorkspaceImages(paths); }));
}

void Workspace::clearImages() {
    ++imageGeneration_;
    pending_.clear();
    images_.clear();
    cache_.clear();
    currentImage_ = -1;
    wantedImage_->store(-1);
    Q_EMIT imagesChanged();
    Q_EMIT currentImageChanged(-1);
}

void Workspace::setCurrentImage(int i) {
    if (i == currentImage_ || i < -1 || i >= imageCount()) return;
    currentImage_ = i;
    wantedImage_->store(i);
    Q_EMIT currentImageChanged(i);
}

void Workspace::setApplication(int a) {
    a = std::clamp(a, 0, std::max(0, maxApplications() - 1));
    if (a == application_) return;
    application_ = a;
    Q_EMIT applicationChanged(a);
}

void Workspace::setHead(int h) {
    if (h == head_) return;
    head_ = h;
    Q_EMIT headChanged(h);
}

void Workspace::setQuery(int token) {
    if (token == query_ || token < 0) return;
    query_ = token;
    Q_EMIT queryChanged(token);
}

void Workspace::setRollout(bool on) {
    if (on == rollout_) return;
    rollout_ = on;
    Q_EMIT rolloutChanged(on);
}

const ImageAnalysis* Workspace::analysis(int slot, int image) {
    if (!model(slot) || image < 0 || image >= imageCount()) return nullptr;
    const quint64 k = AnalysisCache::key(slot, image);
    if (const ImageAnalysis* cached = cache_.find(slot, image)) return cached;
    if (pending_.value(k, -1) != slots_[size_t(slot)].generation) compute(slot, image);
    return nullptr;
}

const ImageAnalysis* Workspace::currentAnalysis(int slot) {
    return analysis(slot, currentImage_);
}

QImage Workspace::currentPreview() const {
    return currentImage_ >= 0 && currentImage_ < imageCount() ? image(currentImage_).preview
                                                              : QImage();
}

void Workspace::compute(int slot, int image) {
    const quint64 k = AnalysisCache::key(slot, image);
    const int generation = slots_[size_t(slot)].generation, images = imageGeneration_;
    pending_.insert(k, generation);
    const AnalysisRequest request{depth_, gae_, gaeClass_};
    std::shared_ptr<const ModelSession> session = slots_[size_t(slot)].session;
    std::shared_ptr<const cv::Mat> pixels = images_[size_t(image)].pixels;
    std::shared_ptr<std::atomic<int>> wanted = wantedImage_;
    const bool forScreen = image == currentImage_; // only these are dropped when superseded
    // What the worker made of the request: the analysis, an error, or nothing because the
    // user had moved to another image before it started.
    struct Outcome {
        std::shared_ptr<ImageAnalysis> analysis;
        QString error;
        bool superseded = false;
    };
    auto* watcher = new QFutureWatcher<Outcome>(this);
    const QString name = images_[size_t(image)].path;
    connect(watcher, &QFutureWatcherBase::finished, this,
            [this, watcher, slot, image, k, generation, images, name] {
                watcher->deleteLater();
                if (images != imageGeneration_) return; // the images were cleared meanwhile
                // A request of an older model or depth leaves a newer one's pending mark.
                if (pending_.value(k, -1) == generation) pending_.remove(k);
                if (slots_[size_t(slot)].generation != generation || image >= imageCount()) return;
                const Outcome r = watcher->result();
                if (r.superseded) {
                    if (image == currentImage_)
                        compute(slot, image); // the user came back meanwhile
                } else if (r.analysis) {
                    cache_.insert(slot, image, r.analysis, currentImage_);
                    Q_EMIT analysisReady(slot, image);
                } else {
                    Q_EMIT problem(name + ": " + r.error);
                }
            });
    watcher->setFuture(QtConcurrent::run([session, pixels, wanted, image, forScreen,
                                          request]() -> Outcome {
        if (forScreen && wanted->load() != image) return {nullptr, {}, true};
        try {
            return {std::make_shared<ImageAnalysis>(session->analyse(*pixels, request)), {}, false};
        } catch (const std::exception& e) {
            return {nullptr, QString::fromStdString(e.what()), false};
        }
    }));
}

} // namespace ringscope::gui
