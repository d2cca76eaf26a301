// The rewritten operations of FastOps.h against the torch ops they replace: values, gradients,
// determinism, and the model paths that use them (fused attention vs torch's composite).
#include "TestSupport.h"

#include "ringscope/model/core/Runtime.h"
#include "ringscope/model/nets/FastOps.h"
#include "ringscope/model/nets/ModelFactory.h"

#include <QtTest>

#include <torch/types.h>

#include <cmath>
#include <cstdlib>

using namespace ringscope;

namespace {

/// torch's composite attention, as VisionModel computed it before the fused kernel.
AttentionOutput referenceAttention(const torch::Tensor& qkv, int64_t heads) {
    const int64_t B = qkv.size(0), N = qkv.size(1), d = qkv.size(2) / 3, dh = d / heads;
    const torch::Tensor parts = qkv.view({B, N, 3, heads, dh}).permute({2, 0, 3, 1, 4});
    torch::Tensor scores = torch::matmul(parts[0], parts[1].transpose(-2, -1)) / std::sqrt(dh);
    torch::Tensor probs = torch::softmax(scores, -1);
    torch::Tensor context = torch::matmul(probs, parts[2]).transpose(1, 2).reshape({B, N, d});
    return {context, probs};
}

double maxAbs(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

/// Whether gradient u matches v within 1e-5 of v's largest magnitude (or of 1 if smaller).
bool gradientsMatch(const torch::Tensor& u, const torch::Tensor& v) {
    return maxAbs(u, v) < 1e-5 * std::max(1.0, v.abs().max().item<double>());
}

/// A random gradient shaped like y whose rows lie at a stride: columns [offset, offset + n) of
/// rows `extra` wider than y's n.
torch::Tensor stridedGradient(const torch::Tensor& y, int64_t extra, int64_t offset) {
    std::vector<int64_t> wider = y.sizes().vec();
    wider.back() += extra;
    return torch::randn(wider).narrow(-1, offset, y.size(-1));
}

ModelConfig config(Family family) {
    return test::smallModelConfig(family);
}

/// A copy of `t` that is a leaf of its own graph (its gradient its own).
torch::Tensor leaf(const torch::Tensor& t) {
    return t.detach().clone().requires_grad_(true);
}

/// Leaf tensors for mlpResidual: x [3, 100, 24] (more rows than one block of the hidden
/// gradient at 1024 hidden units), fc1 [1024, 24], fc2 [24, 1024], their biases and a skip.
struct MlpInputs {
    torch::Tensor x, w1, b1, w2, b2, skip;
};
MlpInputs mlpInputs(uint64_t seed) {
    torch::manual_seed(seed);
    const int64_t B = 3, N = 100, d = 24, hidden = 1024;
    MlpInputs in;
    in.x = leaf(torch::randn({B, N, d}));
    in.w1 = leaf(torch::randn({hidden, d}) * 0.3);
    in.b1 = leaf(torch::randn({hidden}));
    in.w2 = leaf(torch::randn({d, hidden}) * 0.05);
    in.b2 = leaf(torch::randn({d}));
    in.skip = leaf(torch::randn({B, N, d}));
    return in;
}

} // namespace

class TestFastOps : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { configureThreads(0); }

    void geluMatchesTorch() {
        torch::manual_seed(1);
        torch::Tensor x = (torch::randn({4097}) * 4).requires_grad_(true);
        torch::Tensor ref = x.detach().clone().requires_grad_(true);
        torch::Tensor g = torch::randn({4097});
        torch::Tensor y = fastGelu(x), yr = torch::gelu(ref);
        QVERIFY(maxAbs(y, yr) < 2e-6);
        y.backward(g);
        yr.backward(g);
        QVERIFY(maxAbs(x.grad(), ref.grad()) < 2e-6);
    }

    void attentionMatchesTorch_data() {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("tokens");
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("headDim");
        QTest::newRow("bench shape") << 8 << 50 << 4 << 48;
        QTest::newRow("one image, one head") << 1 << 17 << 1 << 16;
        QTest::newRow("odd sizes") << 3 << 5 << 3 << 7;
        QTest::newRow("one token") << 2 << 1 << 2 << 4;
        QTest::newRow("S/16 tokens") << 1 << 197 << 6 << 64;
    }
    void attentionMatchesTorch() {
        QFETCH(int, batch);
        QFETCH(int, tokens);
        QFETCH(int, heads);
        QFETCH(int, headDim);
        if (!fusedAttentionRuns(torch::zeros({1, 1, 3}))) QSKIP("this build has no BLAS");
        torch::manual_seed(2);
        const int64_t d = int64_t(heads) * headDim;
        torch::Tensor qkv = (torch::randn({batch, tokens, 3 * d}) * 2).requires_grad_(true);
        torch::Tensor ref = qkv.detach().clone().requires_grad_(true);
        AttentionOutput out = fusedAttention(qkv, heads);
        AttentionOutput want = referenceAttention(ref, heads);
        QCOMPARE(out.probs.sizes().vec(), want.probs.sizes().vec());
        QCOMPARE(out.context.sizes().vec(), want.context.sizes().vec());
        QVERIFY(!out.probs.requires_grad());
        QVERIFY2(maxAbs(out.probs, want.probs) < 1e-5,
                 qPrintable(QString::number(maxAbs(out.probs, want.probs))));
        QVERIFY2(maxAbs(out.context, want.context) < 1e-5,
                 qPrintable(QString::number(maxAbs(out.context, want.context))));
        // Every row of every map sums to one.
        QVERIFY(maxAbs(out.probs.sum(-1), torch::ones({batch, heads, tokens})) < 1e-5);

        torch::Tensor g = torch::randn({batch, tokens, d});
        out.context.backward(g);
        want.context.backward(g);
        const double scale = ref.grad().abs().max().item<double>();
        QVERIFY2(maxAbs(qkv.grad(), ref.grad()) < 1e-5 * std::max(1.0, scale),
                 qPrintable(QString::number(maxAbs(qkv.grad(), ref.grad()))));
    }

    void attentionReadsStridedInput() {
        if (!fusedAttentionRuns(torch::zeros({1, 1, 3}))) QSKIP("this build has no BLAS");
        torch::manual_seed(3);
        // A transposed (non-contiguous) qkv gives the same result as its contiguous copy.
        torch::Tensor t = torch::randn({10, 2, 24}).transpose(0, 1);
        QVERIFY(!t.is_contiguous());
        AttentionOutput a = fusedAttention(t, 2), b = fusedAttention(t.contiguous(), 2);
        QVERIFY(torch::equal(a.context, b.context));
        QVERIFY(torch::equal(a.probs, b.probs));
    }

    void attentionIsDeterministic() {
        if (!fusedAttentionRuns(torch::zeros({1, 1, 3}))) QSKIP("this build has no BLAS");
        torch::manual_seed(4);
        torch::Tensor x = torch::randn({16, 50, 3 * 192});
        auto run = [&] {
            torch::Tensor qkv = x.clone().requires_grad_(true);
            AttentionOutput out = fusedAttention(qkv, 4);
            out.context.pow(2).sum().backward();
            return std::make_pair(out.context.detach(), qkv.grad());
        };
        auto [c1, g1] = run();
        auto [c2, g2] = run();
        QVERIFY(torch::equal(c1, c2));
        QVERIFY(torch::equal(g1, g2));
    }

    void attentionRefusesBadHeads() {
        if (!fusedAttentionRuns(torch::zeros({1, 1, 3}))) QSKIP("this build has no BLAS");
        QVERIFY_THROWS_EXCEPTION(c10::Error, fusedAttention(torch::zeros({1, 4, 3 * 10}), 4));
        QVERIFY(!fusedAttentionRuns(torch::zeros({1, 4, 12}, torch::kFloat64)));
    }

    void batchedGemmMatchesMatmul() {
        torch::manual_seed(7);
        torch::Tensor a = torch::randn({9, 13, 6}), b = torch::randn({9, 6, 11});
        QVERIFY(maxAbs(batchedGemm(a, b), torch::matmul(a, b)) < 1e-5);
        // Transposed views are read as the matrices they show.
        torch::Tensor bt = torch::randn({9, 11, 6}).transpose(1, 2);
        QVERIFY(maxAbs(batchedGemm(a, bt), torch::matmul(a, bt)) < 1e-5);
    }

    /// RingScope's gemm (through batchedGemm) against float64 products, within float32's
    /// rounding of sum |a| |b|: edge sizes (1, odd, past the kernels' blocks), an empty inner
    /// dimension, plain and transposed right operands.
    void gemmMatchesFloat64_data() {
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("k");
        QTest::newRow("1 x 1 x 1") << 1 << 1 << 1;
        QTest::newRow("a row") << 1 << 577 << 193;
        QTest::newRow("a column") << 601 << 1 << 67;
        QTest::newRow("odd sizes") << 17 << 33 << 65;
        QTest::newRow("attention scores") << 50 << 50 << 48;
        QTest::newRow("qkv rows") << 1600 << 576 << 192;
        QTest::newRow("weight gradient") << 192 << 768 << 1601;
        QTest::newRow("empty inner dimension") << 5 << 7 << 0;
    }
    void gemmMatchesFloat64() {
        QFETCH(int, m);
        QFETCH(int, n);
        QFETCH(int, k);
        torch::manual_seed(m * 31 + n * 7 + k);
        const torch::Tensor a = torch::randn({2, m, k}), b = torch::randn({2, k, n});
        const torch::Tensor bt = torch::randn({2, n, k}).transpose(1, 2);
        for (const torch::Tensor& right : {b, bt}) {
            const torch::Tensor got = batchedGemm(a, right).to(torch::kFloat64);
            const torch::Tensor a64 = a.to(torch::kFloat64), b64 = right.to(torch::kFloat64);
            const torch::Tensor want = torch::matmul(a64, b64);
            const torch::Tensor bound = torch::matmul(a64.abs(), b64.abs()) * 1e-6 + 1e-30;
            QCOMPARE(got.sizes(), want.sizes());
            QVERIFY2(((got - want).abs() <= bound).all().item<bool>(),
                     qPrintable(QString("worst error %1 of the bound")
                                    .arg(((got - want).abs() / bound).max().item<double>())));
        }
    }

    /// linear against torch::addmm and its gradients: a batch of token rows with a bias, no
    /// bias, the class token selected out of the tokens (rows read at a stride), and a
    /// gradient arriving as a narrowed view.
    void linearMatchesAddmm_data() {
        QTest::addColumn<bool>("bias");
        QTest::addColumn<bool>("selected");
        QTest::newRow("tokens, bias") << true << false;
        QTest::newRow("tokens, no bias") << false << false;
        QTest::newRow("class token, bias") << true << true;
    }
    void linearMatchesAddmm() {
        QFETCH(bool, bias);
        QFETCH(bool, selected);
        torch::manual_seed(12);
        const int64_t B = 6, N = 11, in = 40, out = 24;
        const torch::Tensor tokens = torch::randn({B, N, in}).requires_grad_(true);
        const torch::Tensor tokensR = tokens.detach().clone().requires_grad_(true);
        const torch::Tensor x = selected ? tokens.select(1, 0) : tokens;
        const torch::Tensor xr = selected ? tokensR.select(1, 0) : tokensR;
        const torch::Tensor w = torch::randn({out, in}).requires_grad_(true);
        const torch::Tensor wr = w.detach().clone().requires_grad_(true);
        const torch::Tensor b = bias ? torch::randn({out}).requires_grad_(true) : torch::Tensor();
        const torch::Tensor br = bias ? b.detach().clone().requires_grad_(true) : torch::Tensor();
        const torch::Tensor y = linear(x, w, b);
        const torch::Tensor flat = xr.reshape({-1, in});
        const torch::Tensor yr =
            (bias ? torch::addmm(br, flat, wr.t()) : torch::mm(flat, wr.t())).view(y.sizes());
        QCOMPARE(y.sizes().vec(),
                 (selected ? std::vector<int64_t>{B, out} : std::vector<int64_t>{B, N, out}));
        QVERIFY(maxAbs(y, yr) < 1e-5 * yr.abs().max().item<double>());
        const torch::Tensor g = stridedGradient(y, 5, 2);
        y.backward(g);
        yr.backward(g);
        QVERIFY(gradientsMatch(tokens.grad(), tokensR.grad()));
        QVERIFY(gradientsMatch(w.grad(), wr.grad()));
        if (bias) QVERIFY(gradientsMatch(b.grad(), br.grad()));
        torch::NoGradGuard noGrad;
        QVERIFY(maxAbs(linear(x, w, b), yr) < 1e-5 * yr.abs().max().item<double>());
        QVERIFY_THROWS_EXCEPTION(c10::Error, linear(x, w.narrow(1, 0, in - 1), b));
    }

    /// fastGelu and its gradient against the float64 formulas over [-12, 12], with small
    /// relative error in the lower tail too, where 1 + erf(x / sqrt 2) would lose every digit.
    void geluMatchesFloat64() {
        const torch::Tensor x =
            torch::linspace(-12.0, 12.0, 24001, torch::kFloat64).to(torch::kFloat32);
        const torch::Tensor xd = x.to(torch::kFloat64);
        const torch::Tensor cdf = 0.5 * torch::erfc(-xd / std::sqrt(2.0));
        const torch::Tensor ref = xd * cdf;
        const torch::Tensor slopeRef = cdf + xd * torch::exp(-0.5 * xd * xd) / std::sqrt(2 * M_PI);
        const torch::Tensor xg = x.clone().requires_grad_(true);
        const torch::Tensor y = fastGelu(xg);
        y.backward(torch::ones_like(y));
        const torch::Tensor yd = y.detach().to(torch::kFloat64);
        const torch::Tensor gd = xg.grad().to(torch::kFloat64);
        QVERIFY((yd - ref).abs().max().item<double>() < 4e-7);
        QVERIFY((gd - slopeRef).abs().max().item<double>() < 4e-7);
        const torch::Tensor tail = (xd.abs() <= 8.0) & (ref.abs() > 1e-30);
        const double relative =
            ((yd - ref).abs() / ref.abs()).masked_select(tail).max().item<double>();
        QVERIFY2(relative < 1e-5, std::to_string(relative).c_str());
    }

    /// layerNorm against torch::layer_norm: values and the gradients of x, weight and bias
    /// over more rows than one block (strided gradient), the rows of a selected class token
    /// (read in place), and the no-grad path.
    void layerNormMatchesTorch_data() {
        QTest::addColumn<bool>("selected");
        QTest::newRow("tokens") << false;
        QTest::newRow("class token") << true;
    }
    void layerNormMatchesTorch() {
        QFETCH(bool, selected);
        torch::manual_seed(16);
        const int64_t B = 23, N = 50, d = 40;
        const torch::Tensor tokens = (torch::randn({B, N, d}) * 3 + 1).requires_grad_(true);
        const torch::Tensor tokensR = tokens.detach().clone().requires_grad_(true);
        const torch::Tensor x = selected ? tokens.select(1, 0) : tokens;
        const torch::Tensor xr = selected ? tokensR.select(1, 0) : tokensR;
        const torch::Tensor w = torch::randn({d}).requires_grad_(true);
        const torch::Tensor b = torch::randn({d}).requires_grad_(true);
        const torch::Tensor wr = w.detach().clone().requires_grad_(true);
        const torch::Tensor br = b.detach().clone().requires_grad_(true);
        const torch::Tensor y = layerNorm(x, w, b, 1e-6);
        const torch::Tensor yr = torch::layer_norm(xr, {d}, wr, br, 1e-6);
        QCOMPARE(y.sizes().vec(), yr.sizes().vec());
        QVERIFY(maxAbs(y, yr) < 1e-5);
        const torch::Tensor g = stridedGradient(y, 3, 1);
        y.backward(g);
        yr.backward(g);
        QVERIFY(gradientsMatch(tokens.grad(), tokensR.grad()));
        QVERIFY(gradientsMatch(w.grad(), wr.grad()));
        QVERIFY(gradientsMatch(b.grad(), br.grad()));
        torch::NoGradGuard noGrad;
        QVERIFY(maxAbs(layerNorm(x, w, b, 1e-6), yr) < 1e-5);
        QVERIFY_THROWS_EXCEPTION(c10::Error, layerNorm(x, w.narrow(0, 0, d - 1), b, 1e-6));
    }

    /// linearGelu against torch's gelu(addmm(...)): values, the gradients of x, weight and
    /// bias (from a strided gradient), and the no-grad path.
    void linearGeluMatchesTorch() {
        torch::manual_seed(15);
        const int64_t B = 5, N = 13, in = 32, out = 72;
        const torch::Tensor x = torch::randn({B, N, in}).requires_grad_(true);
        const torch::Tensor w = (torch::randn({out, in}) * 0.3).requires_grad_(true);
        const torch::Tensor b = torch::randn({out}).requires_grad_(true);
        const torch::Tensor xr = x.detach().clone().requires_grad_(true);
        const torch::Tensor wr = w.detach().clone().requires_grad_(true);
        const torch::Tensor br = b.detach().clone().requires_grad_(true);
        const torch::Tensor y = linearGelu(x, w, b);
        const torch::Tensor yr =
            torch::gelu(torch::addmm(br, xr.reshape({-1, in}), wr.t())).view({B, N, out});
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{B, N, out}));
        QVERIFY(maxAbs(y, yr) < 2e-6 * std::max(1.0, yr.abs().max().item<double>()));
        const torch::Tensor g = stridedGradient(y, 3, 1);
        y.backward(g);
        yr.backward(g);
        QVERIFY(gradientsMatch(x.grad(), xr.grad()));
        QVERIFY(gradientsMatch(w.grad(), wr.grad()));
        QVERIFY(gradientsMatch(b.grad(), br.grad()));
        torch::NoGradGuard noGrad;
        QVERIFY(maxAbs(linearGelu(x, w, b), yr) <
                2e-6 * std::max(1.0, yr.abs().max().item<double>()));
        QVERIFY_THROWS_EXCEPTION(c10::Error, linearGelu(x, w.narrow(1, 0, in - 1), b));
    }

    /// The first bias's gradient in mlpResidual is summed as the hidden gradient is formed, in
    /// column ranges over the threads, in double with the rows in order: the same bits on one
    /// thread as on all, wherever the products give the same bits on one thread. Those are the
    /// sgemm's: oneDNN's do; a BLAS's may split its work by the threads and round otherwise,
    /// which x's gradient shows (it passes through both products of the hidden gradient).
    void mlpBiasGradientHasTheSameBitsOnOneThread() {
        const MlpInputs in = mlpInputs(18);
        const torch::Tensor &x = in.x, &b1 = in.b1;
        const torch::Tensor g = torch::randn(x.sizes());
        auto gradients = [&](int threads) {
            configureThreads(threads);
            for (const torch::Tensor& t : {x, b1})
                if (t.grad().defined()) t.mutable_grad().reset();
            mlpResidual(x, in.w1, b1, in.w2, in.b2, in.skip).backward(g);
            configureThreads(0);
            return std::make_pair(x.grad().clone(), b1.grad().clone());
        };
        const auto all = gradients(0), one = gradients(1);
        const std::string otherBits =
            "this build's products (" + productKernels() + ") round otherwise on one thread";
        if (!torch::equal(all.first, one.first)) QSKIP(otherBits.c_str());
        QVERIFY(torch::equal(all.second, one.second));
    }

    /// mlpResidual against residual + fc2(gelu(fc1(x))) in torch's ops, over more rows than one
    /// block of the hidden gradient (256 rows at 1024 hidden units) and a strided gradient: the
    /// values, the gradients of x, both weights and biases and the residual, the no-grad path,
    /// and a residual of the wrong shape.
    void mlpResidualMatchesTorch() {
        const MlpInputs in = mlpInputs(17);
        const auto& [x, w1, b1, w2, b2, skip] = in;
        const int64_t B = x.size(0), N = x.size(1), d = x.size(2);
        const std::vector<torch::Tensor> ours{x, w1, b1, w2, b2, skip};
        std::vector<torch::Tensor> ref;
        for (const auto& t : ours)
            ref.push_back(leaf(t));
        const torch::Tensor y = mlpResidual(x, w1, b1, w2, b2, skip);
        const torch::Tensor h =
            torch::gelu(torch::addmm(ref[2], ref[0].reshape({-1, d}), ref[1].t()));
        const torch::Tensor yr = ref[5] + torch::addmm(ref[4], h, ref[3].t()).view({B, N, d});
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{B, N, d}));
        QVERIFY(maxAbs(y, yr) < 1e-5 * yr.abs().max().item<double>());
        const torch::Tensor g = stridedGradient(y, 3, 1);
        y.backward(g);
        yr.backward(g);
        for (size_t i = 0; i < ours.size(); ++i)
            QVERIFY2(gradientsMatch(ours[i].grad(), ref[i].grad()), std::to_string(i).c_str());
        torch::NoGradGuard noGrad;
        QVERIFY(maxAbs(mlpResidual(x, w1, b1, w2, b2, skip), yr) <
                1e-5 * yr.abs().max().item<double>());
        QVERIFY_THROWS_EXCEPTION(c10::Error,
                                 mlpResidual(x, w1, b1, w2, b2, skip.narrow(-1, 0, d - 1)));
    }

    /// linearResidual against residual + addmm(...): a residual read at a stride (a narrowed
    /// stream), with and without a bias, and a float64 residual (torch's ops); the gradients
    /// of x, weight, bias and residual, the no-grad path, and a residual of the wrong shape.
    void linearResidualMatchesTorch_data() {
        QTest::addColumn<bool>("bias");
        QTest::addColumn<bool>("narrowed");
        QTest::newRow("bias") << true << false;
        QTest::newRow("no bias") << false << false;
        QTest::newRow("narrowed residual") << true << true;
    }
    void linearResidualMatchesTorch() {
        QFETCH(bool, bias);
        QFETCH(bool, narrowed);
        torch::manual_seed(16);
        const int64_t B = 4, N = 9, in = 48, out = 20;
        const torch::Tensor x = torch::randn({B, N, in}).requires_grad_(true);
        const torch::Tensor w = (torch::randn({out, in}) * 0.3).requires_grad_(true);
        const torch::Tensor b = bias ? torch::randn({out}).requires_grad_(true) : torch::Tensor();
        const torch::Tensor stream = torch::randn({B, N, out + (narrowed ? 6 : 0)});
        const torch::Tensor skip =
            (narrowed ? stream.narrow(-1, 3, out) : stream).detach().requires_grad_(true);
        const torch::Tensor xr = x.detach().clone().requires_grad_(true);
        const torch::Tensor wr = w.detach().clone().requires_grad_(true);
        const torch::Tensor br = bias ? b.detach().clone().requires_grad_(true) : torch::Tensor();
        const torch::Tensor skipR = skip.detach().clone().requires_grad_(true);
        const torch::Tensor y = linearResidual(x, w, b, skip);
        const torch::Tensor flat = xr.reshape({-1, in});
        const torch::Tensor product =
            bias ? torch::addmm(br, flat, wr.t()) : torch::mm(flat, wr.t());
        const torch::Tensor yr = skipR + product.view({B, N, out});
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{B, N, out}));
        QVERIFY(maxAbs(y, yr) < 1e-5 * yr.abs().max().item<double>());
        const torch::Tensor g = stridedGradient(y, 3, 1);
        y.backward(g);
        yr.backward(g);
        QVERIFY(gradientsMatch(x.grad(), xr.grad()));
        QVERIFY(gradientsMatch(w.grad(), wr.grad()));
        if (bias) QVERIFY(gradientsMatch(b.grad(), br.grad()));
        QCOMPARE(maxAbs(skip.grad(), skipR.grad()), 0.0);
        torch::NoGradGuard noGrad;
        QVERIFY(maxAbs(linearResidual(x, w, b, skip), yr) < 1e-5 * yr.abs().max().item<double>());
        const torch::Tensor wide = linearResidual(x.to(torch::kFloat64), w.to(torch::kFloat64),
                                                  bias ? b.to(torch::kFloat64) : torch::Tensor(),
                                                  skip.to(torch::kFloat64));
        QVERIFY(maxAbs(wide, yr.to(torch::kFloat64)) < 1e-5 * yr.abs().max().item<double>());
        QVERIFY_THROWS_EXCEPTION(c10::Error, linearResidual(x, w, b, skip.narrow(-1, 0, out - 1)));
    }

    /// weightedRowSums against (x * w).sum(-1): attention maps narrowed past a class token
    /// (read in place), a contiguous batch, and a float64 input (torch's ops).
    void weightedRowSumsMatchTorch() {
        torch::manual_seed(14);
        const torch::Tensor maps = torch::rand({3, 4, 17, 17});
        const torch::Tensor narrowed = maps.narrow(2, 1, 16).narrow(3, 1, 16);
        const torch::Tensor w = torch::rand({16, 16}, torch::kFloat64) * 10;
        for (const torch::Tensor& x : {narrowed, narrowed.contiguous()}) {
            const torch::Tensor got = weightedRowSums(x, w);
            const torch::Tensor want = (x.to(torch::kFloat64) * w).sum(-1);
            QCOMPARE(got.sizes().vec(), (std::vector<int64_t>{3, 4, 16}));
            QCOMPARE(got.scalar_type(), torch::kFloat32);
            QVERIFY(maxAbs(got.to(torch::kFloat64), want) < 1e-6 * want.abs().max().item<double>());
        }
        const torch::Tensor x64 = narrowed.to(torch::kFloat64);
        QVERIFY(maxAbs(weightedRowSums(x64, w), (x64 * w).sum(-1)) < 1e-12);
        QVERIFY_EXCEPTION_THROWN(weightedRowSums(narrowed, w.narrow(0, 0, 15)), c10::Error);
    }

    void productKernelsAreNamed() {
        const std::string kernels = productKernels();
        const char* wanted = std::getenv("RINGSCOPE_GEMM");
        if (wanted && std::string(wanted) == "blas")
            QCOMPARE(kernels, std::string("BLAS"));
        else
            QVERIFY(kernels.rfind("oneDNN ", 0) == 0 || kernels == "BLAS");
    }

    /// thinLinear against torch's product and its gradients: a product whose rows fill
    /// several blocks, one below a block, a narrowed input (x B^T read out of a wider
    /// tensor) and a gradient that arrives as a narrowed view.
    void thinLinearMatchesMatmul_data() {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("k");
        QTest::addColumn<bool>("narrowed");
        QTest::newRow("x B^T, 8 blocks") << 3200 << 36 << 192 << false;
        QTest::newRow("t A, 5 blocks") << 1300 << 192 << 12 << false;
        QTest::newRow("one block") << 100 << 5 << 24 << false;
        QTest::newRow("narrowed input") << 700 << 12 << 40 << true;
    }
    void thinLinearMatchesMatmul() {
        QFETCH(int, rows);
        QFETCH(int, n);
        QFETCH(int, k);
        QFETCH(bool, narrowed);
        torch::manual_seed(10);
        const torch::Tensor wide = torch::randn({rows / 10, 10, k + 7});
        torch::Tensor x = (narrowed ? wide.narrow(-1, 3, k) : torch::randn({rows / 10, 10, k}))
                              .requires_grad_(!narrowed);
        torch::Tensor xr = x.detach().clone().requires_grad_(true);
        torch::Tensor w = torch::randn({n, k}).requires_grad_(true);
        torch::Tensor wr = w.detach().clone().requires_grad_(true);
        const torch::Tensor y = thinLinear(x, w), yr = torch::matmul(xr, wr.t());
        QCOMPARE(y.sizes(), yr.sizes());
        QVERIFY(maxAbs(y, yr) < 1e-5 * yr.abs().max().item<double>());
        const torch::Tensor g = torch::randn({rows / 10, 10, n + 3}).narrow(-1, 1, n);
        y.backward(g);
        yr.backward(g);
        QVERIFY(maxAbs(w.grad(), wr.grad()) < 1e-5 * wr.grad().abs().max().item<double>());
        if (!narrowed)
            QVERIFY(maxAbs(x.grad(), xr.grad()) < 1e-5 * xr.grad().abs().max().item<double>());
        torch::NoGradGuard noGrad;
        QVERIFY(maxAbs(thinLinear(x, w), yr) < 1e-5 * yr.abs().max().item<double>());
    }

    /// addLowRank against torch's composite (a product per block and a sum), with the
    /// gradients of all three inputs and the norms of base's column blocks: three blocks (q, k, v
    /// signals) read out of a wider low tensor, and one block (the FF signal) over fewer rows than
    /// a row block.
    void addLowRankMatchesComposite_data() {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("blocks");
        QTest::addColumn<int>("r");
        QTest::addColumn<int>("n");
        QTest::newRow("q|k|v") << 1300 << 3 << 12 << 64;
        QTest::newRow("FF, one row block") << 90 << 1 << 5 << 48;
    }
    void addLowRankMatchesComposite() {
        QFETCH(int, rows);
        QFETCH(int, blocks);
        QFETCH(int, r);
        QFETCH(int, n);
        torch::manual_seed(12);
        const torch::Tensor base = leaf(torch::randn({rows / 10, 10, blocks * n}));
        const torch::Tensor wide = leaf(torch::randn({rows / 10, 10, blocks * r + 4}));
        const torch::Tensor a = leaf(torch::randn({blocks, r, n}));
        const torch::Tensor baseR = leaf(base), wideR = leaf(wide), aR = leaf(a);
        torch::Tensor norms; // with a backward recorded: taken apart from the pass
        const torch::Tensor y = addLowRank(base, wide.narrow(-1, 4, blocks * r), a, &norms);
        const torch::Tensor normsR =
            baseR.detach().to(torch::kFloat64).view({rows / 10, 10, blocks, n}).norm(2, -1);
        QCOMPARE(norms.sizes().vec(), (std::vector<int64_t>{rows / 10, 10, blocks}));
        QVERIFY(maxAbs(norms, normsR) < 1e-12 * normsR.max().item<double>());
        std::vector<torch::Tensor> terms;
        for (int g = 0; g < blocks; ++g)
            terms.push_back(torch::matmul(wideR.narrow(-1, 4 + g * r, r), aR[g]));
        const torch::Tensor yr = baseR + torch::cat(terms, -1);
        QVERIFY(maxAbs(y, yr) < 1e-5 * yr.abs().max().item<double>());
        const torch::Tensor g = torch::randn(yr.sizes());
        y.backward(g);
        yr.backward(g);
        QVERIFY(torch::equal(base.grad(), baseR.grad()));
        QVERIFY(maxAbs(wide.grad(), wideR.grad()) < 1e-5 * wideR.grad().abs().max().item<double>());
        QVERIFY(maxAbs(a.grad(), aR.grad()) < 1e-5 * aR.grad().abs().max().item<double>());
        torch::NoGradGuard noGrad;
        QVERIFY(maxAbs(addLowRank(base, wide.narrow(-1, 4, blocks * r), a), yr) <
                1e-5 * yr.abs().max().item<double>());
        torch::Tensor fusedNorms; // summed as the pass copies each row block
        QVERIFY(maxAbs(addLowRank(base, wide.narrow(-1, 4, blocks * r), a, &fusedNorms), yr) <
                1e-5 * yr.abs().max().item<double>());
        QVERIFY(maxAbs(fusedNorms, normsR) < 1e-12 * normsR.max().item<double>());
        QVERIFY_EXCEPTION_THROWN(addLowRank(base, wide, a), c10::Error);
    }

    /// linearLowRank against linear + addLowRank's composite in torch ops: values, the base
    /// norms (without and with a recorded backward) and all five gradients, over more rows
    /// than one block; a bias left out; shapes that do not fit refused.
    void linearLowRankMatchesComposite() {
        torch::manual_seed(13);
        const int64_t rows = 130, k = 40, G = 3, r = 5, n = 24;
        const torch::Tensor x = leaf(torch::randn({rows / 10, 10, k}));
        const torch::Tensor w = leaf(torch::randn({G * n, k}) * 0.2);
        const torch::Tensor b = leaf(torch::randn({G * n}));
        const torch::Tensor t = leaf(torch::randn({rows / 10, 10, G * r}));
        const torch::Tensor a = leaf(torch::randn({G, r, n}));
        const torch::Tensor xR = leaf(x), wR = leaf(w), bR = leaf(b), tR = leaf(t), aR = leaf(a);
        torch::Tensor norms;
        const torch::Tensor y = linearLowRank(x, w, b, t, a, &norms);
        const torch::Tensor baseR = torch::matmul(xR, wR.t()) + bR;
        std::vector<torch::Tensor> terms;
        for (int64_t g = 0; g < G; ++g)
            terms.push_back(torch::matmul(tR.narrow(-1, g * r, r), aR[g]));
        const torch::Tensor yr = baseR + torch::cat(terms, -1);
        const double scale = yr.abs().max().item<double>();
        QVERIFY(maxAbs(y, yr) < 1e-5 * scale);
        const torch::Tensor normsR =
            baseR.detach().to(torch::kFloat64).view({rows / 10, 10, G, n}).norm(2, -1);
        QVERIFY(maxAbs(norms, normsR) < 1e-5 * normsR.max().item<double>());
        const torch::Tensor g = torch::randn(yr.sizes());
        y.backward(g);
        yr.backward(g);
        for (const auto& [got, want] : {std::pair{x, xR}, {w, wR}, {b, bR}, {t, tR}, {a, aR}})
            QVERIFY(maxAbs(got.grad(), want.grad()) <
                    1e-5 * want.grad().abs().max().item<double>());
        torch::NoGradGuard noGrad;
        torch::Tensor fusedNorms; // summed in the pass, before the terms are added in place
        QVERIFY(maxAbs(linearLowRank(x, w, b, t, a, &fusedNorms), yr) < 1e-5 * scale);
        QVERIFY(maxAbs(fusedNorms, normsR) < 1e-5 * normsR.max().item<double>());
        QVERIFY(maxAbs(linearLowRank(x, w, {}, t, a), yr - bR) < 1e-5 * scale);
        QVERIFY_EXCEPTION_THROWN(linearLowRank(x, w, b, t.narrow(-1, 0, G * r - 1), a), c10::Error);
    }

    /// The weight gradient sums fixed row blocks: the same bits on 1 thread as on all.
    void thinLinearIsThreadIndependent() {
        torch::manual_seed(11);
        const torch::Tensor x = torch::randn({3200, 192}), g = torch::randn({3200, 36});
        auto grads = [&] {
            torch::Tensor w = torch::full({36, 192}, 0.5).requires_grad_(true);
            thinLinear(x, w).backward(g);
            return w.grad();
        };
        const torch::Tensor all = grads();
        configureThreads(1);
        const torch::Tensor one = grads();
        configureThreads(0);
        QVERIFY(torch::equal(all, one));
    }

    /// rowNorms against float64 norms: contiguous, a narrowed last dimension read in place
    /// (q of a q|k|v projection), a permuted view (copied first) and a float64 tensor.
    void rowNormsMatchFloat64() {
        torch::manual_seed(8);
        const torch::Tensor qkv = torch::randn({5, 7, 3 * 40}) * 3.0 + 1.0;
        const torch::Tensor q = qkv.narrow(-1, 40, 40), permuted = qkv.permute({1, 0, 2});
        for (const torch::Tensor& x : {qkv, q, permuted, qkv.to(torch::kFloat64)}) {
            const torch::Tensor got = rowNorms(x);
            QCOMPARE(got.scalar_type(), torch::kFloat64);
            QCOMPARE(got.sizes(), x.sizes().slice(0, 2));
            const torch::Tensor expected = x.to(torch::kFloat64).norm(2, -1);
            QVERIFY(((got - expected).abs() / expected).max().item<double>() < 1e-12);
        }
        QCOMPARE(rowNorms(torch::zeros({0, 4})).numel(), int64_t(0));
    }

    /// pairSums against float64 sums, per image.
    void pairSumsMatchFloat64() {
        torch::manual_seed(9);
        const torch::Tensor a = torch::randn({6, 11, 17}), b = a + 0.1 * torch::randn({6, 11, 17});
        const torch::Tensor x = a.to(torch::kFloat64).flatten(1),
                            y = b.to(torch::kFloat64).flatten(1);
        const torch::Tensor expected =
            torch::stack({x.square().sum(1), (x - y).square().sum(1), (x * y).sum(1)}, 1);
        for (const torch::Tensor& got : {pairSums(a, b), pairSums(a.to(torch::kFloat64), b)})
            QVERIFY(((got - expected).abs() / expected.abs()).max().item<double>() < 1e-12);
        QVERIFY_EXCEPTION_THROWN(pairSums(a, b.narrow(0, 0, 3)), c10::Error);
    }

    // The models' fused path (plain trace) and their torch path (taken when an edit may change
    // the maps; here the identity) record the same maps and give the same logits and input
    // gradients. createModel's RingFormer starts with zero signals: its level factors are
    // randomised here so that the signals count.
    void modelPathsAgree_data() {
        QTest::addColumn<int>("family");
        QTest::newRow("vit") << int(Family::ViT);
        QTest::newRow("owf") << int(Family::OWF);
        QTest::newRow("uit") << int(Family::UiT);
        QTest::newRow("ringformer") << int(Family::RingFormer);
    }
    void modelPathsAgree() {
        QFETCH(int, family);
        auto model = createModel(config(Family(family)), 5);
        torch::manual_seed(6);
        {
            torch::NoGradGuard noGrad;
            for (const std::string& name : model->weights().names())
                if (name.find("lev_embed") != std::string::npos)
                    model->weights().at(name).normal_(0.0, 0.05);
        }
        torch::Tensor images = torch::randn({3, 3, 20, 20});
        ForwardTrace fused;
        torch::Tensor inFused = images.clone().requires_grad_(true);
        ForwardOutput a = model->forward(inFused, {}, &fused);
        a.logits.sum().backward();
        ForwardTrace graph;
        graph.editAttention = [](int64_t, const torch::Tensor& p) { return p; };
        torch::Tensor inGraph = images.clone().requires_grad_(true);
        ForwardOutput b = model->forward(inGraph, {}, &graph);
        b.logits.sum().backward();
        QCOMPARE(fused.attention.size(), graph.attention.size());
        for (size_t t = 0; t < fused.attention.size(); ++t)
            QVERIFY(maxAbs(fused.attention[t], graph.attention[t]) < 1e-6);
        QVERIFY(maxAbs(a.logits, b.logits) < 1e-5);
        QVERIFY(maxAbs(inFused.grad(), inGraph.grad()) < 1e-5);
        // Without a trace (a RingFormer then folds its q|k|v signals into the projection's
        // product) the logits and the input gradients are the same.
        torch::Tensor inPlain = images.clone().requires_grad_(true);
        ForwardOutput c = model->forward(inPlain);
        c.logits.sum().backward();
        QVERIFY(maxAbs(a.logits, c.logits) < 1e-5);
        QVERIFY(maxAbs(inFused.grad(), inPlain.grad()) < 1e-5);
    }
};

QTEST_APPLESS_MAIN(TestFastOps)
#include "TestFastOps.moc"
