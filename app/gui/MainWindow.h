#pragma once
// The main window: menus, the image strip, the views in tabs. State lives in the Workspace;
// the window only wires it to widgets (docks and menus are built in helpers).

#include "document/ModelSession.h"

#include <QMainWindow>
#include <QTabWidget>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace ringscope::gui {

class AttentionView;
class CkaView;
class DepthView;
class FaithfulnessView;
class TrainView;
class InspectorView;
class LevelsView;
class ClassifyView;
class MadView;
class ExportActions;
class MessageBar;
class Workspace;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    Workspace& workspace() { return *workspace_; }
    AttentionView& attentionView() { return *attention_; }
    MessageBar& messageBar() { return *messages_; }
    CkaView& ckaView() { return *cka_; }
    MadView& madView() { return *mad_; }
    LevelsView& levelsView() { return *levels_; }
    DepthView& depthView() { return *depth_; }
    FaithfulnessView& faithfulnessView() { return *faithfulness_; }
    InspectorView& inspectorView() { return *inspector_; }
    TrainView& trainView() { return *train_; }
    ClassifyView& classifyView() { return *classify_; }

    /// Opens files as a drop would: checkpoints into the first free slot (else B), images into
    /// the strip. Returns how many files were taken.
    int openFiles(const QStringList& paths);
    /// Loads the bundled demo images and, with `models`, the demo models (the first launch).
    void openDefaults(const QString& resourceDir, bool models = true);
    /// A checkpoint file or a Hugging Face model folder (what openFiles() opens as a model).
    static bool isCheckpoint(const QString& path);
    /// The folder the demo models and images were opened from (empty when none was).
    const QString& resourceDir() const { return resourceDir_; }
    /// Brings a view to the front by name ("attention", "cka").
    void showView(const QString& name);
    /// Writes the current view (or every view) with its numbers and a manifest into `dir`.
    /// Returns "" or the problem.
    QString exportBundle(const QString& dir, bool allViews);
    /// Opens a checkpoint into a slot, asking for the heads when the file does not say.
    void openCheckpoint(int slot, const QString& path);
    /// What answers the questions about a checkpoint (default: the dialogs of
    /// OpenModelDialog.h; tests answer without a dialog).
    using AnswerProvider = std::function<std::optional<OpenAnswers>(const QString& path,
                                                                    const OpenQuestion& question)>;
    void setAnswerProvider(AnswerProvider provider) { answerProvider_ = std::move(provider); }
    const AnswerProvider& answerProvider() const { return answerProvider_; }

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    /// Adds a view of type V as a tab with this title; `name` is its object name (--view).
    template <class V> V* addView(const QString& title, const char* name) {
        auto* view = new V(*workspace_, tabs_);
        view->setObjectName(name);
        tabs_->addTab(view, title);
        return view;
    }
    void buildMenus();
    void buildShortcuts();
    void chooseModel(int slot);
    void showAbout();
    void refreshDemoMenu();
    void updateTitle();

    Workspace* workspace_;
    AttentionView* attention_;
    MessageBar* messages_;
    std::unique_ptr<ExportActions> exports_;
    CkaView* cka_;
    MadView* mad_;
    LevelsView* levels_;
    DepthView* depth_;
    FaithfulnessView* faithfulness_;
    InspectorView* inspector_;
    TrainView* train_;
    ClassifyView* classify_;
    std::unique_ptr<class RecentFiles> recent_;
    class QMenu* demoMenu_ = nullptr;
    QString resourceDir_;
    QTabWidget* tabs_ = nullptr;
    AnswerProvider answerProvider_;
};

} // namespace ringscope::gui
