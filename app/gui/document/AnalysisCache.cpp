#include "document/AnalysisCache.h"

namespace ringscope::gui {

size_t AnalysisCache::bytesOf(const ImageAnalysis& a) {
    return sizeof(ImageAnalysis) + a.attention.size() * sizeof(float) +
           (a.probabilities.size() + a.lens.size() + a.latentStep.size() + a.gae.size() +
            a.gaePerApplication.size()) *
               sizeof(double);
}

const ImageAnalysis* AnalysisCache::find(int slot, int image) {
    auto it = entries_.find(key(slot, image));
    if (it == entries_.end()) return nullptr;
    it->lastUse = ++clock_;
    return it->analysis.get();
}

void AnalysisCache::insert(int slot, int image, std::shared_ptr<const ImageAnalysis> analysis,
                           int keepImage) {
    const quint64 k = key(slot, image);
    if (auto old = entries_.find(k); old != entries_.end()) {
        bytes_ -= old->bytes;
        entries_.erase(old);
    }
    const size_t bytes = bytesOf(*analysis);
    entries_.insert(k, Entry{std::move(analysis), bytes, ++clock_});
    bytes_ += bytes;
    evict(keepImage);
}

void AnalysisCache::evict(int keepImage) {
    while (bytes_ > budget_) {
        auto oldest = entries_.end();
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (int(quint32(it.key())) == keepImage) continue;
            if (oldest == entries_.end() || it->lastUse < oldest->lastUse) oldest = it;
        }
        if (oldest == entries_.end()) return; // only the image on screen is left
        bytes_ -= oldest->bytes;
        entries_.erase(oldest);
    }
}

void AnalysisCache::dropSlot(int slot) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (int(it.key() >> 32) == slot) {
            bytes_ -= it->bytes;
            it = entries_.erase(it);
        } else {
            ++it;
        }
    }
}

void AnalysisCache::clear() {
    entries_.clear();
    bytes_ = 0;
}

} // namespace ringscope::gui
