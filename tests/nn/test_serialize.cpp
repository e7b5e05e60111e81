#include "helpers.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

using namespace xgrad;
namespace fs = std::filesystem;

namespace {

fs::path temp_path(const std::string& name) {
    auto dir = fs::temp_directory_path() / ("xgrad_npz_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir / name;
}

// A zip holding one entry with these exact bytes, stored or deflated.
void write_zip(const fs::path& path, const std::string& entry, const std::string& bytes, bool deflate = false) {
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    REQUIRE(z);
    const zip_int64_t index = zip_file_add(z, entry.c_str(), zip_source_buffer(z, bytes.data(), bytes.size(), 0), 0);
    REQUIRE(index >= 0);
    if (deflate) REQUIRE(zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 1) == 0);
    REQUIRE(zip_close(z) == 0);
}

std::string npy(const std::string& dict, std::size_t data_bytes) {
    std::string header = dict;
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string out = std::string("\x93NUMPY\x01", 7) + '\0' + static_cast<char>(header.size()) + '\0' + header;
    return out + std::string(data_bytes, '\0');
}

}  // namespace

TEST_CASE("save and load a model's parameters", "[serialize]") {
    const auto path = temp_path("model.npz");
    manual_seed(1);
    auto a = nn::MLP({4, 5, 3}, "prelu");
    nn::save(a, path);
    CHECK(fs::exists(path));
    CHECK_FALSE(fs::exists(path.string() + ".tmp"));
    manual_seed(2);
    auto b = nn::MLP({4, 5, 3}, "prelu");
    CHECK_FALSE((a.parameters()[0].data<float>() == b.parameters()[0].data<float>()));
    nn::load(b, path);
    for (std::size_t i = 0; i < a.parameters().size(); ++i)
        CHECK((a.parameters()[i].data<float>() == b.parameters()[i].data<float>()));

    auto stored = nn::load_npz(path);
    REQUIRE(stored.size() == 5);
    CHECK(stored[0].first == "0.weight");
    CHECK(stored[0].second.shape() == Shape{5, 4});
    CHECK(stored[2].first == "1.weight");  // the PReLU slope
    CHECK(stored[2].second.shape() == Shape{1});
}

TEST_CASE("npz round trip keeps dtype, shape and values, saving over an old file", "[serialize]") {
    const auto path = temp_path("tensors.npz");
    auto d = Tensor::from({1.5, -2.25, 3, 4, 5, 6}, {3, 2}, {.dtype = float64});
    auto s = Tensor::scalar(7);
    auto e = Tensor::zeros({0, 3});
    nn::save_npz(path, {{"old", s}});
    nn::save_npz(path, {{"d", d}, {"s", s}, {"e", e}});
    auto back = nn::load_npz(path);
    REQUIRE(back.size() == 3);
    CHECK(back[0].second.dtype() == float64);
    CHECK((back[0].second.data<double>() == d.data<double>()));
    CHECK(back[1].second.dim() == 0);
    CHECK(back[1].second.item() == 7.0);
    CHECK(back[2].second.shape() == Shape{0, 3});
}

TEST_CASE("load says exactly what does not match, and changes nothing", "[serialize][errors]") {
    const auto path = temp_path("other.npz");
    nn::save(nn::MLP({4, 6, 3}), path);
    auto model = nn::MLP({4, 5, 3, 2});
    const auto before = model.parameters()[0].data<float>();
    CHECK_THROWS_WITH(nn::load(model, path),
                      "load: " + path.string() + " does not match the model:\n"
                      "  '0.weight' has shape (6, 4) in the file, (5, 4) in the model\n"
                      "  '0.bias' has shape (6) in the file, (5) in the model\n"
                      "  '2.weight' has shape (3, 6) in the file, (3, 5) in the model\n"
                      "  missing '4.weight'\n"
                      "  missing '4.bias'");
    CHECK((model.parameters()[0].data<float>() == before));
    auto f64 = nn::MLP({4, 6, 3}, "relu", float64);
    CHECK_THROWS_WITH(nn::load(f64, path), Catch::Contains("'0.weight' is float32 in the file, float64 in the model"));
    nn::save_npz(path, {{"0.weight", Tensor::zeros({6, 4})}, {"extra", Tensor::zeros({1})}});
    auto small = nn::MLP({4, 6, 3});
    CHECK_THROWS_WITH(nn::load(small, path), Catch::Contains("unexpected 'extra'") && Catch::Contains("missing '0.bias'"));
}

TEST_CASE("corrupt or foreign npz files are rejected with a message", "[serialize][errors]") {
    const auto path = temp_path("bad.npz");
    std::ofstream(path) << "not a zip at all";
    CHECK_THROWS_WITH(nn::load_npz(path), Catch::StartsWith("npz: " + path.string() + ": cannot open as a zip archive"));
    CHECK_THROWS_WITH(nn::load_npz(temp_path("missing.npz")), Catch::Contains("cannot open"));

    nn::save_npz(path, {{"w", Tensor::ones({100, 100})}});
    const auto size = fs::file_size(path);
    fs::resize_file(path, size / 2);  // truncated
    CHECK_THROWS_AS(nn::load_npz(path), std::runtime_error);

    write_zip(path, "w.npy", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8));
    CHECK_THROWS_WITH(nn::load_npz(path), Catch::Contains("w.npy: unsupported dtype '<i4'"));
    write_zip(path, "w.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20));
    CHECK_THROWS_WITH(nn::load_npz(path), Catch::Contains("w.npy: shape (2, 3) needs 24 bytes of data, the entry holds 20"));
    write_zip(path, "w.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24));
    CHECK_THROWS_WITH(nn::load_npz(path), Catch::Contains("Fortran-order"));
    write_zip(path, "w.npy", "\x93NUMPX garbage");
    CHECK_THROWS_WITH(nn::load_npz(path), Catch::Contains("bad magic"));
    // a version-1 header whose length (0) ends inside the 12 bytes a version-2 prefix takes: the
    // reader asked for -2 more bytes (std::length_error, found by fuzz_npz)
    write_zip(path, "w.npy", std::string("\x93NUMPY\x01\x00\x00\x00", 10) + std::string(30, ' '));
    CHECK_THROWS_AS(nn::load_npz(path), std::runtime_error);
    write_zip(path, "w.txt", "hello");
    CHECK_THROWS_WITH(nn::load_npz(path), Catch::Contains("w.txt: not a .npy entry"));
    write_zip(path, "w.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999), }", 0));
    CHECK_THROWS_WITH(nn::load_npz(path), Catch::Contains("too large"));

    CHECK_THROWS_WITH(nn::save_npz(temp_path("no/such/dir/x.npz"), {{"w", Tensor::ones({1})}}), Catch::StartsWith("npz: "));
}

TEST_CASE("a save killed midway leaves the previous file intact", "[serialize]") {
    // A child process saves versions 1, 2, 3, ... of three 8 MB tensors over one file and is
    // killed in the middle. Whatever moment the kill hits, the file must load and hold one whole
    // version, and never one older than the newest completed save.
    const auto dir = fs::temp_directory_path() / ("xgrad_kill_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto path = dir / "model.npz";
    // Version k: values k + [0, 0.5) drawn from a generator seeded with k (incompressible, and
    // the first value tells which version a file holds).
    auto version_k = [](int k) {
        Generator gen(static_cast<std::uint64_t>(k));
        GeneratorGuard guard(gen);
        nn::NamedTensors t;
        for (const char* name : {"a", "b", "c"}) t.emplace_back(name, Tensor::rand({2'000'000}) * 0.5 + k);
        return t;
    };
    // The version the file holds, checking every value of it.
    auto whole_version = [&] {
        const auto loaded = nn::load_npz(path);  // throws on a torn file
        REQUIRE(loaded.size() == 3);
        const int k = static_cast<int>(std::floor(loaded[0].second.data<float>()(0)));
        const auto expected = version_k(k);
        for (std::size_t i = 0; i < 3; ++i) CHECK((loaded[i].second.data<float>() == expected[i].second.data<float>()));
        return k;
    };
    auto temporaries = [&] {
        std::vector<fs::path> out;
        for (const auto& entry : fs::directory_iterator(dir))
            if (entry.path() != path) out.push_back(entry.path());
        return out;
    };
    int newest = 0;
    // Runs saves of versions newest+1, newest+2, ... in a child until `kill_when` returns (without
    // it, until the write passes the file size limit), then checks the file.
    auto round = [&](const std::function<void()>& kill_when, rlim_t size_limit = RLIM_INFINITY) {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            const rlimit cap{size_limit, size_limit};
            ::setrlimit(RLIMIT_FSIZE, &cap);  // past it, the write kills with SIGXFSZ
            try {
                for (int k = newest + 1;; ++k) nn::save_npz(path, version_k(k));
            } catch (...) {
                ::_exit(3);
            }
        }
        if (kill_when) {
            kill_when();
            ::kill(child, SIGKILL);
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        REQUIRE(WIFSIGNALED(status));  // killed while saving, not failed
        const int k = whole_version();
        CHECK(k >= newest);
        newest = k;
        for (const auto& t : temporaries()) fs::remove(t);  // what an interrupted save leaves
        return WTERMSIG(status);
    };
    nn::save_npz(path, version_k(0));
    using namespace std::chrono;
    auto wait_for = [](auto condition) {
        for (const auto deadline = steady_clock::now() + seconds(30); !condition() && steady_clock::now() < deadline;)
            std::this_thread::sleep_for(microseconds(100));
    };

    // 1. Killed at different moments: as soon as a save is under way, or up to a few saves later.
    int mid_save = 0;
    for (int delay_ms : {0, 3, 15, 60, 200, 500})
        round([&] {
            wait_for([&] { return !temporaries().empty(); });
            std::this_thread::sleep_for(milliseconds(delay_ms));
            mid_save += !temporaries().empty();
        });
    CHECK(mid_save >= 1);
    CHECK(newest > 0);  // completed saves did replace the file

    // 2. Killed the moment the target file changes at all (size, inode or time): a saver that
    //    wrote into the target in place would be caught with it half written.
    for (int i = 0; i < 3; ++i) {
        const int before = newest;
        struct stat old_stat {};
        REQUIRE(::stat(path.c_str(), &old_stat) == 0);
        round([&] {
            wait_for([&] {
                struct stat now {};
                return ::stat(path.c_str(), &now) != 0 || now.st_ino != old_stat.st_ino || now.st_size != old_stat.st_size ||
                       now.st_mtim.tv_nsec != old_stat.st_mtim.tv_nsec || now.st_mtim.tv_sec != old_stat.st_mtim.tv_sec;
            });
        });
        CHECK(newest == before + 1);  // the change was the next version, whole
    }

    // 3. Killed at exact bytes of the write by a file size limit (SIGXFSZ), whichever file the
    //    byte goes to; the saves never complete.
    for (rlim_t limit : {rlim_t{100}, rlim_t{1'000'000}, rlim_t{12'000'000}, rlim_t{23'990'000}}) {
        INFO("killed at byte " << limit);
        const int before = newest;
        CHECK(round(nullptr, limit) == SIGXFSZ);
        CHECK(newest == before);
    }
    WARN("killed " << mid_save << " of 6 timed saves midway; the file ended at version " << newest);
    fs::remove_all(dir);
}

TEST_CASE("a save into a read-only directory reports the failed write, not a failed cleanup", "[serialize][errors]") {
    const fs::path dir = fs::temp_directory_path() / "xgrad_read_only_save";
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                             fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    // root writes anywhere: the save runs in a child that gives up root first
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(2);
        try {
            nn::save_npz(dir / "m.npz", {{"w", Tensor::ones({2})}});
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            ::_exit(what.find("m.npz") != std::string::npos && what.find("cannot") != std::string::npos &&
                            what.find("remove") == std::string::npos ? 0 : 3);
        } catch (...) {
            ::_exit(4);  // a std::filesystem::filesystem_error from the cleanup, before the fix
        }
        ::_exit(5);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    fs::permissions(dir, fs::perms::owner_all);
    fs::remove_all(dir);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a zip bomb is refused from its headers, before anything is inflated", "[serialize][errors]") {
    // one deflated entry 'weight' declaring (2^26, 2) float32, 512 MiB of zeros in ~0.5 MiB
    const fs::path path = temp_path("zip_bomb.npz");
    write_zip(path, "weight.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (67108864, 2), }", 536870912), true);
    REQUIRE(fs::file_size(path) < 8 * 1024 * 1024);
    // In a child, whose peak memory is its own: loading into a Linear(2, 3) must refuse the shape
    // without inflating the entry (before the fix it read all 512 MiB into memory first).
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        rusage before{}, after{};
        ::getrusage(RUSAGE_SELF, &before);
        nn::Linear model(2, 3);
        int code = 5;
        try {
            nn::load(model, path);
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            code = what.find("'weight' has shape (67108864, 2) in the file, (3, 2) in the model") != std::string::npos ? 0 : 3;
        }
        ::getrusage(RUSAGE_SELF, &after);
        if (code == 0 && after.ru_maxrss - before.ru_maxrss > 64 * 1024) code = 4;  // KiB: it inflated
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    // load_npz with a cap refuses it from the header too
    CHECK_THROWS_WITH(nn::load_npz(path, 1024), Catch::Contains("weight.npy: holds 536870912 bytes of data, more than the 1024 allowed"));
    fs::remove(path);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
