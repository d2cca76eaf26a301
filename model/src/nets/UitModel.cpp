#include "nets/UitModel.h"

#include "ringscope/model/nets/ModelFactory.h"

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
    const int64_t k = applicationsFor(options);
    // Levels beyond the trained ones by the static table's own formula ('extend').
    const torch::Tensor extended = k > config().depth && options.extend == DepthPolicy::Extend
                                       ? uitStaticLevelTable(k, config().tokens(), config().hidden)
                                       : torch::Tensor();
    for (int64_t t = 0; t < k; ++t) {
        torch::Tensor e = t >= config().depth && extended.defined()
                              ? extended[t][0]
                              : levelEncoding(levelFor(t, options));
        if (trace) trace->levelEncoding.push_back(e.detach());
        x = x + e;
        x = attention(norm(x, p + ".attention_norm", 1e-6), p + ".attn", options, trace, x);
        x = mlp(norm(x, p + ".ff_norm", 1e-6), p + ".ffn", options, x);
        recordHidden(trace, x);
    }
    return x;
}

} // namespace ringscope
