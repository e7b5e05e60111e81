#include "nn/data/dataset.hpp"

#include <algorithm>
#include <numeric>
#include <random>

#include "ops/reduce.hpp"

namespace xgrad::data {

Dataset::Dataset(Tensor in, Labels lab) : inputs(std::move(in)), labels(std::move(lab)) {
    if (inputs.dim() == 0 || inputs.shape()[0] != labels.size())
        throw ShapeError("Dataset: inputs " + shape_str(inputs.shape()) + " do not hold one sample per label (" +
                         std::to_string(labels.size()) + " labels)");
}

Dataset Dataset::subset(const std::vector<std::size_t>& indices) const {
    const std::size_t row = size() ? inputs.numel() / size() : 0;
    Shape shape = inputs.shape();
    shape[0] = indices.size();
    Labels picked;
    picked.reserve(indices.size());
    for (auto i : indices) {
        if (i >= size())
            throw std::out_of_range("Dataset::subset: index " + std::to_string(i) + " out of range for " +
                                    std::to_string(size()) + " samples");
        picked.push_back(labels[i]);
    }
    Array values = std::visit([&](const auto& a) -> Array {
        using T = typename std::decay_t<decltype(a)>::value_type;
        Values<T> out = Values<T>::from_shape(shape);
        for (std::size_t k = 0; k < indices.size(); ++k)
            std::copy_n(a.data() + indices[k] * row, row, out.data() + k * row);
        return out;
    }, inputs.array());
    return Dataset(Tensor(std::move(values)), std::move(picked));
}

DataLoader::DataLoader(const Dataset& dataset, DataLoaderOptions options) : dataset_(dataset), options_(options) {
    if (options.batch_size == 0) throw std::invalid_argument("DataLoader: batch_size must be positive");
}

std::size_t DataLoader::batches() const {
    const std::size_t n = dataset_.size(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::iterator DataLoader::begin() {
    std::vector<std::size_t> order(dataset_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    if (options_.shuffle) {
        std::mt19937_64 gen(options_.seed + epoch_);
        std::shuffle(order.begin(), order.end(), gen);
    }
    ++epoch_;
    return iterator(this, std::move(order), 0);
}

Batch DataLoader::iterator::operator*() const {
    const std::size_t b = loader_->options_.batch_size;
    const std::size_t first = batch_ * b, last = std::min(first + b, order_->size());
    Dataset part = loader_->dataset_.subset({order_->begin() + static_cast<std::ptrdiff_t>(first),
                                             order_->begin() + static_cast<std::ptrdiff_t>(last)});
    return {std::move(part.inputs), std::move(part.labels)};
}

double accuracy(const Tensor& logits, const Labels& labels) {
    if (logits.dim() != 2 || logits.shape()[0] != labels.size())
        throw ShapeError("accuracy: expected logits (N, classes) for " + std::to_string(labels.size()) +
                         " labels, got " + shape_str(logits.shape()));
    if (labels.empty()) return 0.0;
    auto predicted = argmax(logits, 1);
    std::size_t right = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) right += predicted(i) == static_cast<std::size_t>(labels[i]);
    return static_cast<double>(right) / static_cast<double>(labels.size());
}

xt::xarray<std::size_t> confusion_matrix(const Tensor& logits, const Labels& labels) {
    if (logits.dim() != 2 || logits.shape()[0] != labels.size())
        throw ShapeError("confusion_matrix: expected logits (N, classes) for " + std::to_string(labels.size()) +
                         " labels, got " + shape_str(logits.shape()));
    const std::size_t c = logits.shape()[1];
    xt::xarray<std::size_t> counts = xt::zeros<std::size_t>({c, c});
    auto predicted = argmax(logits, 1);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0 || static_cast<std::size_t>(labels[i]) >= c)
            throw std::invalid_argument("confusion_matrix: label " + std::to_string(labels[i]) + " at position " +
                                        std::to_string(i) + " is out of range for " + std::to_string(c) + " classes");
        ++counts(static_cast<std::size_t>(labels[i]), predicted(i));
    }
    return counts;
}

}  // namespace xgrad::data
