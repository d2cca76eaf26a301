#pragma once
/// @file Cka.h
/// Centred kernel alignment between the representations of two sets of applications
/// (layers or iterations), as defined in docs/metrics.md. Everything is computed in
/// float64.

#include <torch/types.h>

#include <string>
#include <vector>

namespace ringscope::analysis {

/// Kernel of the Gram matrices.
enum class CkaKernel {
    Linear, ///< K = X X^T (Kornblith et al., 2019)
    Rbf,    ///< K_ij = exp(-||x_i - x_j||^2 / (2 threshold^2 m)), m = median squared distance
};

/// How the estimate is formed.
enum class CkaEstimator {
    Full,      ///< biased HSIC over all examples at once (they are kept in memory)
    Minibatch, ///< unbiased HSIC summed over minibatches (Nguyen et al., 2021); streams
    Token,     ///< unbiased HSIC over the tokens of each example, summed over examples
};

/// What one example contributes as its feature vector (Full and Minibatch estimators).
enum class CkaFeature {
    Flatten, ///< all tokens concatenated, N*d values (default)
    Cls,     ///< the CLS token, d values
    Mean,    ///< the mean over tokens, d values
};

struct CkaOptions {
    CkaKernel kernel = CkaKernel::Linear;
    CkaEstimator estimator = CkaEstimator::Minibatch;
    CkaFeature feature = CkaFeature::Flatten;
    double rbfThreshold = 1.0; ///< bandwidth factor of the RBF kernel
};

std::string kernelName(CkaKernel k);       ///< "linear", "rbf"
std::string estimatorName(CkaEstimator e); ///< "full", "minibatch", "token"
std::string featureName(CkaFeature f);     ///< "flatten", "cls", "mean"
/// Parse the names above; throw std::invalid_argument listing the choices.
CkaKernel parseKernel(const std::string& s);
CkaEstimator parseEstimator(const std::string& s);
CkaFeature parseFeature(const std::string& s);

/// Per-example features of a residual stream [B, N, d]: [B, F] float64.
torch::Tensor ckaFeatures(const torch::Tensor& hidden, CkaFeature feature);

/// Gram matrix [n, n] (float64) of the rows of X [n, p].
torch::Tensor gramMatrix(const torch::Tensor& x, CkaKernel kernel, double rbfThreshold = 1.0);

/// CKA of two Gram matrices with the biased (centred) HSIC.
double ckaFromGrams(const torch::Tensor& k, const torch::Tensor& l);

/// Unbiased HSIC estimator HSIC_1 of two n x n Gram matrices (n > 3); the diagonals are
/// ignored (treated as zero).
double unbiasedHsic(const torch::Tensor& k, const torch::Tensor& l);

/// Linear CKA of X [n, p] and Y [n, q] (centred column-wise).
double linearCka(const torch::Tensor& x, const torch::Tensor& y);

/// Accumulates CKA between every application of model A and every application of model B
/// over batches of examples; memory stays constant for the streaming estimators.
class CkaAccumulator {
public:
    /// `appsA` x `appsB` applications. `self`: B is A (A x A); add() then takes hiddenB empty.
    CkaAccumulator(const CkaOptions& options, int64_t appsA, int64_t appsB, bool self = false);

    /// One batch: the residual stream after each application of A ([B, N, d] each) and of B
    /// (the same examples). Throws std::invalid_argument on mismatched counts or batch sizes.
    /// Minibatches of 3 or fewer examples cannot feed the unbiased estimator: they are
    /// skipped and counted.
    void add(const std::vector<torch::Tensor>& hiddenA,
             const std::vector<torch::Tensor>& hiddenB = {});

    /// [appsA, appsB] float64. Throws std::logic_error when nothing was accumulated.
    torch::Tensor result() const;

    int64_t examples() const { return examples_; }       ///< examples that contributed
    int64_t skippedExamples() const { return skipped_; } ///< in minibatches too small to use

private:
    friend void addTriple(CkaAccumulator& aa, CkaAccumulator& bb, CkaAccumulator& ab,
                          const std::vector<torch::Tensor>& hiddenA,
                          const std::vector<torch::Tensor>& hiddenB);
    /// Throws std::invalid_argument unless the applications and batch sizes fit.
    void checkShapes(const std::vector<torch::Tensor>& hiddenA,
                     const std::vector<torch::Tensor>& hiddenB) const;
    /// The Gram matrices of every application [L, n, n], float64, diagonals zeroed.
    torch::Tensor grams(const std::vector<torch::Tensor>& hidden) const;
    /// Adds one minibatch's HSIC_1 terms; `gb` is ignored in self mode.
    void accumulate(const torch::Tensor& ga, const torch::Tensor& gb);

    CkaOptions options_;
    int64_t appsA_, appsB_;
    bool self_;
    int64_t examples_ = 0, skipped_ = 0;
    torch::Tensor cross_, selfA_, selfB_;                   ///< summed HSIC_1 terms (streaming)
    std::vector<std::vector<torch::Tensor>> featA_, featB_; ///< Full: kept features per application
};

/// One batch for the three CKA matrices of two models at once: `aa` (A x A) and `bb` (B x B),
/// built with self = true, and `ab` (A x B), all with the same options. With the minibatch
/// estimator each model's Gram matrices are built once for the three, instead of twice; the
/// results equal those of aa.add(hiddenA), bb.add(hiddenB) and ab.add(hiddenA, hiddenB), which
/// is what runs otherwise.
void addTriple(CkaAccumulator& aa, CkaAccumulator& bb, CkaAccumulator& ab,
               const std::vector<torch::Tensor>& hiddenA,
               const std::vector<torch::Tensor>& hiddenB);

} // namespace ringscope::analysis
