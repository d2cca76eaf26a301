#pragma once
// The document of the desktop app: the models in slots A, B, ..., the images, the linked
// selection (image, application, head, query token, raw/rollout) that every view follows, and
// the per-image analyses, computed off the GUI thread and cached. Emits fine-grained signals.

#include "document/AnalysisCache.h"
#include "document/ModelSession.h"

#include <QFutureWatcher>
#include <QHash>
#include <QImage>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace ringscope::gui {

/// Head selection: a head index >= 0, or one of these fusions.
enum HeadChoice { kHeadMean = -1, kHeadMax = -2, kHeadMin = -3, kAllHeads = -4 };

struct WorkspaceImage {
    QString path;
    QString name;
    QImage preview;                        ///< the image as loaded (RGB)
    std::shared_ptr<const cv::Mat> pixels; ///< what the models get
};

class Workspace : public QObject {
    Q_OBJECT

public:
    static constexpr int kSlots = 2; ///< A and B, the two models every view compares

    explicit Workspace(QObject* parent = nullptr);
    ~Workspace() override;

    static QString slotName(int slot) { return QString(QChar('A' + slot)); }
    /// "A: RingFormer": the slot and its model's family ("A" when empty).
    QString slotLabel(int slot) const;

    // Models
    std::shared_ptr<const ModelSession> model(int slot) const;
    QList<int> loadedSlots() const;
    /// Reads a checkpoint into `slot` on a worker thread, once; emits modelChanged,
    /// modelLoadFailed, or modelNeedsAnswers when the file does not say what the model needs
    /// (then answerPending() builds it from what was read, or dropPending() forgets it).
    void openModel(int slot, const QString& path, const OpenAnswers& answers = {});
    /// Builds the model of the checkpoint waiting in `slot` with the user's answers (worker
    /// thread; the file is not read again).
    void answerPending(int slot, const OpenAnswers& answers);
    /// Forgets the checkpoint waiting in `slot` (the user cancelled).
    void dropPending(int slot);
    void closeModel(int slot);
    bool isLoading(int slot) const;
    /// The loaded models in slot order and their labels ("A: RingFormer"), for a background job
    /// that must keep them alive.
    std::vector<std::shared_ptr<const ModelSession>>
    loadedModels(QStringList* labels = nullptr) const;
    /// Largest number of applications among the loaded models (at the chosen depth).
    int maxApplications() const;

    // Depth
    /// The applications every per-image analysis and every study runs, and the policy beyond
    /// the trained depth: one choice for the whole window.
    const DepthChoice& depth() const { return depth_; }
    /// Changes the depth: cached analyses are dropped and computed again on demand.
    void setDepth(const DepthChoice& depth);
    /// Whether the per-image analyses also compute GAE, and for which class (-1: predicted).
    bool gae() const { return gae_; }
    int gaeClass() const { return gaeClass_; }
    /// Turning GAE on, or changing its class while on, computes the analyses again.
    void setGae(bool on);
    void setGaeClass(int cls);
    /// What the model in `slot` runs at the chosen depth (0: none loaded).
    int applicationsOf(int slot) const;
    /// "beyond the trained 6, cycle" when application `application` (0-based) of `slot` lies
    /// past the trained depth, else "".
    QString depthNote(int slot, int application) const;

    // Images
    /// Reads images on the calling thread (unreadable ones are reported through problem());
    /// returns how many were added. For scripted use; the window uses loadImages().
    int addImages(const QStringList& paths);
    /// Reads images on a worker thread (the GUI thread never decodes) and appends them, in
    /// order, when all are read; unreadable ones are reported through problem(). A
    /// clearImages() meanwhile drops them.
    void loadImages(const QStringList& paths);
    void clearImages();
    int imageCount() const { return int(images_.size()); }
    const WorkspaceImage& image(int i) const { return images_[size_t(i)]; }

    // Linked selection
    int currentImage() const { return currentImage_; }
    int application() const { return application_; } ///< 0-based
    int head() const { return head_; }               ///< >= 0 or a HeadChoice
    int query() const { return query_; }             ///< token: 0 = CLS, p + 1 = patch p
    bool rollout() const { return rollout_; }
    void setCurrentImage(int i);
    void setApplication(int a);
    void setHead(int h);
    void setQuery(int token);
    void setRollout(bool on);

    /// The analysis of `image` by the model in `slot`, or null while it is being computed
    /// (analysisReady follows). A request for the image on screen that has not started when
    /// the user moves to another image is dropped (latest request wins); it is made again when
    /// the image comes back. Requests for other images always run. The pointer is valid until
    /// the cache changes: use it at once (the depth or GAE choice empties the cache).
    const ImageAnalysis* analysis(int slot, int image);
    /// analysis() of the image on screen (null while computing or without an image).
    const ImageAnalysis* currentAnalysis(int slot);
    /// The image on screen as loaded (null image: none).
    QImage currentPreview() const;
    /// The cache of analyses (bounded in bytes; see AnalysisCache).
    AnalysisCache& analysisCache() { return cache_; }

Q_SIGNALS:
    void modelChanged(int slot);
    void modelLoadFailed(int slot, const QString& message);
    /// The file at `path` was read but holds no model RingScope runs (`message` says why):
    /// the Inspector can still show its tensors.
    void fileNotRunnable(int slot, const QString& path, const QString& message);
    /// The checkpoint read for `slot` does not say what `question` asks.
    void modelNeedsAnswers(int slot, const QString& path,
                           const ringscope::gui::OpenQuestion& question);
    void imagesChanged();
    void currentImageChanged(int image);
    void applicationChanged(int application);
    void headChanged(int head);
    void queryChanged(int token);
    void rolloutChanged(bool on);
    void depthChanged();
    void gaeChanged();
    void analysisReady(int slot, int image);
    void problem(const QString& message);

private:
    struct Slot {
        std::shared_ptr<const ModelSession> session;
        std::shared_ptr<const Checkpoint> pending; ///< read, waiting for the user's answers
        OpenAnswers pendingAnswers;
        bool loading = false;
        int generation = 0; ///< bumps on every change, so late results of old models are dropped
    };
    /// What a worker made of a checkpoint: a session, or the checkpoint and a question.
    struct LoadOutcome {
        std::shared_ptr<ModelSession> session;
        std::shared_ptr<const Checkpoint> checkpoint;
        OpenQuestion question;
        QString error;
        bool notRunnable = false; ///< read, but no model family fits the weights
    };
    void startLoad(int slot, const QString& path, std::function<LoadOutcome()> work);
    /// One image read by readWorkspaceImage(): the image, or why it could not be read.
    struct DecodedImage {
        std::optional<WorkspaceImage> image;
        QString error;
    };
    static DecodedImage readWorkspaceImage(const QString& path);
    static std::vector<DecodedImage> readWorkspaceImages(const QStringList& paths);
    int append(const std::vector<DecodedImage>& decoded);
    void compute(int slot, int image);

    std::vector<Slot> slots_;
    std::vector<WorkspaceImage> images_;
    AnalysisCache cache_;
    QHash<quint64, int> pending_; ///< analyses running, with the slot generation asked for
    int imageGeneration_ = 0; ///< bumps in clearImages(), so late images and analyses are dropped
    /// The image on screen, as the analysis workers see it: a request for another image that
    /// has not started yet is dropped (latest request wins).
    std::shared_ptr<std::atomic<int>> wantedImage_ = std::make_shared<std::atomic<int>>(-1);
    int currentImage_ = -1, application_ = 0, head_ = kHeadMean, query_ = 0;
    bool rollout_ = false;
    DepthChoice depth_;
    bool gae_ = false;
    int gaeClass_ = -1;
    /// Drops every analysis (and the late ones): what they compute has changed.
    void invalidateAnalyses();
};

} // namespace ringscope::gui
