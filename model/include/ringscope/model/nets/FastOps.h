#pragma once
/// @file FastOps.h
/// Operations this libtorch runs far from the machine's limit, rewritten: element-wise ops
/// Debian's libtorch runs without SIMD (plain loops the compiler vectorises), and multi-head
/// attention, whose batched products libtorch 1.13 splits into one dispatched call per slice,
/// and the linear layers, whose products run on RingScope's gemm.
/// Same functions, same autograd behaviour as the torch ops they replace (first derivatives).

#include <torch/types.h>

#include <string>

namespace ringscope {

/// Exact (erf) GELU, x * Phi(x), with autograd. Float32 tensors use the vectorised kernel
/// (Phi from an erfc fit: absolute error below 4e-7 against float64, relative error below 1e-5
/// down to x = -8, in the lower tail too); other dtypes fall back to torch::gelu.
torch::Tensor fastGelu(const torch::Tensor& x);

/// What fusedAttention returns.
struct AttentionOutput {
    torch::Tensor context; ///< [B, N, d], heads concatenated; differentiable in qkv
    torch::Tensor probs;   ///< [B, H, N, N] softmax maps; not differentiable (detached)
};

/// Whether fusedAttention can run `qkv` here: a float32 CPU tensor [B, N, 3d] in a build with
/// BLAS (otherwise compute attention with torch's ops).
bool fusedAttentionRuns(const torch::Tensor& qkv);

/// Multi-head softmax attention of a fused projection qkv [B, N, 3d] (q, then k, then v, each
/// `heads` heads of d / heads channels): P = softmax(q k^T / sqrt(dh)) per head and context
/// P v, one pass per (image, head) slice spread over the threads, with its own backward
/// (gradient into qkv only). Results equal torch's composite to float rounding.
AttentionOutput fusedAttention(const torch::Tensor& qkv, int64_t heads);

/// x W^T + b for x [..., in] (weight [out, in], bias [out] or undefined for none): one
/// product over all leading dimensions, with its own backward (three products: the input,
/// weight and bias gradients). Float32 CPU tensors go through RingScope's gemm (oneDNN where
/// the build has it; the rows of x are read in place when they lie at one stride, as a
/// selected class token does), anything else through torch's ops. Results equal
/// torch::addmm's to float rounding.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias);

/// residual + x W^T + b, a transformer block's skip connection summed inside its last
/// product: the output starts as residual + bias (one pass per row) and the product adds onto
/// it, so the sum costs no pass of its own. residual has the product's shape [..., out]; the
/// gradient in it is the output's. Shapes and fallbacks as linear's; equals
/// residual + linear(x, weight, bias) to float rounding.
torch::Tensor linearResidual(const torch::Tensor& x, const torch::Tensor& weight,
                             const torch::Tensor& bias, const torch::Tensor& residual);

/// LayerNorm over the last dimension of x [..., d] (weight and bias [d]), with its own
/// backward: one pass per row for the statistics and the output, one for the gradients (the
/// weight and bias sums in fixed row blocks, so their bits do not depend on the thread count).
/// Equals torch::layer_norm to float rounding, which it calls for anything but float32 CPU
/// tensors.
torch::Tensor layerNorm(const torch::Tensor& x, const torch::Tensor& weight,
                        const torch::Tensor& bias, double eps);

/// GELU(x W^T + b), an MLP's first layer and its activation in one op (bias required): one
/// pass over the product adds the bias and applies the GELU in place, and in training the
/// same evaluation also stores
/// GELU' for the backward, which then only multiplies (no erf or exp of its own, and no
/// pre-activations kept). Equals fastGelu(linear(x, weight, bias)) to float rounding; anything
/// but float32 CPU tensors goes exactly that way.
torch::Tensor linearGelu(const torch::Tensor& x, const torch::Tensor& weight,
                         const torch::Tensor& bias);

/// residual + fc2(GELU(fc1(x))), a transformer block's MLP with its skip connection: fc1 [mlp, d]
/// with bias b1, fc2 [d, mlp] with bias b2 (undefined for none), residual of the output's shape.
/// The forward is linearGelu's into linearResidual's; the backward multiplies the hidden
/// gradient by GELU' one block of rows at a time, as its product writes it, while the block is
/// in cache. Equals linearResidual(linearGelu(x, w1, b1), w2, b2, residual) to float rounding,
/// which it calls for anything else than float32 CPU tensors.
torch::Tensor mlpResidual(const torch::Tensor& x, const torch::Tensor& w1, const torch::Tensor& b1,
                          const torch::Tensor& w2, const torch::Tensor& b2,
                          const torch::Tensor& residual);

/// What runs RingScope's matrix products: "oneDNN <version> <instruction set>", "BLAS" (the
/// one libtorch links), or "" (torch's own ops).
std::string productKernels();

/// Starts (true) or stops timing RingScope's matrix products, and resets the total: while on,
/// every product adds its duration times the threads it runs on to timedProductMs() (the
/// benchmark's split of a step into products and the rest). Off at start; on, it costs two
/// clock reads per product.
void timeProducts(bool on);

/// Thread-milliseconds spent in RingScope's matrix products since timeProducts(true): divided
/// by the threads, the wall time the step would take if it did nothing else.
double timedProductMs();

/// a [b, m, k] x b [b, k, n] -> [b, m, n] (float32, CPU): one sgemm per slice, slices spread
/// over the threads, as fusedAttention does its products (torch::matmul elsewhere); `b` may be
/// a transposed view, read without a copy (Gram matrices X X^T). The benchmark's measure of
/// what sgemm reaches on attention's shapes.
torch::Tensor batchedGemm(const torch::Tensor& a, const torch::Tensor& b);

/// x [..., k] times weight^T (weight [n, k]) -> [..., n], for the thin products of low-rank
/// factors (n or k of a few dozen, as a RingFormer's level signals): OpenBLAS runs such a
/// product on one core, so the rows go in fixed blocks over the threads, one sgemm each, and
/// the weight gradient sums the blocks' partial products in a fixed order (results do not
/// depend on the thread count). Differentiable in both; float32 on the CPU (else
/// torch::matmul).
torch::Tensor thinLinear(const torch::Tensor& x, const torch::Tensor& weight);

/// base [..., G n] plus, in each of its G column blocks g, t[..., g-th r columns] a[g]
/// (t [..., G r], a [G, r, n]): low-rank terms added to the product they ride on (a
/// RingFormer's q, k, v signals onto its q|k|v projection, G = 3; its FF signal onto x1,
/// G = 1), one sgemm per row block and term into a copy of base, without the zeros of a
/// block-diagonal product. Differentiable in all three (the gradients of a sum the same
/// fixed blocks as thinLinear's); float32 on the CPU (else torch's ops). When `baseNorms` is
/// given, it receives the Euclidean norms [..., G] (float64, summed in double) of each row's G
/// column blocks of base, taken as the pass reads each row block of base (a RingFormer trace's
/// norms of the terms its signals are added to), not differentiable.
torch::Tensor addLowRank(const torch::Tensor& base, const torch::Tensor& t, const torch::Tensor& a,
                         torch::Tensor* baseNorms = nullptr);

/// addLowRank(linear(x, weight, bias), t, a, baseNorms) with the terms added in place onto the
/// product's output, so that it costs no copy of that output (a RingFormer's q|k|v projection
/// and its q, k, v signals). Shapes, fallbacks and gradients as those two ops'; equals them to
/// float rounding.
torch::Tensor linearLowRank(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias, const torch::Tensor& t,
                            const torch::Tensor& a, torch::Tensor* baseNorms = nullptr);

/// Euclidean norms over the last dimension: [..., d] -> [...] float64, summed in double. A
/// float32 CPU tensor whose rows sit at one stride (contiguous, or a narrowed last dimension)
/// is read in place, one vectorised pass over the threads; anything else goes through
/// torch::linalg_vector_norm.
torch::Tensor rowNorms(const torch::Tensor& x);

/// For two tensors [B, ...] of one shape, per leading index b: [B, 3] float64 holding
/// sum a^2, sum (a - b)^2 and sum a b over the rest, summed in double: one pass over both
/// instead of a difference, a product and three reductions.
torch::Tensor pairSums(const torch::Tensor& a, const torch::Tensor& b);

/// x [..., R, C] weighted by w [R, C] and summed over the last dimension: [..., R] with
/// out[..., r] = sum_c x[..., r, c] w[r, c] (as (x * w).sum(-1), summed in x's precision). A
/// float32 CPU x whose [R, C] slices sit at fixed strides (contiguous, or narrowed in its last
/// two dimensions, as attention maps without their class token) is read in place, one
/// vectorised pass over the threads, without the [..., R, C] product torch's ops would make;
/// anything else goes through those ops.
torch::Tensor weightedRowSums(const torch::Tensor& x, const torch::Tensor& w);

} // namespace ringscope
