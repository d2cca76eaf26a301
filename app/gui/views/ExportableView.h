#pragma once
// What a view offers to the export commands: its figures (exactly what it shows) and the
// numbers behind them.

#include <QString>

#include <utility>
#include <vector>

namespace ringscope {
class AnalysisOutput;
}
namespace ringscope::plots {
class Figure;
}

namespace ringscope::gui {

class ExportableView {
public:
    virtual ~ExportableView() = default;
    /// The view's figures by file stem, the main one first (hidden ones left out).
    virtual std::vector<std::pair<QString, plots::Figure*>> figures() = 0;
    /// Writes the numbers behind the figures (nothing while the view has no result).
    virtual void writeNumbers(AnalysisOutput& out) = 0;
};

} // namespace ringscope::gui
