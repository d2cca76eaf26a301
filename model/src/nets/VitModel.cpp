#include "nets/VitModel.h"

namespace ringscope {

torch::Tensor VitModel::encode(torch::Tensor x, const ForwardOptions& options,
                               ForwardTrace* trace) const {
    for (int64_t l = 0, k = applicationsFor(options); l < k; ++l) {
        const std::string p = "transformer.encoder.layer." + std::to_string(l);
        x = attention(norm(x, p + ".attention_norm", 1e-6), p + ".attn", options, trace, x);
        x = mlp(norm(x, p + ".ffn_norm", 1e-6), p + ".ffn", options, x);
        recordHidden(trace, x);
    }
    return x;
}

} // namespace ringscope
