#include "DepthControl.h"

#include "document/Workspace.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>

namespace ringscope::gui {

DepthControl::DepthControl(Workspace& workspace, QWidget* parent)
    : QWidget(parent), ws_(workspace) {
    applications_ = new QSpinBox(this);
    applications_->setRange(0, 4096);
    applications_->setSpecialValueText(tr("as trained"));
    applications_->setSuffix(tr(" applications"));
    applications_->setToolTip(
        tr("Applications every view runs: a RingFormer or UiT any number (beyond its trained "
           "depth by the policy), a ViT or OWF at most its layers"));
    policy_ = new QComboBox(this);
    policy_->addItem(tr("repeat-last"), "repeat-last");
    policy_->setItemData(0, tr("Beyond T: level T for every further application"), Qt::ToolTipRole);
    policy_->addItem(tr("cycle"), "cycle");
    policy_->setItemData(1, tr("Beyond T: level ((t - 1) mod T) + 1"), Qt::ToolTipRole);
    policy_->addItem(tr("extend"), "extend");
    policy_->setItemData(
        2, tr("Beyond T: a static-encoding UiT's sinusoid formula (other models: repeat-last)"),
        Qt::ToolTipRole);
    policy_->setToolTip(tr("Which trained level the applications beyond T use"));
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(4, 0, 4, 0);
    row->addWidget(new QLabel(tr("Depth"), this));
    row->addWidget(applications_);
    row->addWidget(policy_);
    connect(applications_, &QSpinBox::valueChanged, this, &DepthControl::apply);
    connect(policy_, &QComboBox::currentIndexChanged, this, &DepthControl::apply);
    connect(&ws_, &Workspace::depthChanged, this, &DepthControl::sync);
    sync();
}

void DepthControl::sync() {
    const QSignalBlocker blockApplications(applications_), blockPolicy(policy_);
    applications_->setValue(ws_.depth().applications);
    policy_->setCurrentIndex(
        std::max(0, policy_->findData(QString::fromStdString(ws_.depth().policy))));
    policy_->setEnabled(applications_->value() > 0);
}

void DepthControl::apply() {
    policy_->setEnabled(applications_->value() > 0);
    ws_.setDepth({applications_->value(), policy_->currentData().toString().toStdString()});
}

} // namespace ringscope::gui
