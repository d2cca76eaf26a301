#pragma once
// The per-(slot, image) analyses the Workspace has computed, bounded in bytes: when a new one
// would go over the budget, the least recently used ones go first, but never those of the
// image on screen. Browsing thousands of images keeps memory flat; an evicted image is simply
// computed again when it is shown.

#include "document/ModelSession.h"

#include <QHash>

#include <cstddef>
#include <memory>

namespace ringscope::gui {

class AnalysisCache {
public:
    /// Default budget: 512 MiB of attention maps (about 2,000 images of the demo models).
    static constexpr size_t kDefaultBudget = size_t(512) << 20;

    /// Bytes an analysis holds (its attention maps, probabilities and lens).
    static size_t bytesOf(const ImageAnalysis& a);

    /// The analysis of (slot, image), marked as just used; null when it is not cached.
    const ImageAnalysis* find(int slot, int image);
    /// Stores an analysis, then evicts the least recently used ones (other than those of
    /// `keepImage`) until the cache fits its budget again.
    void insert(int slot, int image, std::shared_ptr<const ImageAnalysis> analysis, int keepImage);
    /// Drops every analysis of one slot, or every analysis.
    void dropSlot(int slot);
    void clear();

    void setBudget(size_t bytes) { budget_ = bytes; }
    size_t budget() const { return budget_; }
    size_t bytes() const { return bytes_; }
    int size() const { return int(entries_.size()); }

    /// The key of (slot, image): the slot in the high 32 bits, the image in the low ones.
    static quint64 key(int slot, int image) {
        return (quint64(quint32(slot)) << 32) | quint32(image);
    }

private:
    struct Entry {
        std::shared_ptr<const ImageAnalysis> analysis;
        size_t bytes = 0;
        quint64 lastUse = 0;
    };
    void evict(int keepImage);

    QHash<quint64, Entry> entries_;
    size_t budget_ = kDefaultBudget, bytes_ = 0;
    quint64 clock_ = 0;
};

} // namespace ringscope::gui
