#include "nets/RingFormerModel.h"

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
    const int64_t d = config().hidden;
    const std::string ts = std::to_string(t);
    // s_X(x) = (x B_X^T) A_X for X in Q, K, V, as one [B,N,3r] product and one block-diagonal
    // [3r, 3d] product laid out like the fused q|k|v projection.
    torch::Tensor b =
        torch::cat({w(kEnc + "ATTN_lev_embed_Q_02")[t], w(kEnc + "ATTN_lev_embed_K_02")[t],
                    w(kEnc + "ATTN_lev_embed_V_02")[t]}); // [3r, d]
    const torch::Tensor aQ = w(kEnc + "ATTN_lev_embed_Q_01")[t],
                        aK = w(kEnc + "ATTN_lev_embed_K_01")[t],
                        aV = w(kEnc + "ATTN_lev_embed_V_01")[t];
    torch::Tensor a = torch::block_diag({aQ, aK, aV}); // [3r, 3d]
    const torch::Tensor xb = torch::matmul(x, b.t());  // [B, N, 3r]
    const torch::Tensor u = norm(x, kEnc + "ATTN_layer_norms." + ts, 1e-5);
    const torch::Tensor bF = w(kEnc + "lev_embed_FF_02")[t], aF = w(kEnc + "lev_embed_FF_01")[t];
    // q|k|v = [u | x B^T] [W_qkv | A^T]^T + b: the signal rides in the projection's product
    // instead of a thin product of its own and a sum. Recording, the projection u W^T + b (the
    // term the signals are added to) is kept apart, and the signals only as their factors
    // (LevelSignalTrace::q() etc.).
    const bool record = trace && trace->recordSignals;
    torch::Tensor qkvBase;
    const torch::Tensor x1 =
        x + attentionWithExtraInput(u, kEnc + "layers.0.attn", xb, a.t(), options, trace,
                                    record ? &qkvBase : nullptr);
    const torch::Tensor lowF = torch::matmul(x1, bF.t());
    const torch::Tensor sF = torch::matmul(lowF, aF);
    const torch::Tensor z = norm(x1 + sF, kEnc + "FF_layer_norms." + ts, 1e-5);
    if (record) {
        const int64_t r = config().rank;
        LevelSignalTrace s;
        s.baseQ = qkvBase.narrow(-1, 0, d);
        s.baseK = qkvBase.narrow(-1, d, d);
        s.baseV = qkvBase.narrow(-1, 2 * d, d);
        s.baseF = x1.detach();
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
    return x1 + mlp(z, kEnc + "layers.0.ffn", options);
}

} // namespace ringscope
