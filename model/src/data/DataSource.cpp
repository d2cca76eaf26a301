#include "ringscope/model/data/DataSource.h"

#include "ringscope/model/data/CifarDataset.h"
#include "ringscope/model/core/Error.h"
#include "ringscope/model/data/FolderDataset.h"
#include "ringscope/model/data/IdxDataset.h"
#include "ringscope/model/io/Npy.h"

#include <ATen/Parallel.h>

namespace ringscope {
namespace {

bool startsWith(const std::string& s, const std::string& p) {
    return s.rfind(p, 0) == 0;
}

/// Splits "DIR:split" into DIR and split when it ends with ":train" or ":test".
std::pair<std::string, std::string> splitSuffix(const std::string& rest) {
    for (const char* s : {":train", ":test"}) {
        const std::string suffix(s);
        if (rest.size() > suffix.size() &&
            rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0)
            return {rest.substr(0, rest.size() - suffix.size()), suffix.substr(1)};
    }
    return {rest, "test"};
}

torch::Tensor npyBatch(const std::string& file) {
    torch::Tensor x = loadNpy(file);
    if (x.dim() != 4)
        throw FileFormatError(file, "expected a batch [B, C, H, W], got " +
                                        std::to_string(x.dim()) + " dimensions");
    if (!x.is_floating_point()) throw FileFormatError(file, "expected float32 values");
    return x.to(torch::kFloat32).contiguous();
}

} // namespace

std::string DataSource::description() const {
    if (dataset) return dataset->description();
    return spec + " (" + std::to_string(size()) + " inputs)";
}

DataSource openDataSource(const std::string& spec) {
    DataSource src;
    src.spec = spec;
    if (startsWith(spec, "npy:")) {
        src.npyBatch = npyBatch(spec.substr(4));
    } else if (startsWith(spec, "folder:")) {
        src.dataset = std::make_unique<FolderDataset>(spec.substr(7));
    } else if (spec == "fashion-mnist" || startsWith(spec, "fashion-mnist:")) {
        const std::string split = spec == "fashion-mnist" ? "test" : spec.substr(14);
        src.dataset = loadFashionMnist(split);
    } else if (startsWith(spec, "idx:")) {
        const std::string rest = spec.substr(4);
        const size_t comma = rest.find(',');
        if (comma == std::string::npos)
            throw RingScopeError("data source '" + spec + "': expected idx:IMAGES,LABELS");
        src.dataset = loadIdxDataset(rest.substr(0, comma), rest.substr(comma + 1));
    } else if (startsWith(spec, "cifar:")) {
        auto [dir, split] = splitSuffix(spec.substr(6));
        src.dataset = loadCifar(dir, split);
    } else {
        throw RingScopeError("unknown data source '" + spec +
                             "' (use npy:FILE, folder:DIR, fashion-mnist[:test|train], "
                             "idx:IMAGES,LABELS or cifar:DIR)");
    }
    return src;
}

Batch makeBatch(const Dataset& dataset, const std::vector<int64_t>& indices, const InputSpec& spec,
                const SampleTransform& transform, bool parallel) {
    const int64_t n = int64_t(indices.size());
    std::vector<torch::Tensor> images(static_cast<size_t>(n));
    std::vector<int64_t> labels(static_cast<size_t>(n), int64_t(-1));
    std::vector<std::string> errors(static_cast<size_t>(n));
    auto fill = [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            try {
                const int64_t index = indices[size_t(i)];
                Sample s = dataset.get(index);
                images[size_t(i)] =
                    preprocessImage(transform ? transform(s.image, index) : s.image, spec);
                labels[size_t(i)] = s.label;
            } catch (const std::exception& e) {
                errors[size_t(i)] = *e.what() ? e.what() : "unreadable image";
            }
        }
    };
    if (parallel)
        at::parallel_for(0, n, 1, fill);
    else
        fill(0, n);
    Batch b;
    std::vector<torch::Tensor> kept;
    std::vector<int64_t> keptLabels;
    for (int64_t i = 0; i < n; ++i) {
        if (!errors[size_t(i)].empty()) {
            b.skipped.push_back(errors[size_t(i)]);
            continue;
        }
        kept.push_back(images[size_t(i)]);
        keptLabels.push_back(labels[size_t(i)]);
        b.indices.push_back(indices[size_t(i)]);
    }
    b.images =
        kept.empty() ? torch::empty({0, spec.channels, spec.size, spec.size}) : torch::stack(kept);
    b.labels = torch::tensor(keptLabels, torch::kInt64);
    return b;
}

} // namespace ringscope
