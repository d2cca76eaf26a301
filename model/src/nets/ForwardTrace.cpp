#include "ringscope/model/nets/ForwardTrace.h"

namespace ringscope {

void ForwardTrace::clear() {
    embedded = torch::Tensor();
    attention.clear();
    hidden.clear();
    levelSignals.clear();
    levelEncoding.clear();
    attentionApplications = 0;
}

} // namespace ringscope
