#include "ringscope/analysis/Cka.h"

#include "ringscope/model/nets/FastOps.h"

#include <cmath>
#include <stdexcept>

namespace ringscope::analysis {

namespace {

torch::Tensor centred(const torch::Tensor& k) {
    torch::Tensor c = k - k.mean(0, true);
    return c - c.mean(1, true);
}

/// Zeroes the diagonals of a float64 stack of Gram matrices [L, n, n] it owns, in place, as
/// the unbiased HSIC reads them.
torch::Tensor diagonalFree(torch::Tensor grams) {
    grams.diagonal(0, 1, 2).zero_();
    return grams;
}

/// The terms of HSIC_1 that one stack of diagonal-free Gram matrices contributes: the matrices
/// flattened [L, n*n], their row sums [L, n] and their total sums [L].
struct HsicTerms {
    torch::Tensor flat, rows, sums;
    explicit HsicTerms(const torch::Tensor& free)
        : flat(free.reshape({free.size(0), -1})), rows(free.sum(2)), sums(rows.sum(1)) {}
};

/// HSIC_1 from tr(K~ L~), 1^T K~ L~ 1 and the two total sums, element-wise over their shapes.
torch::Tensor hsicFromTerms(const torch::Tensor& trace, const torch::Tensor& cross,
                            const torch::Tensor& sumProduct, int64_t n) {
    const double dn = double(n);
    return (trace + sumProduct / ((dn - 1) * (dn - 2)) - 2.0 / (dn - 2) * cross) / (dn * (dn - 3));
}

/// The unbiased HSIC_1 of every (i, j) pair of two stacks of diagonal-free Gram matrices
/// [Lk, n, n] and [Ll, n, n]: [Lk, Ll], from two matrix products instead of a loop over pairs.
torch::Tensor pairwiseHsic(const HsicTerms& k, const HsicTerms& l, int64_t n) {
    return hsicFromTerms(k.flat.matmul(l.flat.t()), k.rows.matmul(l.rows.t()),
                         k.sums.unsqueeze(1) * l.sums.unsqueeze(0), n);
}

/// HSIC_1 of each matrix of a stack with itself: [L].
torch::Tensor selfHsic(const HsicTerms& k, int64_t n) {
    return hsicFromTerms(k.flat.square().sum(1), k.rows.square().sum(1), k.sums.square(), n);
}

} // namespace

std::string kernelName(CkaKernel k) {
    return k == CkaKernel::Linear ? "linear" : "rbf";
}

std::string estimatorName(CkaEstimator e) {
    switch (e) {
    case CkaEstimator::Full:
        return "full";
    case CkaEstimator::Minibatch:
        return "minibatch";
    case CkaEstimator::Token:
        return "token";
    }
    return "?";
}

std::string featureName(CkaFeature f) {
    switch (f) {
    case CkaFeature::Flatten:
        return "flatten";
    case CkaFeature::Cls:
        return "cls";
    case CkaFeature::Mean:
        return "mean";
    }
    return "?";
}

CkaKernel parseKernel(const std::string& s) {
    if (s == "linear") return CkaKernel::Linear;
    if (s == "rbf") return CkaKernel::Rbf;
    throw std::invalid_argument("unknown CKA kernel '" + s + "' (linear, rbf)");
}

CkaEstimator parseEstimator(const std::string& s) {
    if (s == "full") return CkaEstimator::Full;
    if (s == "minibatch") return CkaEstimator::Minibatch;
    if (s == "token") return CkaEstimator::Token;
    throw std::invalid_argument("unknown CKA estimator '" + s + "' (full, minibatch, token)");
}

CkaFeature parseFeature(const std::string& s) {
    if (s == "flatten") return CkaFeature::Flatten;
    if (s == "cls") return CkaFeature::Cls;
    if (s == "mean") return CkaFeature::Mean;
    throw std::invalid_argument("unknown CKA feature '" + s + "' (flatten, cls, mean)");
}

torch::Tensor ckaFeatures(const torch::Tensor& hidden, CkaFeature feature) {
    if (hidden.dim() != 3) throw std::invalid_argument("CKA expects hidden states [B, N, d]");
    torch::Tensor h = hidden.to(torch::kFloat64);
    switch (feature) {
    case CkaFeature::Flatten:
        return h.reshape({h.size(0), -1});
    case CkaFeature::Cls:
        return h.select(1, 0).contiguous();
    case CkaFeature::Mean:
        return h.mean(1);
    }
    return h;
}

torch::Tensor gramMatrix(const torch::Tensor& x, CkaKernel kernel, double rbfThreshold) {
    const torch::Tensor xd = x.to(torch::kFloat64);
    torch::Tensor dot = torch::matmul(xd, xd.t());
    if (kernel == CkaKernel::Linear) return dot;
    const torch::Tensor sq = dot.diagonal();
    torch::Tensor dist = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2.0 * dot).clamp_min(0.0);
    // Lower median of all n*n squared distances (zeros of the diagonal included).
    torch::Tensor sorted = std::get<0>(dist.reshape({-1}).sort());
    const double median = sorted[(sorted.numel() - 1) / 2].item<double>();
    if (!(median > 0)) return torch::ones_like(dist); // all examples identical
    return torch::exp(-dist / (2.0 * rbfThreshold * rbfThreshold * median));
}

double ckaFromGrams(const torch::Tensor& k, const torch::Tensor& l) {
    const torch::Tensor kc = centred(k.to(torch::kFloat64)), lc = centred(l.to(torch::kFloat64));
    const double kl = (kc * lc).sum().item<double>();
    const double kk = (kc * kc).sum().item<double>(), ll = (lc * lc).sum().item<double>();
    return kl / std::sqrt(kk * ll);
}

double unbiasedHsic(const torch::Tensor& k, const torch::Tensor& l) {
    const int64_t n = k.size(0);
    if (n <= 3) throw std::invalid_argument("the unbiased HSIC needs more than 3 examples");
    auto own = [](const torch::Tensor& g) { return g.to(torch::kFloat64).unsqueeze(0).clone(); };
    const HsicTerms kt(diagonalFree(own(k))), lt(diagonalFree(own(l)));
    return pairwiseHsic(kt, lt, n).item<double>();
}

double linearCka(const torch::Tensor& x, const torch::Tensor& y) {
    const torch::Tensor xc = x.to(torch::kFloat64) - x.to(torch::kFloat64).mean(0, true);
    const torch::Tensor yc = y.to(torch::kFloat64) - y.to(torch::kFloat64).mean(0, true);
    return ckaFromGrams(torch::matmul(xc, xc.t()), torch::matmul(yc, yc.t()));
}

CkaAccumulator::CkaAccumulator(const CkaOptions& options, int64_t appsA, int64_t appsB, bool self)
    : options_(options), appsA_(appsA), appsB_(self ? appsA : appsB), self_(self) {
    if (appsA_ <= 0 || appsB_ <= 0)
        throw std::invalid_argument("CKA needs at least one application per model");
    cross_ = torch::zeros({appsA_, appsB_}, torch::kFloat64);
    selfA_ = torch::zeros({appsA_}, torch::kFloat64);
    selfB_ = torch::zeros({appsB_}, torch::kFloat64);
    featA_.resize(size_t(appsA_));
    featB_.resize(size_t(appsB_));
}

torch::Tensor CkaAccumulator::grams(const std::vector<torch::Tensor>& hidden) const {
    if (options_.kernel == CkaKernel::Linear) {
        // HSIC_1 is unchanged when every example's features move by the same vector (the
        // Gram matrix then gains terms a 1^T + 1 a^T + c 1 1^T, which the U-statistic
        // cancels). Features shifted by their minibatch mean keep no large common part, so
        // their X X^T is accurate in float32 (sgemm) and is widened afterwards: within 1e-8 of
        // the float64 product of the raw features on CKA values.
        const int64_t n = hidden.front().size(0);
        torch::Tensor g = torch::empty({int64_t(hidden.size()), n, n}, torch::kFloat64);
        for (size_t i = 0; i < hidden.size(); ++i) {
            const torch::Tensor& h = hidden[i];
            torch::Tensor x = options_.feature == CkaFeature::Flatten
                                  ? h.reshape({h.size(0), -1}).to(torch::kFloat32)
                                  : ckaFeatures(h, options_.feature).to(torch::kFloat32);
            x = x - x.mean(0, true);
            // RingScope's gemm (oneDNN where built), reading x^T in place.
            g.select(0, int64_t(i)).copy_(batchedGemm(x.unsqueeze(0), x.t().unsqueeze(0))[0]);
        }
        return diagonalFree(g);
    }
    std::vector<torch::Tensor> g;
    g.reserve(hidden.size());
    for (const auto& h : hidden)
        g.push_back(
            gramMatrix(ckaFeatures(h, options_.feature), options_.kernel, options_.rbfThreshold));
    return diagonalFree(torch::stack(g).to(torch::kFloat64));
}

void CkaAccumulator::accumulate(const torch::Tensor& ga, const torch::Tensor& gb) {
    const int64_t n = ga.size(1);
    const HsicTerms a(ga);
    if (self_) {
        const torch::Tensor cross = pairwiseHsic(a, a, n);
        cross_ += cross;
        selfA_ += cross.diagonal();
        selfB_ += cross.diagonal();
        return;
    }
    const HsicTerms b(gb);
    cross_ += pairwiseHsic(a, b, n);
    selfA_ += selfHsic(a, n);
    selfB_ += selfHsic(b, n);
}

void CkaAccumulator::checkShapes(const std::vector<torch::Tensor>& hiddenA,
                                 const std::vector<torch::Tensor>& b) const {
    if (int64_t(hiddenA.size()) != appsA_ || int64_t(b.size()) != appsB_)
        throw std::invalid_argument("CKA: expected " + std::to_string(appsA_) + " x " +
                                    std::to_string(appsB_) + " applications, got " +
                                    std::to_string(hiddenA.size()) + " x " +
                                    std::to_string(b.size()));
    const int64_t n = hiddenA.front().size(0);
    for (const auto& h : hiddenA)
        if (h.dim() != 3 || h.size(0) != n)
            throw std::invalid_argument("CKA: model A's hidden states differ in shape");
    for (const auto& h : b)
        if (h.dim() != 3 || h.size(0) != n)
            throw std::invalid_argument("CKA: the two models saw different numbers of examples (" +
                                        std::to_string(n) + " vs " +
                                        std::to_string(h.dim() == 3 ? h.size(0) : -1) + ")");
}

void CkaAccumulator::add(const std::vector<torch::Tensor>& hiddenA,
                         const std::vector<torch::Tensor>& hiddenB) {
    const std::vector<torch::Tensor>& b = self_ ? hiddenA : hiddenB;
    checkShapes(hiddenA, b);
    const int64_t n = hiddenA.front().size(0);
    switch (options_.estimator) {
    case CkaEstimator::Full:
        for (size_t a = 0; a < hiddenA.size(); ++a)
            featA_[a].push_back(ckaFeatures(hiddenA[a], options_.feature).to(torch::kFloat32));
        if (!self_)
            for (size_t a = 0; a < b.size(); ++a)
                featB_[a].push_back(ckaFeatures(b[a], options_.feature).to(torch::kFloat32));
        examples_ += n;
        break;
    case CkaEstimator::Minibatch: {
        if (n <= 3) {
            skipped_ += n;
            return;
        }
        const torch::Tensor ga = grams(hiddenA);
        accumulate(ga, self_ ? ga : grams(b));
        examples_ += n;
        break;
    }
    case CkaEstimator::Token:
        for (int64_t e = 0; e < n; ++e) {
            auto tokenGrams = [&](const std::vector<torch::Tensor>& hs) {
                std::vector<torch::Tensor> g;
                for (const auto& h : hs)
                    g.push_back(gramMatrix(h[e], options_.kernel, options_.rbfThreshold));
                return diagonalFree(torch::stack(g).to(torch::kFloat64));
            };
            const torch::Tensor ga = tokenGrams(hiddenA);
            accumulate(ga, self_ ? ga : tokenGrams(b));
        }
        examples_ += n;
        break;
    }
}

void addTriple(CkaAccumulator& aa, CkaAccumulator& bb, CkaAccumulator& ab,
               const std::vector<torch::Tensor>& hiddenA,
               const std::vector<torch::Tensor>& hiddenB) {
    const bool shared = ab.options_.estimator == CkaEstimator::Minibatch && aa.self_ && bb.self_ &&
                        !ab.self_ && !hiddenA.empty() && hiddenA.front().dim() == 3 &&
                        hiddenA.front().size(0) > 3;
    if (!shared) {
        aa.add(hiddenA);
        bb.add(hiddenB);
        ab.add(hiddenA, hiddenB);
        return;
    }
    ab.checkShapes(hiddenA, hiddenB);
    aa.checkShapes(hiddenA, hiddenA);
    bb.checkShapes(hiddenB, hiddenB);
    const torch::Tensor ga = ab.grams(hiddenA), gb = ab.grams(hiddenB);
    aa.accumulate(ga, ga);
    bb.accumulate(gb, gb);
    ab.accumulate(ga, gb);
    const int64_t n = hiddenA.front().size(0);
    for (CkaAccumulator* acc : {&aa, &bb, &ab})
        acc->examples_ += n;
}

torch::Tensor CkaAccumulator::result() const {
    if (examples_ == 0) throw std::logic_error("CKA: no examples were accumulated");
    if (options_.estimator == CkaEstimator::Full) {
        std::vector<torch::Tensor> ga, gb;
        for (const auto& chunks : featA_)
            ga.push_back(gramMatrix(torch::cat(chunks), options_.kernel, options_.rbfThreshold));
        if (!self_)
            for (const auto& chunks : featB_)
                gb.push_back(
                    gramMatrix(torch::cat(chunks), options_.kernel, options_.rbfThreshold));
        const std::vector<torch::Tensor>& g2 = self_ ? ga : gb;
        torch::Tensor out = torch::zeros({appsA_, appsB_}, torch::kFloat64);
        for (int64_t i = 0; i < appsA_; ++i)
            for (int64_t j = 0; j < appsB_; ++j)
                out[i][j] = ckaFromGrams(ga[size_t(i)], g2[size_t(j)]);
        return out;
    }
    return cross_ / torch::sqrt(selfA_.unsqueeze(1) * selfB_.unsqueeze(0));
}

} // namespace ringscope::analysis
