#include "ringscope/model/Classification.h"

#include "ringscope/model/data/ImageTensor.h"

#include <algorithm>
#include <numeric>

namespace ringscope {

torch::Tensor classifyImages(const VisionModel& model, const InputSpec& spec,
                             const std::vector<const cv::Mat*>& images, int64_t batch,
                             const RunControl& control, const ForwardOptions& forward) {
    const int64_t n = int64_t(images.size());
    batch = std::max<int64_t>(1, batch);
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> probabilities;
    for (int64_t start = 0; start < n; start += batch) {
        if (control.cancelled()) return {};
        std::vector<torch::Tensor> inputs;
        for (int64_t i = start; i < std::min(n, start + batch); ++i) {
            try {
                inputs.push_back(preprocessImage(*images[size_t(i)], spec));
            } catch (const std::exception& e) {
                throw UnusableImageError(i, e.what());
            }
        }
        const torch::Tensor logits = model.forward(torch::stack(inputs), forward).logits;
        probabilities.push_back(torch::softmax(logits.to(torch::kFloat64), -1));
        control.report(std::min(n, start + batch), n);
    }
    if (probabilities.empty()) return torch::zeros({0, model.config().classes}, torch::kFloat64);
    return torch::cat(probabilities);
}

namespace {

template <class Name>
std::vector<ClassScore> rank(const std::vector<double>& p, int64_t k, const Name& name) {
    std::vector<int64_t> order(p.size());
    std::iota(order.begin(), order.end(), int64_t(0));
    k = std::clamp<int64_t>(k, 0, int64_t(p.size()));
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
        return p[size_t(a)] > p[size_t(b)] || (p[size_t(a)] == p[size_t(b)] && a < b);
    });
    std::vector<ClassScore> out;
    for (int64_t i = 0; i < k; ++i) {
        const int64_t c = order[size_t(i)];
        out.push_back({c, name(c), p[size_t(c)]});
    }
    return out;
}

} // namespace

std::vector<ClassScore> topClasses(const std::vector<double>& p, int64_t k,
                                   const ModelMetadata& metadata) {
    return rank(p, k, [&](int64_t c) { return metadata.className(c); });
}

std::vector<ClassScore> topClasses(const std::vector<double>& p, int64_t k,
                                   const std::vector<std::string>& names) {
    return rank(p, k, [&](int64_t c) {
        return size_t(c) < names.size() ? names[size_t(c)] : "class " + std::to_string(c);
    });
}

std::vector<ClassScore> topClasses(const torch::Tensor& probabilities, int64_t k,
                                   const ModelMetadata& metadata) {
    const torch::Tensor c = probabilities.to(torch::kFloat64).contiguous().reshape({-1});
    return topClasses(std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel()),
                      k, metadata);
}

nlohmann::json toJson(const std::vector<ClassScore>& scores) {
    nlohmann::json out = nlohmann::json::array();
    for (const ClassScore& s : scores)
        out.push_back({{"class", s.index}, {"name", s.name}, {"probability", s.probability}});
    return out;
}

int64_t ClassificationRun::disagreements() const {
    if (models.size() < 2) return 0;
    int64_t n = 0;
    const int64_t rows = models.front().probabilities.size(0);
    std::vector<torch::Tensor> best;
    for (const Model& m : models)
        best.push_back(m.probabilities.argmax(1).contiguous());
    for (int64_t r = 0; r < rows; ++r) {
        const std::string& first = models[0].classNames[size_t(best[0].data_ptr<int64_t>()[r])];
        for (size_t m = 1; m < models.size(); ++m)
            if (models[m].classNames[size_t(best[m].data_ptr<int64_t>()[r])] != first) {
                ++n;
                break;
            }
    }
    return n;
}

} // namespace ringscope
