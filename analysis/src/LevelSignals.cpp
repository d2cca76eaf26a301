#include "ringscope/analysis/LevelSignals.h"

#include "ringscope/model/nets/FastOps.h"

#include <stdexcept>

namespace ringscope::analysis {

namespace {

const std::string kEnc = "transformer.encoder.";

torch::Tensor f64(const torch::Tensor& t) {
    return t.to(torch::kFloat64);
}

// The measures reduce the float32 activations as the model computed them (torch's sums are
// pairwise) and widen only the results: a float64 copy of every tensor cost more than the
// forward pass, and gave no precision the activations have.

/// Per-token norms [B, N] of [B, N, d], as float64.
torch::Tensor tokenNorms(const torch::Tensor& t) {
    return f64(t.norm(2, -1));
}

/// Per-image dot products [B] of two [B, ...] tensors flattened, as float64.
torch::Tensor imageDots(const torch::Tensor& a, const torch::Tensor& b) {
    return f64((a * b).flatten(1).sum(1));
}

/// Per-image norms [B] of a [B, ...] tensor flattened, as float64.
torch::Tensor imageNorms(const torch::Tensor& t) {
    return f64(t.flatten(1).norm(2, 1));
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

RingSignals ringSignals(const ForwardTrace& trace) {
    if (trace.levelSignals.empty())
        throw std::invalid_argument("the trace holds no RingFormer level signals");
    std::vector<torch::Tensor> norms, ratios, cosines;
    for (int s = 0; s < 4; ++s) {
        std::vector<torch::Tensor> n, r, flat;
        for (const LevelSignalTrace& l : trace.levelSignals) {
            const torch::Tensor& sig = s == 0 ? l.q : s == 1 ? l.k : s == 2 ? l.v : l.f;
            const torch::Tensor& base = s == 0   ? l.baseQ
                                        : s == 1 ? l.baseK
                                        : s == 2 ? l.baseV
                                                 : l.baseF;
            const torch::Tensor sn = tokenNorms(sig);
            n.push_back(sn);
            r.push_back(sn / tokenNorms(base).clamp_min(1e-300));
            flat.push_back(sig); // [B, N, d]
        }
        norms.push_back(torch::stack(n));
        ratios.push_back(torch::stack(r));
        // Per image, the Gram matrix of its T signals, then cosines (a zero signal: 0).
        const torch::Tensor stacked = torch::stack(flat, 1); // [B, T, N, d]
        const torch::Tensor all = stacked.view({stacked.size(0), stacked.size(1), -1});
        const torch::Tensor gram = f64(batchedGemm(all, all.transpose(1, 2))); // [B, T, T]
        const torch::Tensor inv = 1.0 / gram.diagonal(0, 1, 2).sqrt().clamp_min(1e-300);
        const torch::Tensor cos = gram * inv.unsqueeze(2) * inv.unsqueeze(1);
        cosines.push_back(cos.permute({1, 2, 0})); // [T, T, B]
    }
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
        ratios.push_back(en.unsqueeze(0) / tokenNorms(stream).clamp_min(1e-300));
    }
    return {torch::stack(norms), torch::stack(ratios)};
}

DepthDynamics depthDynamics(const ForwardTrace& trace) {
    if (trace.hidden.empty() || !trace.embedded.defined())
        throw std::invalid_argument("the trace holds no hidden states");
    std::vector<torch::Tensor> rel, cos;
    torch::Tensor prev = trace.embedded, prevNorm = imageNorms(prev);
    for (const auto& h : trace.hidden) {
        const torch::Tensor norm = imageNorms(h);
        rel.push_back(imageNorms(h - prev) / prevNorm.clamp_min(1e-300));
        cos.push_back(imageDots(h, prev) / (norm * prevNorm).clamp_min(1e-300));
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
