#include <torch/types.h>

#include <torch/version.h>

#include "MainWindow.h"

#include "views/AttentionView.h"
#include "views/CkaView.h"
#include "views/DepthView.h"
#include "views/FaithfulnessView.h"
#include "views/TrainView.h"
#include "views/InspectorView.h"
#include "views/LevelsView.h"
#include "views/ClassifyView.h"
#include "views/MadView.h"
#include "DepthControl.h"
#include "ExportActions.h"
#include "ImageStrip.h"
#include "MessageBar.h"
#include "OpenModelDialog.h"
#include "RecentFiles.h"
#include "document/Workspace.h"

#include "AttentionOverlay.h"

#include "ringscope/Version.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QShortcut>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

#include <opencv2/core/version.hpp>

namespace ringscope::gui {

namespace {

const QStringList kCheckpointSuffixes = {"pt", "pth", "bin", "ckpt", "safetensors"};

QStringList imagesIn(const QString& dir) {
    QStringList out;
    for (const QFileInfo& f : QDir(dir).entryInfoList(
             {"*.png", "*.jpg", "*.jpeg", "*.bmp", "*.webp"}, QDir::Files, QDir::Name))
        out << f.absoluteFilePath();
    return out;
}

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), workspace_(new Workspace(this)) {
    setWindowTitle("RingScope");
    setAcceptDrops(true);
    tabs_ = new QTabWidget(this);
    auto* tabs = tabs_;
    attention_ = addView<AttentionView>(tr("Attention"), "attention");
    levels_ = addView<LevelsView>(tr("Level signals"), "levels");
    depth_ = addView<DepthView>(tr("Depth"), "depth");
    cka_ = addView<CkaView>(tr("CKA"), "cka");
    mad_ = addView<MadView>(tr("MAD"), "mad");
    faithfulness_ = addView<FaithfulnessView>(tr("Faithfulness"), "faithfulness");
    classify_ = addView<ClassifyView>(tr("Classify"), "classify");
    train_ = addView<TrainView>(tr("Train"), "train");
    connect(train_, &TrainView::trained, this, [this](const QString& file) {
        const int slot = workspace_->model(1) ? (workspace_->model(0) ? 1 : 0) : 1;
        workspace_->openModel(slot, file);
    });
    inspector_ = addView<InspectorView>(tr("Inspector"), "inspector");
    messages_ = new MessageBar(this);
    exports_ = std::make_unique<ExportActions>(*this, *tabs_, *workspace_, *messages_);
    auto* central = new QWidget(this);
    auto* column = new QVBoxLayout(central);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(0);
    column->addWidget(messages_);
    column->addWidget(tabs, 1);
    setCentralWidget(central);

    auto* strip = new QDockWidget(tr("Images"), this);
    strip->setObjectName("images");
    strip->setWidget(new ImageStrip(*workspace_, strip));
    strip->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::BottomDockWidgetArea, strip);
    QToolBar* depth = addToolBar(tr("Depth"));
    depth->setObjectName("depth");
    depth->addWidget(new DepthControl(*workspace_, depth));

    answerProvider_ = [this](const QString& path, const OpenQuestion& q) {
        return askOpenAnswers(this, path, q);
    };
    buildMenus();
    buildShortcuts();
    connect(workspace_, &Workspace::modelLoadFailed, this,
            [this](int slot, const QString& message) {
                messages_->showError(tr("Could not open a checkpoint into %1: %2")
                                         .arg(Workspace::slotName(slot), message));
            });
    connect(workspace_, &Workspace::fileNotRunnable, this,
            [this](int, const QString& path, const QString& message) {
                messages_->showError(tr("Not a runnable model; its tensors are in the "
                                        "Inspector: %1")
                                         .arg(message));
                inspector_->inspectFile(path);
                tabs_->setCurrentWidget(inspector_);
            });
    connect(workspace_, &Workspace::modelNeedsAnswers, this,
            [this](int slot, const QString& path, const OpenQuestion& q) {
                const std::optional<OpenAnswers> answers = answerProvider_(path, q);
                if (answers)
                    workspace_->answerPending(slot, *answers);
                else
                    workspace_->dropPending(slot);
            });
    connect(workspace_, &Workspace::problem, messages_, &MessageBar::showError);
    connect(workspace_, &Workspace::modelChanged, this, &MainWindow::updateTitle);
    connect(workspace_, &Workspace::modelChanged, statusBar(), &QStatusBar::clearMessage);
    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
    if (!settings.contains("window/geometry")) resize(1280, 820);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openA =
        file->addAction(tr("&Open checkpoint into A..."), this, [this] { chooseModel(0); });
    openA->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open checkpoint into &B..."), this, [this] { chooseModel(1); });
    recent_ = std::make_unique<RecentFiles>(file->addMenu(tr("Open &recent (into B)")),
                                            [this](const QString& p) { openCheckpoint(1, p); });
    demoMenu_ = file->addMenu(tr("Open &demo model"));
    refreshDemoMenu();
    file->addAction(tr("Add &images..."), this, [this] {
        const QStringList paths = QFileDialog::getOpenFileNames(
            this, tr("Add images"), QString(), tr("Images (*.png *.jpg *.jpeg *.bmp *.webp)"));
        workspace_->loadImages(paths);
    });
    file->addSeparator();
    exports_->addTo(*file);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About RingScope"), this, &MainWindow::showAbout);
}

void MainWindow::buildShortcuts() {
    auto add = [this](const QKeySequence& key, auto&& fn) {
        auto* s = new QShortcut(key, this);
        s->setContext(Qt::WindowShortcut);
        connect(s, &QShortcut::activated, this, fn);
    };
    add(QKeySequence(Qt::Key_Left), [this] { attention_->stepApplication(-1); });
    add(QKeySequence(Qt::Key_Right), [this] { attention_->stepApplication(1); });
    add(QKeySequence(Qt::Key_Space), [this] { attention_->togglePlay(); });
    add(QKeySequence(Qt::Key_Escape), [this] {
        for (BackgroundJob* job : {&cka_->job(), &mad_->job(), &classify_->job(), &levels_->job(),
                                   &depth_->job(), &faithfulness_->job(), &train_->job()})
            job->cancel();
    });
}

void MainWindow::chooseModel(int slot) {
    const QString filter =
        tr("Checkpoints (*.%1);;All files (*)").arg(kCheckpointSuffixes.join(" *."));
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open checkpoint into %1").arg(Workspace::slotName(slot)),
        QSettings().value("paths/lastCheckpointDir").toString(), filter);
    if (!path.isEmpty()) openCheckpoint(slot, path);
}

void MainWindow::openCheckpoint(int slot, const QString& path) {
    QSettings().setValue("paths/lastCheckpointDir", QFileInfo(path).absolutePath());
    recent_->add(path);
    workspace_->openModel(slot, path); // read once, on a worker; questions come back as a signal
    statusBar()->showMessage(
        tr("Loading %1 into %2...").arg(QFileInfo(path).fileName(), Workspace::slotName(slot)),
        3000);
}

bool MainWindow::isCheckpoint(const QString& path) {
    if (QFileInfo(path).isDir())
        return QFileInfo::exists(path + "/model.safetensors") ||
               QFileInfo::exists(path + "/pytorch_model.bin");
    return kCheckpointSuffixes.contains(QFileInfo(path).suffix().toLower());
}

int MainWindow::openFiles(const QStringList& paths) {
    int taken = 0;
    QStringList images;
    for (const QString& p : paths) {
        if (QFileInfo(p).isDir() && !isCheckpoint(p)) {
            images << imagesIn(p);
        } else if (isCheckpoint(p)) {
            int slot = 1;
            for (int s = 0; s < Workspace::kSlots; ++s)
                if (!workspace_->model(s) && !workspace_->isLoading(s)) {
                    slot = s;
                    break;
                }
            openCheckpoint(slot, p);
            ++taken;
        } else {
            images << p;
        }
    }
    workspace_->loadImages(images); // decoded on a worker; unreadable ones are reported then
    taken += int(images.size());
    return taken;
}

void MainWindow::openDefaults(const QString& resourceDir, bool models) {
    resourceDir_ = resourceDir;
    refreshDemoMenu();
    const QStringList demo = {"ringformer", "vit"};
    for (int s = 0; models && s < demo.size(); ++s) {
        const QString path = resourceDir + "/models/" + demo[s] + ".ringscope.pt";
        if (QFileInfo::exists(path)) workspace_->openModel(s, path);
    }
    workspace_->loadImages(imagesIn(resourceDir + "/images"));
}

void MainWindow::showView(const QString& name) {
    for (int i = 0; i < tabs_->count(); ++i)
        if (tabs_->widget(i)->objectName() == name.toLower()) tabs_->setCurrentIndex(i);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    QStringList paths;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    if (openFiles(paths) > 0) event->acceptProposedAction();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings().setValue("window/geometry", saveGeometry());
    QMainWindow::closeEvent(event);
}

QString MainWindow::exportBundle(const QString& dir, bool allViews) {
    return exports_->exportBundle(dir, allViews);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, tr("About RingScope"),
                       tr("<h3>RingScope %1</h3><p>A workbench for looking inside weight-shared "
                          "(recurrent) vision "
                          "transformers.</p><p>Qt %2, libtorch %3, OpenCV %4</p>")
                           .arg(ringscope::versionString(), qVersion(), TORCH_VERSION, CV_VERSION));
}

void MainWindow::refreshDemoMenu() {
    if (!demoMenu_) return;
    demoMenu_->clear();
    const QList<QPair<QString, QString>> demos = {
        {"ringformer", "RingFormer"}, {"vit", "ViT"}, {"owf", "OWF"}, {"uit", "UiT"}};
    for (const auto& [file, name] : demos) {
        const QString path = resourceDir_ + "/models/" + file + ".ringscope.pt";
        if (resourceDir_.isEmpty() || !QFileInfo::exists(path)) continue;
        for (int slot : {0, 1})
            demoMenu_->addAction(tr("%1 into %2").arg(name, Workspace::slotName(slot)), this,
                                 [this, slot, path] { workspace_->openModel(slot, path); });
    }
    demoMenu_->setEnabled(!demoMenu_->isEmpty());
}

void MainWindow::updateTitle() {
    QStringList parts;
    for (int s : workspace_->loadedSlots())
        parts << QString("%1: %2").arg(
            Workspace::slotName(s), QString::fromStdString(workspace_->model(s)->facts().fileName));
    setWindowTitle(parts.isEmpty() ? "RingScope" : "RingScope - " + parts.join(", "));
}

} // namespace ringscope::gui
