#pragma once
/// @file VisionModel.h
/// A vision transformer of one of the four families, computing exactly what the published code
/// computes (see docs/checkpoint-formats.md), or a timm ViT computing what timm computes. Weights
/// live in a StateDict with the official key names; the per-run state lives in the caller
/// (ForwardTrace).

#include "ringscope/model/nets/ForwardTrace.h"
#include "ringscope/model/nets/ModelConfig.h"
#include "ringscope/model/core/StateDict.h"

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace ringscope {

/// Which trained level a weight-shared model uses for applications beyond its T trained ones.
enum class DepthPolicy {
    RepeatLast, ///< level T for every application after T
    Cycle,      ///< level ((t - 1) mod T) + 1
    Extend,     ///< UiT with static encoding: the sinusoid level table's formula for t > T
};
/// "repeat-last", "cycle", "extend".
std::string depthPolicyName(DepthPolicy policy);
/// Parses those names; throws RingScopeError for another.
DepthPolicy parseDepthPolicy(const std::string& name);

/// Options of one forward pass.
struct ForwardOptions {
    bool train = false; ///< apply dropout (config().dropout) as in training
    /// Dropout's random source: a generator of the caller's own (training uses one per run, so
    /// nothing else in the process can change its numbers); undefined: the process-wide one.
    at::Generator generator;
    /// Applications to run (0: as trained). RingFormer and UiT run any K >= 1 (K <= T: levels
    /// 1..K; beyond T the levels follow `extend`); ViT, OWF and timm ViTs run K <= L layers
    /// (the head reads the output after layer K).
    int64_t applications = 0;
    DepthPolicy extend = DepthPolicy::RepeatLast;
};

/// Result of a forward pass.
struct ForwardOutput {
    torch::Tensor logits;  ///< [B, classes]
    torch::Tensor encoded; ///< [B, N, d] after the final encoder_norm (timm: forward_features)
};

/// Base class of the four families. Create instances with createModel() or modelFromWeights().
class VisionModel {
public:
    virtual ~VisionModel() = default;
    VisionModel(const VisionModel&) = delete;
    VisionModel& operator=(const VisionModel&) = delete;

    const ModelConfig& config() const { return config_; }
    /// The weights, official names and order. Tensors share storage with the model: an
    /// optimizer stepping trainableParameters() changes them.
    const StateDict& weights() const { return weights_; }
    /// Tensors trained by an optimizer (all but the fixed sinusoid tables), in state-dict order.
    std::vector<torch::Tensor> trainableParameters() const;
    /// Number of elements of all weights (what the published code reports as parameters).
    int64_t parameterCount() const { return weights_.numel(); }

    /// Runs the model on images [B, C, S, S] (float32). With `trace`, records attention maps,
    /// hidden states and level signals per application.
    ForwardOutput forward(const torch::Tensor& images, const ForwardOptions& options = {},
                          ForwardTrace* trace = nullptr) const;

    /// Class lens: what the head makes of a residual stream h [B, N, d] (published families:
    /// head(encoder_norm(h)[CLS]); timm: the final norm, the pooling and the head(s)) -> logits.
    virtual torch::Tensor classLens(const torch::Tensor& hidden) const;

    /// The applications a pass with `options` runs. Throws ModelMismatchError for more layers
    /// than a ViT, OWF or timm ViT has, or for `extend` on anything but a static-encoding UiT.
    int64_t applicationsFor(const ForwardOptions& options) const;
    /// The trained level (0-based) that application `t` (0-based) uses under `options`.
    int64_t levelFor(int64_t t, const ForwardOptions& options) const;

protected:
    VisionModel(ModelConfig config, StateDict weights);

    /// Runs the encoder blocks on embedded tokens [B, N, d]; returns the residual stream
    /// after the last application (before encoder_norm).
    virtual torch::Tensor encode(torch::Tensor x, const ForwardOptions& options,
                                 ForwardTrace* trace) const = 0;
    /// Whether the family adds the position table after the CLS concat.
    virtual bool usesPositionTable() const { return true; }
    /// Patch embedding, prefix tokens and positions: images -> tokens [B, N, d].
    virtual torch::Tensor embed(const torch::Tensor& images, const ForwardOptions& options) const;
    /// The final norm and the head(s) on the stream after the last application.
    virtual ForwardOutput readout(const torch::Tensor& x) const;

    /// Weight by official key.
    const torch::Tensor& w(const std::string& name) const { return weights_.at(name); }

    /// Pre-norm attention sub-block: returns Linear_out(attention(q, k, v)) for normalised
    /// tokens `u`, plus `skip` where given (the block's residual stream, summed in the output
    /// projection's product when no dropout applies).
    torch::Tensor attention(const torch::Tensor& u, const std::string& prefix,
                            const ForwardOptions& options, ForwardTrace* trace,
                            const torch::Tensor& skip = {}) const;
    /// The fused q|k|v projection u W_qkv^T + b [B, N, 3d] under `prefix`.
    torch::Tensor qkvProjection(const torch::Tensor& u, const std::string& prefix) const;
    /// Attention of projected qkv [B, N, 3d] and the output projection under `prefix` (plus
    /// `skip` where given, as in attention()).
    torch::Tensor attentionOutput(const torch::Tensor& qkv, const std::string& prefix,
                                  const ForwardOptions& options, ForwardTrace* trace,
                                  const torch::Tensor& skip = {}) const;
    /// W_query, W_key, W_value stacked [3d, d] under `prefix`.
    torch::Tensor qkvWeight(const std::string& prefix) const;
    /// Their biases stacked [3d].
    torch::Tensor qkvBias(const std::string& prefix) const;
    /// Multi-head softmax attention of projected q, k, v ([B, N, 3d], q then k then v):
    /// the context [B, N, d] before the output projection. Records the maps in `trace`. Runs
    /// the fused kernel (FastOps.h) unless the maps must stay in the autograd graph
    /// (attribution, edits) or dropout applies to them.
    torch::Tensor attend(const torch::Tensor& qkv, const ForwardOptions& options,
                         ForwardTrace* trace) const;
    /// fc2(GELU(fc1(z))) of the MLP under `prefix`, plus `skip` where given (as in
    /// attention()).
    torch::Tensor mlp(const torch::Tensor& z, const std::string& prefix,
                      const ForwardOptions& options, const torch::Tensor& skip = {}) const;
    /// The last linear layer of a sub-block, h W^T + b under `prefix` (".weight", ".bias"),
    /// dropout applied, plus `skip` where given: summed inside the product when no dropout
    /// applies (linearResidual), else added after it.
    torch::Tensor branchOutput(const torch::Tensor& h, const std::string& prefix,
                               const ForwardOptions& options, const torch::Tensor& skip) const;
    /// LayerNorm with the weights under `prefix`.
    torch::Tensor norm(const torch::Tensor& x, const std::string& prefix, double eps) const;
    /// Whether dropout applies in a pass with `options` (training, and a rate above 0).
    bool dropsOut(const ForwardOptions& options) const;
    /// Dropout when training.
    torch::Tensor dropout(const torch::Tensor& x, const ForwardOptions& options) const;
    /// Hands an application's maps to the trace (onAttention or `attention`), counting it.
    static void recordAttention(ForwardTrace* trace, const torch::Tensor& probs);
    /// Appends the residual stream after an application to the trace.
    static void recordHidden(ForwardTrace* trace, const torch::Tensor& x);

private:
    ModelConfig config_;
    StateDict weights_;
};

/// The patch embedding: a convolution with kernel = stride = P (weight [d, C, P, P], bias [d])
/// of images [B, C, H, W] -> [B, g*g, d] in row-major grid order (g = H / P; a remainder is
/// dropped, as the convolution drops it). Computed as one matrix product over the patches
/// cut out by a reshape, which equals the convolution to float rounding and, unlike oneDNN's
/// convolution, may run in concurrent lanes (BatchLanes.h).
torch::Tensor patchEmbedding(const torch::Tensor& images, const torch::Tensor& weight,
                             const torch::Tensor& bias);

} // namespace ringscope
