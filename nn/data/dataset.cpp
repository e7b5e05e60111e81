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

Dataset Dataset::from_bytes(std::vector<std::uint8_t> bytes, const Shape& sample_shape, Labels labels,
                            float divisor) {
    if (!(divisor > 0))
        throw std::invalid_argument("Dataset::from_bytes: divisor must be positive, got " + number_str(divisor));
    std::size_t per_sample = 1;
    for (auto e : sample_shape) per_sample *= e;
    if (per_sample == 0 || bytes.size() / per_sample != labels.size() || bytes.size() % per_sample != 0)
        throw ShapeError("Dataset::from_bytes: " + std::to_string(bytes.size()) + " bytes do not hold one sample of " +
                         shape_str(sample_shape) + " per label (" + std::to_string(labels.size()) + " labels)");
    Dataset d;
    d.labels = std::move(labels);
    d.bytes_ = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
    d.sample_shape_ = sample_shape;
    d.divisor_ = divisor;
    auto values = std::make_shared<std::array<float, 256>>();
    for (int b = 0; b < 256; ++b) (*values)[static_cast<std::size_t>(b)] = static_cast<float>(b) / divisor;
    d.values_ = std::move(values);
    return d;
}

Shape Dataset::sample_shape() const {
    if (bytes_) return sample_shape_;
    return Shape(inputs.shape().begin() + 1, inputs.shape().end());
}

namespace {

void check_indices(const char* what, const std::vector<std::size_t>& indices, std::size_t n) {
    for (auto i : indices)
        if (i >= n)
            throw std::out_of_range(std::string(what) + ": index " + std::to_string(i) + " out of range for " +
                                    std::to_string(n) + " samples");
}

Labels pick(const Labels& labels, const std::vector<std::size_t>& indices) {
    Labels picked;
    picked.reserve(indices.size());
    for (auto i : indices) picked.push_back(labels[i]);
    return picked;
}

// Shape (count, sample...).
Shape batch_shape(std::size_t count, const Shape& sample) {
    Shape shape{count};
    shape.insert(shape.end(), sample.begin(), sample.end());
    return shape;
}

}  // namespace

Tensor Dataset::features() const {
    if (!bytes_) return inputs;
    std::vector<std::size_t> all(size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    return batch(all).inputs;
}

Dataset Dataset::subset(const std::vector<std::size_t>& indices) const {
    check_indices("Dataset::subset", indices, size());
    if (!bytes_) {
        Batch b = batch(indices);
        return Dataset(std::move(b.inputs), std::move(b.labels));
    }
    const std::size_t row = bytes_->size() / std::max<std::size_t>(size(), 1);
    std::vector<std::uint8_t> picked(indices.size() * row);
    for (std::size_t k = 0; k < indices.size(); ++k)
        std::copy_n(bytes_->data() + indices[k] * row, row, picked.data() + k * row);
    return from_bytes(std::move(picked), sample_shape_, pick(labels, indices), divisor_);
}

Batch Dataset::batch(const std::vector<std::size_t>& indices) const {
    check_indices("Dataset::batch", indices, size());
    const Shape shape = batch_shape(indices.size(), sample_shape());
    if (bytes_) {
        const std::size_t row = bytes_->size() / std::max<std::size_t>(size(), 1);
        Values<float> out = Values<float>::from_shape(shape);
        const float* value = values_->data();
        for (std::size_t k = 0; k < indices.size(); ++k) {
            const std::uint8_t* src = bytes_->data() + indices[k] * row;
            float* dst = out.data() + k * row;
            for (std::size_t j = 0; j < row; ++j) dst[j] = value[src[j]];
        }
        return {Tensor(std::move(out)), pick(labels, indices)};
    }
    const std::size_t row = size() ? inputs.numel() / size() : 0;
    Array values = std::visit([&](const auto& a) -> Array {
        using T = typename std::decay_t<decltype(a)>::value_type;
        Values<T> out = Values<T>::from_shape(shape);
        for (std::size_t k = 0; k < indices.size(); ++k)
            std::copy_n(a.data() + indices[k] * row, row, out.data() + k * row);
        return out;
    }, inputs.array());
    return {Tensor(std::move(values)), pick(labels, indices)};
}

DataLoader::DataLoader(Dataset dataset, DataLoaderOptions options) : dataset_(std::move(dataset)), options_(options) {
    if (options.batch_size == 0) throw std::invalid_argument("DataLoader: batch_size must be positive");
}

std::size_t DataLoader::batches() const {
    const std::size_t n = dataset_.size(), b = options_.batch_size;
    return n / b + (!options_.drop_last && n % b != 0);  // never n + b - 1: it overflows for a huge b
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
    return loader_->dataset_.batch({order_->begin() + static_cast<std::ptrdiff_t>(first),
                                    order_->begin() + static_cast<std::ptrdiff_t>(last)});
}

double accuracy(const Tensor& logits, const Labels& labels) {
    if (logits.dim() != 2 || logits.shape()[0] != labels.size())
        throw ShapeError("accuracy: expected logits (N, classes) for " + std::to_string(labels.size()) +
                         " labels, got " + shape_str(logits.shape()));
    check_label_range("accuracy", labels, logits.shape()[1]);
    if (labels.empty()) return 0.0;
    const auto predicted = argmax(logits, 1).data<std::int64_t>();
    std::size_t right = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) right += predicted(i) == labels[i];
    return static_cast<double>(right) / static_cast<double>(labels.size());
}

xt::xarray<std::size_t> confusion_matrix(const Tensor& logits, const Labels& labels) {
    if (logits.dim() != 2 || logits.shape()[0] != labels.size())
        throw ShapeError("confusion_matrix: expected logits (N, classes) for " + std::to_string(labels.size()) +
                         " labels, got " + shape_str(logits.shape()));
    const std::size_t c = logits.shape()[1];
    check_label_range("confusion_matrix", labels, c);
    xt::xarray<std::size_t> counts = xt::zeros<std::size_t>({c, c});
    const auto predicted = argmax(logits, 1).data<std::int64_t>();
    for (std::size_t i = 0; i < labels.size(); ++i) ++counts(static_cast<std::size_t>(labels[i]), static_cast<std::size_t>(predicted(i)));
    return counts;
}

}  // namespace xgrad::data
