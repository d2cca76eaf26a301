#pragma once
// Multi-head softmax attention over raw float pointers, one (image, head) slice at a time, with
// the products done by gemmRowMajor (Gemm.h). Reads q, k and v straight out of the
// fused projection [B, N, 3d] and writes the context straight into [B, N, d]: no permuted
// copies, no per-slice dispatch.
#include <cstdint>

namespace ringscope::kernels {

/// Shapes of one attention call: B images of N tokens, H heads of dh channels (d = H * dh).
struct AttentionShape {
    int64_t batch = 0, tokens = 0, heads = 0, headDim = 0;
    int64_t hidden() const { return heads * headDim; }
    int64_t slices() const { return batch * heads; }
};

/// For slices [begin, end) of B*H (slice = b * H + h): probs[s] = softmax(q k^T / sqrt(dh)),
/// context[b, :, h*dh:(h+1)*dh] = probs[s] v. qkv [B, N, 3d], probs [B*H, N, N], context [B, N, d].
void attentionForward(const AttentionShape& shape, const float* qkv, float* probs, float* context,
                      int64_t begin, int64_t end);

/// Gradient of the context with respect to qkv for slices [begin, end): given probs, qkv and
/// dcontext [B, N, d], writes dqkv [B, N, 3d] (every element of those slices' columns).
/// `scratch` holds N * N floats.
void attentionBackward(const AttentionShape& shape, const float* qkv, const float* probs,
                       const float* dcontext, float* dqkv, float* scratch, int64_t begin,
                       int64_t end);

} // namespace ringscope::kernels
