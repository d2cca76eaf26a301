#pragma once
// The strip of images every view works on: thumbnails, the current one selected.

#include <QListWidget>

namespace ringscope::gui {

class Workspace;

class ImageStrip : public QListWidget {
    Q_OBJECT

public:
    explicit ImageStrip(Workspace& workspace, QWidget* parent = nullptr);

private:
    void reload();
    Workspace& ws_;
};

} // namespace ringscope::gui
