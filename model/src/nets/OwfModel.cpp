#include "nets/OwfModel.h"

namespace ringscope {

torch::Tensor OwfModel::encode(torch::Tensor x, const ForwardOptions& options,
                               ForwardTrace* trace) const {
    const std::string ff = "transformer.encoder.ff_block";
    for (int64_t l = 0, k = applicationsFor(options); l < k; ++l) {
        const std::string p = "transformer.encoder.attn_blocks." + std::to_string(l);
        x = attention(norm(x, p + ".attention_norm", 1e-6), p + ".attn", options, trace, x);
        x = mlp(norm(x, ff + ".ff_norm", 1e-6), ff + ".ffn", options, x);
        recordHidden(trace, x);
    }
    return x;
}

} // namespace ringscope
