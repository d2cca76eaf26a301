#include "ImageStrip.h"

#include "document/Workspace.h"

namespace ringscope::gui {

ImageStrip::ImageStrip(Workspace& workspace, QWidget* parent)
    : QListWidget(parent), ws_(workspace) {
    setViewMode(QListView::IconMode);
    setIconSize(QSize(56, 56));
    setFlow(QListView::LeftToRight);
    setWrapping(false);
    setMovement(QListView::Static);
    setUniformItemSizes(true);
    setFixedHeight(100);
    connect(&ws_, &Workspace::imagesChanged, this, &ImageStrip::reload);
    connect(&ws_, &Workspace::currentImageChanged, this, [this](int i) {
        const QSignalBlocker block(this);
        setCurrentRow(i);
    });
    connect(this, &QListWidget::currentRowChanged, &ws_, &Workspace::setCurrentImage);
    reload();
}

void ImageStrip::reload() {
    const QSignalBlocker block(this);
    clear();
    for (int i = 0; i < ws_.imageCount(); ++i) {
        const WorkspaceImage& img = ws_.image(i);
        auto* item = new QListWidgetItem(
            QIcon(QPixmap::fromImage(img.preview.scaled(iconSize(), Qt::KeepAspectRatio))),
            img.name.section('.', 0, 0), this);
        item->setToolTip(img.path);
    }
    setCurrentRow(ws_.currentImage());
}

} // namespace ringscope::gui
