#include <torch/types.h>

#include "AnalysisOutput.h"
#include "StudyExport.h"
#include "ringscope/analysis/Studies.h"

#include "views/DepthView.h"

#include "document/Workspace.h"
#include "views/ApplicationSlider.h"
#include "views/DataRunBar.h"

#include "AttentionOverlay.h"
#include "BarPlot.h"
#include "HeatmapPlot.h"
#include "LinePlot.h"

#include <QComboBox>
#include <QGridLayout>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ringscope::gui {

namespace {

const char* const kCurveNames[] = {"depth_accuracy", "depth_confidence", "depth_loss"};

} // namespace

DepthView::DepthView(Workspace& workspace, QWidget* parent) : QWidget(parent), ws_(workspace) {
    sweep_ = new plots::LinePlot(this);
    convergence_ = new plots::LinePlot(this);
    exits_ = new plots::BarPlot(this);
    adaptive_ = new plots::LinePlot(this);
    for (auto*& h : heads_)
        h = new plots::HeatmapPlot(this);
    // Six plots share the tab: smaller legends keep the curves visible.
    for (plots::PlotBase* p :
         std::initializer_list<plots::PlotBase*>{sweep_, convergence_, exits_, adaptive_})
        p->legend->setFont(QFont(font().family(), 8));
    tokens_ = new plots::AttentionOverlay(this);
    slider_ = new ApplicationSlider(ws_, this);
    auto* current = new QVBoxLayout;
    current->addWidget(slider_);
    current->addWidget(tokens_, 1);
    auto* heads = new QVBoxLayout;
    heads->addWidget(heads_[0]);
    heads->addWidget(heads_[1]);
    auto* grid = new QGridLayout;
    grid->addWidget(sweep_, 0, 0);
    grid->addWidget(convergence_, 0, 1);
    grid->addLayout(current, 0, 2);
    grid->addWidget(exits_, 1, 0);
    grid->addWidget(adaptive_, 1, 1);
    grid->addLayout(heads, 1, 2);
    for (int c = 0; c < 3; ++c)
        grid->setColumnStretch(c, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(buildControls());
    layout->addLayout(grid, 1);

    connect(&job_, &BackgroundJob::finished, this, [this] {
        takeUnlessCancelled(result_, pending_);
        fillPolicies();
        showResult();
    });
    connect(&ws_, &Workspace::modelChanged, this,
            [this] { bar_->setCanRun(!ws_.loadedSlots().isEmpty()); });
    for (auto signal : {&Workspace::applicationChanged, &Workspace::currentImageChanged})
        connect(&ws_, signal, this, &DepthView::showTokens);
    connect(&ws_, &Workspace::analysisReady, this, &DepthView::showTokens);
    connect(&ws_, &Workspace::depthChanged, this, &DepthView::showTokens);
    connect(&ws_, &Workspace::modelChanged, this, &DepthView::showTokens);
    showResult();
}

QWidget* DepthView::buildControls() {
    bar_ = new DataRunBar(job_, 500, this);
    maxBox_ = new QSpinBox(bar_);
    maxBox_->setRange(0, 4096);
    maxBox_->setSpecialValueText(tr("2 x trained"));
    maxBox_->setToolTip(tr("Sweep K = 1..Kmax (a ViT or OWF stops at its layers)"));
    bar_->addControl(maxBox_, tr("Kmax"));
    curveBox_ = new QComboBox(bar_);
    curveBox_->addItems({tr("accuracy"), tr("true-class probability"), tr("loss")});
    bar_->addControl(curveBox_, tr("Sweep"));
    modelBox_ = new QComboBox(bar_);
    modelBox_->setToolTip(tr("The model of the convergence, exit and adaptive-compute plots"));
    bar_->addControl(modelBox_);
    policyBox_ = new QComboBox(bar_);
    policyBox_->setToolTip(tr("The run shown: the policy beyond the trained depth"));
    bar_->addControl(policyBox_);
    ruleBox_ = new QComboBox(bar_);
    for (analysis::ExitRule r : analysis::kExitRules)
        ruleBox_->addItem(QString::fromStdString(analysis::exitRuleName(r)));
    ruleBox_->setCurrentIndex(int(analysis::kExitRules.size()) - 1);
    ruleBox_->setToolTip(tr("The exit rule of the histogram (thresholds: Huginn's)"));
    bar_->addControl(ruleBox_, tr("Exit"));
    for (QComboBox* box : {modelBox_, policyBox_})
        box->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    for (QComboBox* box : {curveBox_, policyBox_, ruleBox_})
        connect(box, &QComboBox::currentIndexChanged, this, &DepthView::showResult);
    connect(modelBox_, &QComboBox::currentIndexChanged, this, [this] {
        fillPolicies();
        showResult();
    });
    connect(bar_, &DataRunBar::computeRequested, this, &DepthView::run);
    return bar_;
}

void DepthView::setDataSpec(const QString& spec) {
    bar_->setDataSpec(spec);
}

void DepthView::setImageCount(int n) {
    bar_->setImageCount(n);
}

void DepthView::run() {
    if (job_.running() || ws_.loadedSlots().isEmpty()) return;
    auto keep = std::make_shared<Sessions>();
    auto models = studyModels(ws_, *keep);
    analysis::DepthSettings depth;
    depth.maxApplications = maxBox_->value();
    if (depth.maxApplications == 0)
        for (const analysis::StudyModel& m : models)
            depth.maxApplications = std::max(depth.maxApplications, 2 * m.trained);
    const analysis::DataSettings data = bar_->settings();
    pending_ = std::make_shared<std::shared_ptr<const analysis::DepthStudy>>();
    auto out = pending_;
    bar_->started();
    job_.start([keep, models, data, depth, out](const JobContext& ctx) {
        *out = analysis::studyDepth(models, data, depth, ctx);
    });
}

void DepthView::fillPolicies() {
    const QSignalBlocker blockModel(modelBox_), blockPolicy(policyBox_);
    const int model = std::max(0, modelBox_->currentIndex());
    const QString policy = policyBox_->currentText();
    modelBox_->clear();
    policyBox_->clear();
    if (!result_) return;
    for (const analysis::StudyModel& m : result_->models)
        modelBox_->addItem(QString::fromStdString(m.label));
    modelBox_->setCurrentIndex(std::min(model, modelBox_->count() - 1));
    for (const analysis::DepthRun& r : result_->runs[size_t(modelBox_->currentIndex())])
        policyBox_->addItem(QString::fromStdString(r.policy));
    policyBox_->setCurrentIndex(std::max(0, policyBox_->findText(policy)));
}

bool DepthView::shownRun(size_t& model, size_t& run) const {
    if (!result_ || modelBox_->currentIndex() < 0) return false;
    model = size_t(modelBox_->currentIndex());
    if (model >= result_->runs.size() || result_->runs[model].empty()) return false;
    run = depthRunIndex(*result_, model, policyBox_->currentText().toStdString());
    return true;
}

std::string DepthView::runSuffix(size_t model, size_t run) const {
    return result_->runs[model].size() > 1 ? "_" + result_->runs[model][run].policy : "";
}

void DepthView::showResult() {
    size_t model = 0, run = 0;
    const bool shown = shownRun(model, run);
    if (result_) {
        plotDepthSweep(*sweep_, *result_, DepthCurve(curveBox_->currentIndex()));
    } else {
        sweep_->clearSeries();
        sweep_->setTitle(tr("Depth sweep: compute to run K = 1..Kmax over a data source"));
    }
    if (result_) {
        sweep_->setTitle(tr("%1 after K applications").arg(curveBox_->currentText()));
        sweep_->setLegendOutside(false); // the grid is narrow: over the data
        sweep_->setLegendCorner(curveBox_->currentIndex() == int(DepthCurve::Loss)
                                    ? Qt::AlignTop | Qt::AlignRight
                                    : Qt::AlignBottom | Qt::AlignRight);
    }
    if (shown) {
        // The figures of `analyze depth`, with titles short enough for this grid.
        const QString who = QString::fromStdString(result_->models[model].role + " (" +
                                                   result_->runs[model][run].policy + ")");
        const analysis::ExitRule rule = analysis::kExitRules[size_t(ruleBox_->currentIndex())];
        plotConvergence(*convergence_, *result_, model, run);
        convergence_->setTitle(tr("Convergence of %1").arg(who));
        convergence_->setLegendCorner(Qt::AlignTop | Qt::AlignRight); // above the curves here
        const analysis::ExitOutcome o = plotExitHistogram(*exits_, *result_, model, run, rule);
        exits_->setTitle(tr("%1: exit at %2, mean %3")
                             .arg(who, exitRuleText(rule, result_->depth.exits.of(rule)))
                             .arg(o.meanApplications, 0, 'f', 2));
        plotAdaptiveCompute(*adaptive_, *result_, model, run);
        adaptive_->setTitle(tr("Adaptive compute of %1").arg(who));
    } else {
        convergence_->clearSeries();
        convergence_->setTitle(tr("Convergence per application"));
        exits_->clearStacks();
        exits_->setTitle(tr("Exit depths"));
        adaptive_->clearSeries();
        adaptive_->setTitle(tr("Adaptive compute"));
    }
    for (size_t i = 0; i < 2; ++i) {
        const bool has =
            result_ && i < result_->runs.size() && !result_->runs[i].empty() &&
            plotHeadStability(*heads_[i], *result_, i,
                              depthRunIndex(*result_, i, policyBox_->currentText().toStdString()));
        heads_[i]->setVisible(has || (i == 0 && !result_));
        if (has)
            heads_[i]->setTitle(
                tr("Head stability of %1")
                    .arg(QString::fromStdString(result_->models[i].label).section(" (", 0, 0)));
        if (!result_ && i == 0) heads_[i]->setTitle(tr("Head stability"));
    }
    for (plots::PlotBase* p : std::initializer_list<plots::PlotBase*>{
             sweep_, convergence_, exits_, adaptive_, heads_[0], heads_[1]})
        p->replot();
    bar_->setStatus(
        !result_
            ? tr("Compute to sweep the depth over a data source.")
            : tr("%1 images, Kmax %2").arg(result_->examples).arg(result_->depth.maxApplications));
    showTokens();
}

void DepthView::showTokens() {
    const int image = ws_.currentImage();
    std::vector<plots::AttentionOverlay::Panel> panels;
    for (int s : ws_.loadedSlots()) {
        const QString who = ws_.slotLabel(s);
        const ImageAnalysis* r = ws_.currentAnalysis(s);
        if (!r) {
            panels.push_back({ws_.currentPreview(), {}, 0, who + tr(" (computing...)"), -1});
            continue;
        }
        const QImage picture = ws_.currentPreview();
        const int a = std::min(ws_.application(), r->applications - 1);
        const QString beyond = ws_.depthNote(s, a);
        panels.push_back(
            {picture, r->latentStepMap(a), r->grid,
             tr("%1, %2 %3%4")
                 .arg(who, QString::fromStdString(ws_.model(s)->facts().applicationName))
                 .arg(a + 1)
                 .arg(beyond.isEmpty() ? QString() : " (" + beyond + ")"),
             -1});
    }
    tokens_->setTitle(
        image >= 0
            ? tr("Latent step ||h_t - h_(t-1)|| / ||h_t|| per patch: %1").arg(ws_.image(image).name)
            : tr("Latent step per patch (open an image)"));
    tokens_->setPanels(std::move(panels));
}

} // namespace ringscope::gui

namespace ringscope::gui {

std::vector<std::pair<QString, plots::Figure*>> DepthView::figures() {
    // The names `ringscope-cli analyze depth` gives the same figures.
    std::vector<std::pair<QString, plots::Figure*>> out;
    if (result_) out.emplace_back(kCurveNames[curveBox_->currentIndex()], sweep_);
    size_t model = 0, run = 0;
    if (shownRun(model, run)) {
        const analysis::StudyModel& m = result_->models[model];
        const std::string suffix = runSuffix(model, run);
        const std::string rule =
            analysis::exitRuleName(analysis::kExitRules[size_t(ruleBox_->currentIndex())]);
        out.emplace_back(QString::fromStdString(m.stem("convergence" + suffix)), convergence_);
        out.emplace_back(QString::fromStdString(m.stem("exit_" + rule + suffix)), exits_);
        out.emplace_back(QString::fromStdString(m.stem("adaptive_compute" + suffix)), adaptive_);
        for (size_t i = 0; i < 2; ++i)
            if (heads_[i]->isVisibleTo(this) && i < result_->models.size()) {
                const size_t r =
                    depthRunIndex(*result_, i, policyBox_->currentText().toStdString());
                out.emplace_back(
                    QString::fromStdString(result_->models[i].stem("head_js" + runSuffix(i, r))),
                    heads_[i]);
            }
    }
    if (ws_.currentImage() >= 0 && !ws_.loadedSlots().isEmpty())
        out.emplace_back("latent_step_tokens", tokens_);
    return out;
}

void DepthView::writeNumbers(AnalysisOutput& out) {
    if (result_) writeStudy(out, *result_);
    const int image = ws_.currentImage();
    if (image < 0) return;
    for (int s : ws_.loadedSlots()) {
        const ImageAnalysis* r = ws_.analysis(s, image);
        if (!r) continue;
        const std::string stem = s == 0 ? "latent_step_tokens" : "latent_step_tokens_b";
        out.array(
            stem,
            torch::tensor(r->latentStep, torch::kFloat64).reshape({r->applications, r->tokens}),
            {{ws_.model(s)->facts().applicationName}, {"token", false}},
            "||h_t - h_(t-1)|| / ||h_t|| per token of the current image (the first " +
                std::to_string(r->prefix) + " token(s) before the patches)");
    }
}

} // namespace ringscope::gui
