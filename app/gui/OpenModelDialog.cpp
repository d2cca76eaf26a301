#include "OpenModelDialog.h"

#include <QFileInfo>
#include <QInputDialog>
#include <QStringList>

namespace ringscope::gui {

namespace {

/// "17 levels at 32 x 32 px"
QString readingText(const ShapeReading& r) {
    return QObject::tr("%1 levels at %2 x %2 px").arg(r.levels).arg(r.imageSize);
}

bool askReading(QWidget* parent, const QString& name, const OpenQuestion& q, OpenAnswers& answers) {
    QStringList items;
    for (const ShapeReading& r : q.readings)
        items << readingText(r);
    bool ok = false;
    const QString chosen = QInputDialog::getItem(
        parent, QObject::tr("Model shape"),
        QObject::tr("The learnable level table of %1 fits several shapes.\nLevels and image size:")
            .arg(name),
        items, 0, false, &ok);
    if (!ok) return false;
    const ShapeReading& r = q.readings[size_t(std::max<qsizetype>(0, items.indexOf(chosen)))];
    answers.imageSize = r.imageSize;
    answers.levels = r.levels;
    return true;
}

bool askHeads(QWidget* parent, const QString& name, const OpenQuestion& q, OpenAnswers& answers) {
    bool ok = false;
    const int h = QInputDialog::getInt(
        parent, QObject::tr("Attention heads"),
        QObject::tr("%1 does not say how many attention heads the model has.\nHeads:").arg(name),
        q.headsGuess, 1, 256, 1, &ok);
    if (ok) answers.heads = h;
    return ok;
}

} // namespace

std::optional<OpenAnswers> askOpenAnswers(QWidget* parent, const QString& path,
                                          const OpenQuestion& question) {
    const QString name = QFileInfo(path).fileName();
    OpenAnswers answers;
    if (!question.readings.empty() && !askReading(parent, name, question, answers))
        return std::nullopt;
    if (question.heads && !askHeads(parent, name, question, answers)) return std::nullopt;
    return answers;
}

OpenAnswers plausibleAnswers(const OpenQuestion& question) {
    OpenAnswers a;
    if (question.heads) a.heads = question.headsGuess;
    if (!question.readings.empty()) {
        a.imageSize = question.readings.front().imageSize;
        a.levels = question.readings.front().levels;
    }
    return a;
}

} // namespace ringscope::gui
