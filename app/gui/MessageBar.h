#pragma once
// A dismissable message line at the top of the window for errors that must not block (a
// broken checkpoint, an unreadable image): the app keeps working while it shows.

#include <QWidget>

class QLabel;

namespace ringscope::gui {

class MessageBar : public QWidget {
    Q_OBJECT

public:
    explicit MessageBar(QWidget* parent = nullptr);
    void showError(const QString& text);
    QString text() const;

private:
    QLabel* label_;
};

} // namespace ringscope::gui
