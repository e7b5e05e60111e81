// The main job: train a multilayer perceptron on Fashion-MNIST and report test accuracy.
//   fashion_mnist [--epochs 10] [--lr 0.1] [--batch-size 128] [--hidden 256,128] ...  (--help)
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "xgrad.hpp"

using namespace xgrad;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
    int epochs = 10;
    double lr = 0.1;
    double momentum = 0.9;
    double weight_decay = 0;
    std::size_t batch_size = 128;
    std::vector<std::size_t> hidden{256, 128};
    std::string activation = "relu";
    std::string optimizer = "sgd";
    std::string schedule = "cosine";
    std::uint64_t seed = 0;
    std::string data_dir = data::fashion_mnist_dir.string();
    std::string output_dir = "fashion_mnist_out";
    std::size_t limit = 0;  // train on the first N samples only (0: all)
    double min_accuracy = 0;
    int checkpoint_every = 1;  // epochs between checkpoints (0: none)
    std::string resume;        // a checkpoint to continue from
    int stop_after = 0;        // stop after this epoch, as if interrupted (0: run to the end)
};

std::unique_ptr<optim::Optimizer> make_optimizer(const Config& c, const std::vector<Tensor>& params) {
    if (c.optimizer == "sgd")
        return std::make_unique<optim::SGD>(params, optim::SGDOptions{.lr = c.lr, .momentum = c.momentum,
                                                                       .weight_decay = c.weight_decay});
    if (c.optimizer == "adam") return std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = c.lr, .weight_decay = c.weight_decay});
    return std::make_unique<optim::AdamW>(params, optim::AdamOptions{.lr = c.lr, .weight_decay = c.weight_decay});
}

std::string duration(double seconds) {
    std::ostringstream s;
    if (seconds >= 60) s << static_cast<int>(seconds) / 60 << "m" << std::setw(2) << std::setfill('0') << static_cast<int>(seconds) % 60 << "s";
    else s << std::fixed << std::setprecision(1) << seconds << "s";
    return s.str();
}

// One line, redrawn in place on a terminal; on a pipe, printed every tenth of the epoch.
class Progress {
public:
    Progress(int epoch, int epochs, std::size_t total) : epoch_(epoch), epochs_(epochs), total_(total), start_(Clock::now()) {}
    void update(std::size_t done, double running_loss, std::size_t examples) {
        const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
        const bool tty = isatty(fileno(stdout));
        if (!tty && done != total_ && done % std::max<std::size_t>(total_ / 10, 1) != 0) return;
        const int width = 30;
        const auto filled = static_cast<int>(width * done / total_);
        std::ostringstream line;
        line << "epoch " << epoch_ << "/" << epochs_ << " [" << std::string(static_cast<std::size_t>(filled), '=')
             << (filled < width ? ">" : "") << std::string(static_cast<std::size_t>(std::max(width - filled - 1, 0)), ' ')
             << "] " << std::setw(4) << done << "/" << total_ << "  loss " << std::fixed << std::setprecision(4)
             << running_loss << "  " << std::setprecision(0) << examples / std::max(elapsed, 1e-9) << " ex/s  "
             << (done < total_ ? "left " + duration(elapsed / done * (total_ - done)) : "took " + duration(elapsed));
        std::cout << (tty ? "\r" : "") << line.str() << (tty && done < total_ ? "" : "\n") << std::flush;
    }

private:
    int epoch_, epochs_;
    std::size_t total_;
    Clock::time_point start_;
};

// rows[i] is epoch first_epoch + i.
void write_history(const std::filesystem::path& dir, int first_epoch, const std::vector<std::array<double, 3>>& rows) {
    std::ostringstream f;
    f << "# epoch\ttrain_loss\ttest_accuracy\n";
    for (std::size_t i = 0; i < rows.size(); ++i)
        f << first_epoch + static_cast<int>(i) << '\t' << rows[i][0] << '\t' << rows[i][2] << '\n';
    write_file_atomically(dir / "history.tsv", f.str(), "history");
}

// Draws loss and accuracy per epoch with gnuplot, when it is installed: the script names only
// files inside the output directory, where gnuplot runs, so no path reaches its command line.
void plot_history(const std::filesystem::path& dir) {
    write_file_atomically(dir / "history.gp",
                          "set terminal svg size 640,360 dynamic font 'sans,12' background rgb 'white'\n"
                          "set output 'history.svg.tmp'\n"
                          "set title 'Fashion-MNIST training'; set xlabel 'epoch'; set ylabel 'train loss'\n"
                          "set y2label 'test accuracy'; set ytics nomirror; set y2tics; set grid; set key center right\n"
                          "plot 'history.tsv' using 1:2 with linespoints lw 2 title 'train loss', \\\n"
                          "     'history.tsv' using 1:3 axes x1y2 with linespoints lw 2 title 'test accuracy'\n",
                          "history");
    const auto status = run_program({"gnuplot", "history.gp"}, {.cwd = dir, .quiet = true});
    if (!status) {
        std::cout << "(gnuplot not found: the per-epoch figures are in " << (dir / "history.tsv").string() << ")\n";
    } else if (*status != 0) {
        remove_quietly(dir / "history.svg.tmp");
        std::cout << "(gnuplot could not draw " << (dir / "history.gp").string() << "; the figures are in history.tsv)\n";
    } else {
        std::filesystem::rename(dir / "history.svg.tmp", dir / "history.svg");
        std::cout << "wrote " << (dir / "history.svg").string() << '\n';
    }
}

// Accuracy on a dataset, in batches of 1,000 (memory stays at one batch's activations).
double test_accuracy(nn::Sequential& model, const data::Dataset& test) {
    NoGradGuard no_grad;
    model.eval();
    data::DataLoader batches(test, {.batch_size = 1000});
    double right = 0;
    for (auto [images, labels] : batches)
        right += data::accuracy(model(images), labels) * static_cast<double>(labels.size());
    return right / static_cast<double>(test.size());
}

// A flag's value as a finite number in [lo, hi]: NaN, infinities, trailing text and values out of
// range are refused by name before anything runs.
CLI::Validator real_in(double lo, double hi) {
    const std::string range = hi == std::numeric_limits<double>::max() ? ">= " + number_str(lo)
                                                                         : "in [" + number_str(lo) + ", " + number_str(hi) + "]";
    return CLI::Validator(
        [lo, hi, range](std::string& text) -> std::string {
            char* end = nullptr;
            errno = 0;
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) return "not a finite number: " + text;
            if (v < lo || v > hi) return "must be " + range + ", got " + text;
            return {};
        },
        "NUMBER " + range);
}

// A flag's value as a whole number in [lo, hi], digits only: "-5" never wraps to 2^64 - 5.
CLI::Validator count_in(std::uint64_t lo, std::uint64_t hi) {
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return CLI::Validator(
        [lo, hi, range](std::string& text) -> std::string {
            if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
                return "not a whole number: " + text;
            errno = 0;
            const std::uint64_t v = std::strtoull(text.c_str(), nullptr, 10);
            if (errno == ERANGE || v < lo || v > hi) return "must be in " + range + ", got " + text;
            return {};
        },
        "INTEGER in " + range);
}

constexpr auto int_max = static_cast<std::uint64_t>(std::numeric_limits<int>::max());
constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();
constexpr double real_max = std::numeric_limits<double>::max();
constexpr std::size_t max_parameters = std::size_t{1} << 28;  // 1 GiB of float32 weights

int run(const Config& c);

}  // namespace

int main(int argc, char** argv) {
    Config c;
    CLI::App app{"Train a multilayer perceptron on Fashion-MNIST with xgrad"};
    app.failure_message([](const CLI::App*, const CLI::Error& e) {
        return "fashion_mnist: " + std::string(e.what()) + " (--help lists the flags)\n";
    });
    app.add_option("--epochs", c.epochs, "passes over the training set")->check(count_in(1, 1000000))->capture_default_str();
    app.add_option("--lr", c.lr, "learning rate")->check(real_in(0, real_max))->capture_default_str();
    app.add_option("--momentum", c.momentum, "SGD momentum")->check(real_in(0, 1))->capture_default_str();
    app.add_option("--weight-decay", c.weight_decay, "L2 penalty (decoupled for adamw)")->check(real_in(0, real_max))
        ->capture_default_str();
    app.add_option("--batch-size", c.batch_size, "samples per step")->check(count_in(1, u64_max))->capture_default_str();
    app.add_option("--hidden", c.hidden, "hidden layer sizes, e.g. 256,128")->delimiter(',')->check(count_in(1, 1 << 20))
        ->capture_default_str();
    app.add_option("--activation", c.activation, "hidden activation")
        ->check(CLI::IsMember({"identity", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "gelu_tanh",
                               "silu", "softplus"}))
        ->capture_default_str();
    app.add_option("--optimizer", c.optimizer, "sgd, adam or adamw")->check(CLI::IsMember({"sgd", "adam", "adamw"}))->capture_default_str();
    app.add_option("--schedule", c.schedule, "learning rate per epoch: cosine (annealed to 0), step (x0.1 every 4), none")
        ->check(CLI::IsMember({"cosine", "step", "none"}))
        ->capture_default_str();
    app.add_option("--seed", c.seed, "seed for initialisation and shuffling")->check(count_in(0, u64_max))->capture_default_str();
    app.add_option("--data-dir", c.data_dir, "directory with the MNIST-format .gz files")->capture_default_str();
    app.add_option("--output-dir", c.output_dir, "where the history and pictures go")->capture_default_str();
    app.add_option("--limit", c.limit, "train on the first N samples only (0: all)")->check(count_in(0, u64_max))
        ->capture_default_str();
    app.add_option("--min-accuracy", c.min_accuracy, "exit with status 1 if the final test accuracy is lower")
        ->check(real_in(0, 1));
    app.add_option("--checkpoint-every", c.checkpoint_every,
                   "write <output-dir>/checkpoint.npz (model, optimizer, schedule, generator, epoch) every N epochs; 0: never")
        ->check(count_in(0, int_max))->capture_default_str();
    app.add_option("--resume", c.resume, "continue the run a checkpoint was written by (same flags otherwise)")
        ->check(CLI::ExistingFile);
    app.add_option("--stop-after", c.stop_after, "stop after this epoch as if interrupted (resume later)")
        ->check(count_in(0, int_max));
    CLI11_PARSE(app, argc, argv);
    try {
        return run(c);
    } catch (const std::exception& e) {  // one line, whatever failed: a file, memory, a library check
        std::string message = e.what();
        std::replace(message.begin(), message.end(), '\n', ' ');
        std::cerr << "fashion_mnist: " << message << '\n';
        return 2;
    }
}

namespace {

[[noreturn]] void refuse(const std::string& why) { throw std::runtime_error(why); }

// The output directory, made if missing, and proved writable before any training.
void prepare_output_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir))
        refuse("--output-dir " + dir.string() + ": cannot make a directory there (" +
               (ec ? ec.message() : std::string("a file has that name")) + ")");
    const auto probe = dir / ".fashion_mnist_write_test";
    try {
        write_file_atomically(probe, std::string(4096, 'x'), "--output-dir");
    } catch (const std::runtime_error&) {
        refuse("--output-dir " + dir.string() + ": cannot write there (read-only or full)");
    }
    remove_quietly(probe);
}

data::Dataset load(const Config& c, data::Split split) {
    data::Dataset set = data::load_mnist(c.data_dir, split);
    if (set.size() == 0)
        refuse("--data-dir " + c.data_dir + ": the " + (split == data::Split::train ? "training" : "test") + " set is empty");
    return set;
}

int run(const Config& c) {
    data::Dataset train = load(c, data::Split::train);
    data::Dataset test = load(c, data::Split::test);
    if (test.sample_shape() != train.sample_shape())
        refuse("--data-dir " + c.data_dir + ": test images are " + shape_str(test.sample_shape()) +
               " but training images are " + shape_str(train.sample_shape()));

    if (c.limit > 0 && c.limit < train.size()) {
        std::vector<std::size_t> first(c.limit);
        std::iota(first.begin(), first.end(), std::size_t{0});
        train = train.subset(first);
    }

    manual_seed(c.seed);
    std::vector<std::size_t> sizes{train.sample_shape()[0]};
    sizes.insert(sizes.end(), c.hidden.begin(), c.hidden.end());
    sizes.push_back(10);
    std::size_t parameters = 0;
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) parameters += (sizes[i] + 1) * sizes[i + 1];
    if (parameters > max_parameters)
        refuse("--hidden: the model would have " + std::to_string(parameters) + " parameters, more than the " +
               std::to_string(max_parameters) + " this example trains");
    prepare_output_dir(c.output_dir);
    nn::Sequential model = nn::MLP(sizes, c.activation);
    auto opt = make_optimizer(c, model.parameters());
    std::optional<optim::CosineAnnealingLR> cosine;
    std::optional<optim::StepLR> step_lr;
    if (c.schedule == "cosine") cosine.emplace(*opt, c.epochs);
    if (c.schedule == "step") step_lr.emplace(*opt, 4, 0.1);
    data::DataLoader loader(train, {.batch_size = c.batch_size, .shuffle = true, .seed = c.seed});
    optim::LRScheduler* scheduler = cosine ? static_cast<optim::LRScheduler*>(&*cosine) : step_lr ? &*step_lr : nullptr;
    int done = 0;  // epochs already trained
    if (!c.resume.empty()) {
        std::int64_t epochs_done = 0;
        try {
            epochs_done = nn::load_checkpoint(c.resume, model, *opt, scheduler);
        } catch (const std::exception& e) {
            refuse(std::string(e.what()) + " (resume with the flags of the run that wrote it)");
        }
        if (epochs_done < 0 || epochs_done > c.epochs)
            refuse("--resume " + c.resume + ": the checkpoint is after epoch " + std::to_string(epochs_done) +
                   ", outside this run's 0 to --epochs " + std::to_string(c.epochs));
        done = static_cast<int>(epochs_done);
        loader.set_epoch(static_cast<std::uint64_t>(done));
        std::cout << "resumed from " << c.resume << " after epoch " << done << "\n";
    }
    const auto checkpoint_path = std::filesystem::path(c.output_dir) / "checkpoint.npz";

    std::cout << "Fashion-MNIST: " << train.size() << " training and " << test.size() << " test images\n"
              << "model: " << model << "\n"
              << "optimizer: " << c.optimizer << " lr " << c.lr << (c.optimizer == "sgd" ? " momentum " + number_str(c.momentum) : "")
              << ", " << c.schedule << " schedule, batch " << c.batch_size << ", " << c.epochs << " epochs, seed " << c.seed << "\n\n";

    std::vector<std::array<double, 3>> history;
    double accuracy = 0;
    const auto run_start = Clock::now();
    for (int epoch = done + 1; epoch <= c.epochs; ++epoch) {
        model.train();
        Progress progress(epoch, c.epochs, loader.batches());
        double loss_sum = 0;
        std::size_t seen = 0, step = 0;
        const auto epoch_start = Clock::now();
        for (auto [images, labels] : loader) {
            Tensor loss = nn::cross_entropy(model(images), labels);
            opt->zero_grad();
            loss.backward();
            opt->step();
            if (!std::isfinite(loss.item())) {
                std::cout << '\n';
                refuse("the training loss became " + number_str(loss.item()) + " at epoch " + std::to_string(epoch) +
                       ", step " + std::to_string(step + 1) + ": training diverged (try a lower --lr)");
            }
            loss_sum += loss.item() * static_cast<double>(labels.size());
            seen += labels.size();
            progress.update(++step, loss_sum / static_cast<double>(seen), seen);
        }
        const double epoch_seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
        if (cosine) cosine->step();
        if (step_lr) step_lr->step();
        accuracy = test_accuracy(model, test);
        history.push_back({loss_sum / static_cast<double>(seen), epoch_seconds, accuracy});
        std::cout << "epoch " << epoch << ": train loss " << std::fixed << std::setprecision(4) << history.back()[0]
                  << ", test accuracy " << std::setprecision(2) << 100 * accuracy << "%, " << duration(epoch_seconds)
                  << "\n";
        const bool stopping = epoch == c.stop_after && epoch < c.epochs;
        if (stopping || (c.checkpoint_every > 0 && (epoch % c.checkpoint_every == 0 || epoch == c.epochs)))
            nn::save_checkpoint(checkpoint_path, model, *opt, epoch, scheduler);
        if (stopping) {
            std::cout << "stopped after epoch " << epoch << " as asked; continue with --resume " << checkpoint_path.string()
                      << '\n';
            write_history(c.output_dir, done + 1, history);
            return 0;
        }
    }
    const double total = std::chrono::duration<double>(Clock::now() - run_start).count();
    if (history.empty()) accuracy = test_accuracy(model, test);  // resumed after the last epoch
    // the model first: nothing after it (a diagram, a picture) can lose it
    const auto model_path = std::filesystem::path(c.output_dir) / "model.npz";
    nn::save(model, model_path);
    std::cout << "saved the parameters to " << model_path.string() << " (numpy.load opens it)\n";
    write_history(c.output_dir, done + 1, history);
    {
        // the graph of one training step on 128 test images, gradients coloured
        model.train();
        const data::Batch batch = test.batch([] {
            std::vector<std::size_t> first(128);
            std::iota(first.begin(), first.end(), std::size_t{0});
            return first;
        }());
        Tensor loss = nn::cross_entropy(model(batch.inputs), batch.labels);
        loss.backward({.retain_graph = true, .record_grad_norms = true});
        std::cout << "diagram: "
                  << write_graph(loss, std::filesystem::path(c.output_dir) / "graph.svg",
                                 {.show_grads = true, .names = model.named_parameters()})
                  << '\n';
        model.zero_grad();
    }
    plot_history(c.output_dir);
    std::cout << "\nfinal test accuracy " << std::fixed << std::setprecision(2) << 100 * accuracy << "% after "
              << c.epochs << " epochs in " << duration(total) << " ("
              << duration(total / std::max(1, c.epochs - done)) << " per epoch)\n";
    if (accuracy < c.min_accuracy) {
        std::cerr << "fashion_mnist: accuracy " << accuracy << " is below --min-accuracy " << c.min_accuracy << '\n';
        return 1;
    }
    return 0;
}

}  // namespace
