#pragma once
// Asks the user what a checkpoint does not say (the number of heads; which reading of a
// learnable UiT level table), before its model is built from what was already read.

#include "document/ModelSession.h"

#include <QString>

#include <optional>

class QWidget;

namespace ringscope::gui {

/// Shows the dialogs for `question` about the file `path`, pre-filled with the most plausible
/// answers. Returns the answers, or nothing when the user cancelled.
std::optional<OpenAnswers> askOpenAnswers(QWidget* parent, const QString& path,
                                          const OpenQuestion& question);

/// The answers the dialogs are pre-filled with (the heads guess, the first reading): what a
/// run without a user, a benchmark, assumes.
OpenAnswers plausibleAnswers(const OpenQuestion& question);

} // namespace ringscope::gui
