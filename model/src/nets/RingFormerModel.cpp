#include "nets/RingFormerModel.h"

#include "ringscope/model/nets/FastOps.h"

namespace ringscope {

namespace {
const std::string kEnc = "transformer.encoder.";
} // namespace

torch::Tensor RingFormerModel::encode(torch::Tensor x, const ForwardOptions& options,
                                      ForwardTrace* trace) const {
    for (int64_t t = 0, k = applicationsFor(options); t < k; ++t) {
        x = level(x, levelFor(t, options), options, trace);
        recordHidden(trace, x);
    }
    return x;
}

torch::Tensor RingFormerModel::level(const torch::Tensor& x, int64_t t,
                                     const ForwardOptions& options, ForwardTrace* trace) const {
    const std::string ts = std::to_string(t);
    // s_X(x) = (x B_X^T) A_X for X in Q, K, V: one thin [B, N, 3r] product, then each
    // signal's r x d factor added into its third of the q|k|v projection.
    const torch::Tensor b =
        torch::cat({w(kEnc + "ATTN_lev_embed_Q_02")[t], w(kEnc + "ATTN_lev_embed_K_02")[t],
                    w(kEnc + "ATTN_lev_embed_V_02")[t]}); // [3r, d]
    const torch::Tensor aQ = w(kEnc + "ATTN_lev_embed_Q_01")[t],
                        aK = w(kEnc + "ATTN_lev_embed_K_01")[t],
                        aV = w(kEnc + "ATTN_lev_embed_V_01")[t];
    const torch::Tensor xb = thinLinear(x, b); // [B, N, 3r]
    const torch::Tensor u = norm(x, kEnc + "ATTN_layer_norms." + ts, 1e-5);
    const std::string attn = kEnc + "layers.0.attn";
    const bool signals = trace && trace->recordSignals;
    torch::Tensor qkvNorms, fNorms; // [B, N, 3] and [B, N, 1]: norms of the terms, when traced
    // u W^T + b [B, N, 3d] with the signals added onto it in place.
    const torch::Tensor qkv =
        linearLowRank(u, qkvWeight(attn), qkvBias(attn), xb, torch::stack({aQ, aK, aV}),
                      signals ? &qkvNorms : nullptr);
    const torch::Tensor x1 = attentionOutput(qkv, attn, options, trace, x);
    const torch::Tensor bF = w(kEnc + "lev_embed_FF_02")[t], aF = w(kEnc + "lev_embed_FF_01")[t];
    const torch::Tensor lowF = thinLinear(x1, bF);
    const torch::Tensor z = norm(addLowRank(x1, lowF, aF.unsqueeze(0), signals ? &fNorms : nullptr),
                                 kEnc + "FF_layer_norms." + ts, 1e-5);
    if (signals) {
        // The signals only as their factors (LevelSignalTrace::q() etc.), and the norms of the
        // terms they are added to, not the [B, N, d] terms themselves.
        const int64_t r = config().rank;
        LevelSignalTrace s;
        s.baseNorms = torch::cat({qkvNorms, fNorms}, -1).movedim(-1, 0);
        const torch::Tensor low = xb.detach();
        s.lowQ = low.narrow(-1, 0, r);
        s.lowK = low.narrow(-1, r, r);
        s.lowV = low.narrow(-1, 2 * r, r);
        s.lowF = lowF.detach();
        s.aQ = aQ.detach();
        s.aK = aK.detach();
        s.aV = aV.detach();
        s.aF = aF.detach();
        trace->levelSignals.push_back(std::move(s));
    }
    return mlp(z, kEnc + "layers.0.ffn", options, x1);
}

} // namespace ringscope
