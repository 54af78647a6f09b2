// A store that is lost, damaged or full never hides what runs: an empty store next to running
// sandboxes is an error that says how to recover, list --refresh records them as they really
// are, and a destroy on a full disk stops everything before it records anything.
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/support/support.hpp"

namespace fs = std::filesystem;

namespace {

std::string status_of(const test::Grid& g, const std::string& id) {
    return g.ok({"cluster", "info", id, "-o", "json"}).json()["status"];
}

// The world's state directory on a small tmpfs of its own, unmounted at the end; the local
// provider's sandboxes elsewhere (a link), so that they do not free the space they hold.
class SmallDisk {
  public:
    explicit SmallDisk(const test::Grid& g) : m_state(g.state_dir()) {
        fs::create_directories(m_state);
        if (::mount("tmpfs", m_state.c_str(), "tmpfs", 0, "size=2m") != 0)
            test::skip("cannot mount a tmpfs here (needs root)");
        fs::create_directory_symlink(m_sandboxes.path(), m_state / "local");
    }
    ~SmallDisk() {
        unfill();
        ::umount2(m_state.c_str(), MNT_DETACH);
    }
    void fill() {
        std::ofstream out(m_state / "filler", std::ios::binary);
        const std::string block(64 * 1024, '\0');
        for (int i = 0; i < 64 && out.write(block.data(), block.size()); ++i) {
        }
    }
    void unfill() {
        std::error_code ec;
        fs::remove(m_state / "filler", ec);
    }

  private:
    fs::path m_state;
    test::TempDir m_sandboxes;
};

}  // namespace

TEST_CASE("an emptied store next to running sandboxes is an error, and --refresh recovers them",
          "[cli][store]") {
    test::require_sshd();
    test::Grid g;
    const std::string single = g.create({"1xH100"});
    const std::string multi = g.create({"8xH100", "-n", "2"});
    // The database emptied (a bad copy, a disk that lost it); the sandboxes and keys are there.
    for (const char* f : {"grid.db", "grid.db-wal", "grid.db-shm"}) {
        std::error_code ec;
        fs::remove(g.state_dir() / f, ec);
    }
    core::write_file(g.state_dir() / "grid.db", "", 0600);
    const auto lost = g.run({"cluster", "list"});
    CHECK(lost.code == 1);
    CHECK(lost.err.find("knows no clusters, but 4 instances") != std::string::npos);
    CHECK(lost.err.find("hint: record them with: grid cluster list --refresh") !=
          std::string::npos);

    g.ok({"cluster", "list", "--refresh"});
    // Found with their real state: grid still has their keys, so they are reachable.
    CHECK(status_of(g, single) == "RUNNING");
    CHECK(status_of(g, multi) == "RUNNING");
    CHECK(g.ok({"ssh", multi + "-1", "--", "hostname"}).out.find(multi + "-1") !=
          std::string::npos);
    g.ok({"cluster", "destroy", single, multi, "--yes"});
    CHECK(g.leftovers(single).empty());
    CHECK(g.leftovers(multi).empty());
}

TEST_CASE("a damaged store names its file and how to recover", "[cli][store]") {
    test::Grid g;
    fs::create_directories(g.state_dir());
    core::write_file(g.state_dir() / "grid.db", std::string(8192, 'x'), 0600);
    const auto r = g.run({"cluster", "list"});
    CHECK(r.code == 1);
    CHECK(r.err.find((g.state_dir() / "grid.db").string() + " is damaged") != std::string::npos);
    CHECK(r.err.find("hint: move it away and run grid cluster list --refresh") !=
          std::string::npos);
    // One line and a hint: the reason is not said twice.
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2);
}

TEST_CASE("destroy on a full disk stops everything first and is recorded once there is room",
          "[cli][store]") {
    test::require_sshd();
    test::Grid g;
    SmallDisk disk(g);
    const std::string id = g.create({"1xH100"});
    REQUIRE_FALSE(g.leftovers(id).empty());
    disk.fill();
    const auto r = g.run({"cluster", "destroy", id, "--yes"});
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK(r.err.find("cluster " + id + " was released, but cannot write the state store at " +
                     (g.state_dir() / "grid.db").string() + ": the disk is full") !=
          std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2);
    CHECK(g.leftovers(id).empty());
    // Room again: the next command records the destroy, the next look confirms it.
    disk.unfill();
    CHECK(status_of(g, id) == "DESTROYED");
    const auto doc = g.ok({"cluster", "info", id, "-o", "json"}).json();
    CHECK(doc["end_reason"] == "destroyed by user");
}
