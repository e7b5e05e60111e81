#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "autograd/tensor.hpp"
#include "ops/loss.hpp"

namespace xgrad::data {

struct Batch;

/// Samples for classification: inputs (N, ...) and one class label per sample. The inputs are a
/// float tensor, or bytes (from_bytes: images as their files hold them, a quarter of float32's
/// memory) that batches and features() convert to float32.
struct Dataset {
    Tensor inputs;  ///< float samples (N, ...); undefined for a dataset of bytes (use features())
    Labels labels;

    /// Throws ShapeError unless inputs has at least one dimension of extent labels.size().
    Dataset(Tensor inputs, Labels labels);
    /// Samples of `sample_shape` stored as bytes, sample after sample; an input value is
    /// byte / divisor in float32 (255: [0, 1] as PyTorch's ToTensor). Throws ShapeError unless
    /// the bytes hold one sample per label, std::invalid_argument for a divisor that is not > 0.
    static Dataset from_bytes(std::vector<std::uint8_t> bytes, const Shape& sample_shape, Labels labels,
                              float divisor);

    std::size_t size() const { return labels.size(); }
    /// The shape of one sample, e.g. (784).
    Shape sample_shape() const;
    /// True for a dataset of bytes (from_bytes).
    bool holds_bytes() const { return bytes_ != nullptr; }
    /// All inputs as one float tensor (N, ...): `inputs`, or the bytes converted (a new tensor).
    Tensor features() const;
    /// The samples at these indices, in order (a copy, in the same storage). Throws std::out_of_range.
    Dataset subset(const std::vector<std::size_t>& indices) const;
    /// The samples at these indices, in order, with float inputs (B, ...). Throws std::out_of_range.
    Batch batch(const std::vector<std::size_t>& indices) const;

private:
    Dataset() = default;
    std::shared_ptr<const std::vector<std::uint8_t>> bytes_;
    Shape sample_shape_;
    float divisor_ = 1;
    std::shared_ptr<const std::array<float, 256>> values_;  // byte -> float, computed once
};

/// One batch: inputs (B, ...) and their labels.
struct Batch {
    Tensor inputs;
    Labels labels;
};

struct DataLoaderOptions {
    std::size_t batch_size = 1;
    bool shuffle = false;
    std::uint64_t seed = 0;   ///< epoch e shuffles with seed + e: reproducible, different each epoch
    bool drop_last = false;   ///< drop a last batch smaller than batch_size
};

/// Iterates over a dataset in batches: `for (auto [x, y] : loader)`. Each full iteration is one
/// epoch; with shuffle, each epoch draws a new order.
class DataLoader {
public:
    /// Keeps its own Dataset (a copy shares the inputs' storage; a temporary is moved in), so a
    /// loader over `load_mnist(...)` is safe. Throws std::invalid_argument for a batch size of 0.
    DataLoader(Dataset dataset, DataLoaderOptions options);

    class iterator {
    public:
        Batch operator*() const;
        iterator& operator++() {
            ++batch_;
            return *this;
        }
        bool operator!=(const iterator& other) const { return batch_ != other.batch_; }

    private:
        friend class DataLoader;
        iterator(const DataLoader* loader, std::vector<std::size_t> order, std::size_t batch)
            : loader_(loader), order_(std::make_shared<std::vector<std::size_t>>(std::move(order))), batch_(batch) {}
        const DataLoader* loader_;
        std::shared_ptr<std::vector<std::size_t>> order_;
        std::size_t batch_;
    };

    /// Starts an epoch (shuffling if asked).
    iterator begin();
    iterator end() const { return iterator(this, {}, batches()); }
    /// Batches per epoch.
    std::size_t batches() const;
    /// Epochs started so far; the next begin() shuffles with seed + epoch().
    std::uint64_t epoch() const { return epoch_; }
    /// Makes the next begin() draw epoch `e`'s order (to resume a run from a checkpoint).
    void set_epoch(std::uint64_t e) { epoch_ = e; }
    const Dataset& dataset() const { return dataset_; }

private:
    Dataset dataset_;
    DataLoaderOptions options_;
    std::uint64_t epoch_ = 0;
};

/// Fraction of rows of logits (N, C) whose largest entry is at the label. Throws ShapeError.
double accuracy(const Tensor& logits, const Labels& labels);
/// counts(true class, predicted class) for logits (N, C).
xt::xarray<std::size_t> confusion_matrix(const Tensor& logits, const Labels& labels);

}  // namespace xgrad::data
