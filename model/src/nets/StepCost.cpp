#include "ringscope/model/nets/StepCost.h"

namespace ringscope {

std::vector<GemmShape> stepGemms(const ModelConfig& c, int64_t batch, bool train) {
    const int64_t N = c.tokens(), d = c.hidden, H = c.heads, dh = c.headDim(), A = c.depth;
    const int64_t rows = batch * N, patches = c.gridSize() * c.gridSize();
    const bool ring = c.family == Family::RingFormer;
    std::vector<GemmShape> forward = {
        {1, batch * patches, d, c.channels * c.patch * c.patch, 1}, // patch embedding
        {1, rows, 3 * d, d, A},                                     // q | k | v
        {batch * H, N, N, dh, A},                                   // scores q k^T
        {batch * H, N, dh, N, A},                                   // context P v
        {1, rows, d, d, A},                                         // output projection
        {1, rows, c.mlp, d, A},                                     // fc1
        {1, rows, d, c.mlp, A},                                     // fc2
        {1, batch, c.classes, d, 1},                                // head
    };
    if (ring) {
        const int64_t r = c.rank;
        forward.push_back({1, rows, 3 * r, d, A}); // x B^T for Q, K, V
        forward.push_back({1, rows, d, r, 3 * A}); // (x B_X^T) A_X into q, k, v
        forward.push_back({1, rows, r, d, A});     // x1 B_F^T
        forward.push_back({1, rows, d, r, A});     // (x1 B_F^T) A_F
    }
    if (!train) return forward;
    std::vector<GemmShape> all = forward;
    for (size_t i = 0; i < forward.size(); ++i) {
        const GemmShape& f = forward[i];
        all.push_back({f.batch, f.k, f.n, f.m, f.count});            // weight gradient X^T dY
        if (i > 0) all.push_back({f.batch, f.m, f.k, f.n, f.count}); // input gradient dY W^T
    }
    return all;
}

double totalFlops(const std::vector<GemmShape>& gemms) {
    double sum = 0.0;
    for (const GemmShape& g : gemms)
        sum += g.flops();
    return sum;
}

} // namespace ringscope
