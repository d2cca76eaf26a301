#include "ringscope/analysis/LevelSignals.h"

#include "ringscope/model/nets/FastOps.h"

#include <ATen/Parallel.h>

#include <stdexcept>

namespace ringscope::analysis {

namespace {

const std::string kEnc = "transformer.encoder.";

torch::Tensor f64(const torch::Tensor& t) {
    return t.to(torch::kFloat64);
}

} // namespace

std::vector<LowRankMap> lowRankMaps(const VisionModel& model) {
    const ModelConfig& c = model.config();
    if (c.family != Family::RingFormer)
        throw std::invalid_argument("low-rank maps exist in RingFormer models only");
    const std::array<std::pair<std::string, std::string>, 4> names = {{
        {"ATTN_lev_embed_Q_01", "ATTN_lev_embed_Q_02"},
        {"ATTN_lev_embed_K_01", "ATTN_lev_embed_K_02"},
        {"ATTN_lev_embed_V_01", "ATTN_lev_embed_V_02"},
        {"lev_embed_FF_01", "lev_embed_FF_02"},
    }};
    std::vector<LowRankMap> out;
    for (int s = 0; s < 4; ++s) {
        const torch::Tensor a = f64(model.weights().at(kEnc + names[size_t(s)].first)); // [T, r, d]
        const torch::Tensor b =
            f64(model.weights().at(kEnc + names[size_t(s)].second)); // [T, r, d]
        for (int64_t t = 0; t < c.depth; ++t) {
            const torch::Tensor m = torch::matmul(a[t].t(), b[t]); // [d, d], rank <= r
            const torch::Tensor sv =
                torch::linalg_svdvals(m).narrow(0, 0, std::min<int64_t>(a.size(1), m.size(0)));
            LowRankMap map{s, t, m.norm().item<double>(), {}};
            for (int64_t i = 0; i < sv.numel(); ++i)
                map.singularValues.push_back(sv[i].item<double>());
            out.push_back(std::move(map));
        }
    }
    return out;
}

LowRankSummary lowRankSummary(const VisionModel& model) {
    const std::vector<LowRankMap> maps = lowRankMaps(model);
    const int64_t levels = model.config().depth, rank = int64_t(maps.front().singularValues.size());
    LowRankSummary s{torch::zeros({4, levels}, torch::kFloat64),
                     torch::zeros({4, levels, rank}, torch::kFloat64)};
    for (const LowRankMap& m : maps) {
        s.frobenius[m.signal][m.level] = m.frobenius;
        s.singularValues[m.signal][m.level] = torch::tensor(m.singularValues, torch::kFloat64);
    }
    return s;
}

namespace {

/// The measures of one signal X over the levels, from its low-rank factors: s_t = L_t A_t with
/// L_t [B, N, r] and A_t [r, d], so <s_t, s_u> = sum of (L_t^T L_u) * (A_t A_u^T) and
/// ||s_t[n]||^2 = L_t[n] A_t A_t^T L_t[n]^T: products of the r-wide factors (M = A A^T in
/// float64, the products and their sums in float32, as the signals are) instead of [B, N, d]
/// ones.
struct SignalMeasures {
    torch::Tensor norms;  ///< [T, B, N]
    torch::Tensor cosine; ///< [T, T, B]
};

SignalMeasures lowRankMeasures(const std::vector<torch::Tensor>& lows,
                               const std::vector<torch::Tensor>& factors) {
    const int64_t T = int64_t(lows.size()), B = lows[0].size(0), N = lows[0].size(1),
                  r = lows[0].size(2);
    const torch::Tensor L32 = torch::stack(lows, 2);            // [B, N, T, r]
    const torch::Tensor stackedA = f64(torch::cat(factors, 0)); // [T r, d]
    const torch::Tensor M = stackedA.mm(stackedA.t());          // [T r, T r]
    const torch::Tensor M32 = M.to(torch::kFloat32);
    // Per image, L^T L over its tokens: one sgemm per image over the threads (sums of N terms),
    // then each r x r block of it weighted by M's and summed: the weighted rows in one
    // vectorised pass (weightedRowSums), the r rows of each block added after.
    const torch::Tensor flat = L32.reshape({B, N, T * r});
    const torch::Tensor perImage = batchedGemm(flat.transpose(1, 2), flat); // [B, Tr, Tr]
    const torch::Tensor rowSums =
        weightedRowSums(perImage.reshape({B, T * r * T, r}), M32.reshape({T * r * T, r}));
    const torch::Tensor gram = f64(rowSums.reshape({B, T, r, T}).sum(2)); // [B, T, T]
    const torch::Tensor inv = 1.0 / gram.diagonal(0, 1, 2).clamp_min(0.0).sqrt().clamp_min(1e-300);
    const torch::Tensor cosine = gram * inv.unsqueeze(2) * inv.unsqueeze(1); // [B, T, T]
    // Per token: L_t[n] M_tt L_t[n]^T for every level at once, as one product of the tokens'
    // factors [B N, T r] with the block-diagonal of M's diagonal blocks, whose rows are then
    // weighted by the factors and summed in one pass.
    const torch::Tensor blockDiagonal = torch::zeros_like(M32);
    for (int64_t t = 0; t < T; ++t)
        blockDiagonal.narrow(0, t * r, r)
            .narrow(1, t * r, r)
            .copy_(M32.narrow(0, t * r, r).narrow(1, t * r, r));
    const torch::Tensor tokens = flat.reshape({B * N * T, r});
    const torch::Tensor quad =
        f64(weightedRowSums(batchedGemm(flat.reshape({1, B * N, T * r}), blockDiagonal.unsqueeze(0))
                                .reshape({B * N * T, r}),
                            tokens)
                .reshape({B, N, T})
                .permute({2, 0, 1}));
    return {quad.clamp_min(0.0).sqrt(), cosine.permute({1, 2, 0})};
}

} // namespace

RingSignals ringSignals(const ForwardTrace& trace) {
    if (trace.levelSignals.empty())
        throw std::invalid_argument("the trace holds no RingFormer level signals");
    std::vector<torch::Tensor> norms(4), ratios(4), cosines(4);
    // The four signals' measures are chains of small ops: one chain per thread, each op on
    // one core, instead of every op split over all cores.
    at::parallel_for(0, 4, 1, [&](int64_t begin, int64_t end) {
        for (int64_t s = begin; s < end; ++s) {
            std::vector<torch::Tensor> baseNorms, lows, factors;
            for (const LevelSignalTrace& l : trace.levelSignals) {
                baseNorms.push_back(l.baseNorms[s]);
                lows.push_back(s == 0 ? l.lowQ : s == 1 ? l.lowK : s == 2 ? l.lowV : l.lowF);
                factors.push_back(s == 0 ? l.aQ : s == 1 ? l.aK : s == 2 ? l.aV : l.aF);
            }
            const SignalMeasures m = lowRankMeasures(lows, factors);
            norms[s] = m.norms;
            ratios[s] = m.norms / torch::stack(baseNorms).clamp_min(1e-300);
            cosines[s] = m.cosine;
        }
    });
    return {torch::stack(norms), torch::stack(ratios), torch::stack(cosines)};
}

UitEncodings uitEncodings(const ForwardTrace& trace) {
    if (trace.levelEncoding.empty())
        throw std::invalid_argument("the trace holds no UiT level encodings");
    std::vector<torch::Tensor> norms, ratios;
    for (size_t t = 0; t < trace.levelEncoding.size(); ++t) {
        const torch::Tensor e = f64(trace.levelEncoding[t])
                                    .reshape({-1, f64(trace.levelEncoding[t]).size(-1)}); // [N, d]
        const torch::Tensor en = e.norm(2, -1);                                           // [N]
        const torch::Tensor& stream = t == 0 ? trace.embedded : trace.hidden[t - 1]; // [B, N, d]
        norms.push_back(en);
        ratios.push_back(en.unsqueeze(0) / rowNorms(stream).clamp_min(1e-300));
    }
    return {torch::stack(norms), torch::stack(ratios)};
}

// The measures read the float32 activations as the model computed them and sum in double,
// without a float64 copy of any activation (rowNorms, pairSums: one vectorised pass each).
DepthDynamics depthDynamics(const ForwardTrace& trace) {
    if (trace.hidden.empty() || !trace.embedded.defined())
        throw std::invalid_argument("the trace holds no hidden states");
    std::vector<torch::Tensor> rel, cos;
    torch::Tensor prev = trace.embedded, prevNorm = rowNorms(prev.flatten(1));
    for (const auto& h : trace.hidden) {
        const torch::Tensor sums = pairSums(h, prev); // [B, 3]: ||h||^2, ||h - prev||^2, <h, prev>
        const torch::Tensor norm = sums.select(1, 0).sqrt();
        rel.push_back(sums.select(1, 1).sqrt() / prevNorm.clamp_min(1e-300));
        cos.push_back(sums.select(1, 2) / (norm * prevNorm).clamp_min(1e-300));
        prev = h;
        prevNorm = norm;
    }
    return {torch::stack(rel), torch::stack(cos)};
}

torch::Tensor classLensProbabilities(const VisionModel& model, const ForwardTrace& trace) {
    if (trace.hidden.empty()) throw std::invalid_argument("the trace holds no hidden states");
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> probs;
    for (const auto& h : trace.hidden)
        probs.push_back(torch::softmax(f64(model.classLens(h)), -1));
    return torch::stack(probs);
}

} // namespace ringscope::analysis
