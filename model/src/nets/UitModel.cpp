#include "nets/UitModel.h"

namespace ringscope {

torch::Tensor UitModel::levelEncoding(int64_t t) const {
    const int64_t N = config().tokens();
    if (config().encoding == LevelEncoding::Learnable)
        return w("transformer.encoder.level_embed.level_embed.weight").narrow(0, t * N, N);
    return w("transformer.encoder.level_embed.level_embed")[t][0];
}

torch::Tensor UitModel::encode(torch::Tensor x, const ForwardOptions& options,
                               ForwardTrace* trace) const {
    const std::string p = "transformer.encoder.layers.0";
    for (int64_t t = 0; t < config().depth; ++t) {
        torch::Tensor e = levelEncoding(t);
        if (trace) trace->levelEncoding.push_back(e.detach());
        x = x + e;
        x = x + attention(norm(x, p + ".attention_norm", 1e-6), p + ".attn", {}, options, trace);
        x = x + mlp(norm(x, p + ".ff_norm", 1e-6), p + ".ffn", options);
        recordHidden(trace, x);
    }
    return x;
}

} // namespace ringscope
