#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"
#include "ops/loss.hpp"

namespace xgrad::data {

/// Samples for classification: inputs (N, ...) and one class label per sample.
struct Dataset {
    Tensor inputs;
    Labels labels;

    /// Throws ShapeError unless inputs has at least one dimension of extent labels.size().
    Dataset(Tensor inputs, Labels labels);
    std::size_t size() const { return labels.size(); }
    /// The samples at these indices, in order (a copy). Throws std::out_of_range.
    Dataset subset(const std::vector<std::size_t>& indices) const;
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
    /// Throws std::invalid_argument for a batch size of 0.
    DataLoader(const Dataset& dataset, DataLoaderOptions options);

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

private:
    const Dataset& dataset_;
    DataLoaderOptions options_;
    std::uint64_t epoch_ = 0;
};

/// Fraction of rows of logits (N, C) whose largest entry is at the label. Throws ShapeError.
double accuracy(const Tensor& logits, const Labels& labels);
/// counts(true class, predicted class) for logits (N, C).
xt::xarray<std::size_t> confusion_matrix(const Tensor& logits, const Labels& labels);

}  // namespace xgrad::data
