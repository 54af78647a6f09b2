#include "core/process.hpp"

#include <signal.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/errors.hpp"
#include "core/files.hpp"
#include "tests/support/support.hpp"

using namespace std::chrono_literals;

TEST_CASE("run captures output / exit code and stdin", "[process]") {
    auto r = core::run({"sh", "-c", "echo out; echo err >&2; exit 3"});
    CHECK(r.exit_code == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    core::RunOptions o;
    o.input = std::string(200000, 'x');  // larger than a pipe buffer
    r = core::run({"wc", "-c"}, o);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("200000") != std::string::npos);
}

TEST_CASE("run passes extra environment and kills on timeout", "[process]") {
    core::RunOptions o;
    o.env = {"GRID_TEST_VALUE=42"};
    CHECK(core::run({"sh", "-c", "echo $GRID_TEST_VALUE"}, o).out == "42\n");
    o.timeout = 200ms;
    const auto start = std::chrono::steady_clock::now();
    const auto r = core::run({"sleep", "10"}, o);
    CHECK(r.timed_out);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("a missing program is an error with a hint", "[process]") {
    try {
        core::run({"grid-no-such-program"});
        FAIL("ran");
    } catch (const core::Error& e) {
        CHECK(std::string(e.what()).find("grid-no-such-program") != std::string::npos);
        CHECK_FALSE(e.hint().empty());
    }
}

TEST_CASE("a detached process outlives its starter and is stopped by pid", "[process]") {
    test::TempDir dir;
    const pid_t pid =
        core::spawn_detached({"sh", "-c", "echo started; exec sleep 60"}, {}, dir / "log");
    REQUIRE(pid > 0);
    CHECK(core::process_alive(pid));
    CHECK(core::process_cmdline(pid).find("sleep") != std::string::npos);
    for (int i = 0; i < 100 && core::read_file(dir / "log").value_or("").empty(); ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(core::read_file(dir / "log").value_or("") == "started\n");
    core::stop_process(pid, 1s);
    CHECK_FALSE(core::process_alive(pid));
}

TEST_CASE("descendants and environment markers find a process tree", "[process]") {
    core::RunOptions o;
    const pid_t pid = core::spawn_detached({"sh", "-c", "sleep 60 & sleep 60 & wait"},
                                           {"GRID_TEST_MARK=tree1"}, {});
    std::vector<pid_t> kids;
    for (int i = 0; i < 200 && kids.size() < 2; ++i) {
        std::this_thread::sleep_for(5ms);
        kids = core::descendants(pid);
    }
    CHECK(kids.size() == 2);
    const auto marked = core::processes_with_env("GRID_TEST_MARK=tree1");
    CHECK(marked.size() == 3);
    for (pid_t p : marked)
        core::stop_process(p, 1s);
    CHECK(core::processes_with_env("GRID_TEST_MARK=tree1").empty());
}
