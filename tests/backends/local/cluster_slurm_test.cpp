// Real Slurm inside local multi-node clusters, reached with `grid queue --cluster`; Slurm's own
// sinfo and scontrol on the jumphost are the oracle.
#include "backends/local/cluster_slurm.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "core/files.hpp"
#include "core/process.hpp"
#include "core/text.hpp"
#include "tests/support/support.hpp"

namespace {

void require_slurm() {
    test::require_sshd();
    const std::string why = backends::local::slurm_missing();
    if (!why.empty()) test::skip("local clusters run no Slurm here: " + why);
}

// A command on the cluster's jumphost, through grid ssh.
std::string on_jumphost(const test::Grid& g, const std::string& id, const std::string& command) {
    return g.ok({"ssh", id + "-jumphost", "--", command}).out;
}

nlohmann::json wait_job_ended(const test::Grid& g, const std::string& cluster,
                              const std::string& job) {
    nlohmann::json info;
    for (int i = 0; i < 300; ++i) {
        info = g.ok({"queue", "info", job, "--cluster", cluster, "-o", "json"}).json();
        const auto state = info["state"].get<std::string>();
        if (state != "PENDING" && state != "RUNNING" && state != "CONFIGURING" &&
            state != "COMPLETING")
            return info;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("job " << job << " did not end in 30 s: " << info.dump());
    return info;
}

}  // namespace

TEST_CASE("cluster slurm: what is missing is named with its packages", "[local][slurm]") {
    test::TempDir empty;
    CHECK(backends::local::slurm_missing({empty.path().string()}) ==
          "munged, slurmctld, slurmd, scontrol, sinfo, squeue, sbatch not installed (apt-get "
          "install munge slurmctld slurmd slurm-client)");
}

TEST_CASE("cluster slurm: a multi-node cluster runs Slurm / jobs run on its workers",
          "[local][slurm]") {
    require_slurm();
    test::Grid g;
    const std::string id = g.create({"8xH100", "-n", "2"});

    // Every worker is in Slurm, with its GPUs, as sinfo on the jumphost says.
    const auto nodes = g.ok({"queue", "nodes", "--cluster", id, "-o", "json"}).json()["nodes"];
    REQUIRE(nodes.size() == 2);
    const auto sinfo = on_jumphost(g, id, "sinfo -h -N -o '%N %t %G'");
    for (const auto& n : nodes) {
        const auto name = n["name"].get<std::string>();
        CHECK((name == id + "-0" || name == id + "-1"));
        CHECK(n["state"] == "IDLE");
        CHECK(n["gpus_total"] == 8);
        CHECK(sinfo.find(name + " idle gpu:h100:8") != std::string::npos);
    }

    // A job that asks for 8 GPUs gets a worker and sees that worker's GPUs.
    const auto sub = g.ok({"queue", "submit", "--cluster", id, "--gpus", "8", "--wrap",
                           "nvidia-smi -L | grep -c H100; hostname", "-q"});
    const std::string job = sub.out.substr(0, sub.out.find('\n'));
    const auto info = wait_job_ended(g, id, job);
    CHECK(info["state"] == "COMPLETED");
    const auto shown = on_jumphost(g, id, "scontrol show job " + job);
    CHECK(shown.find("JobState=COMPLETED") != std::string::npos);
    const auto out = on_jumphost(g, id, "cat slurm-" + job + ".out");
    CHECK((out == "8\n" + id + "-0\n" || out == "8\n" + id + "-1\n"));

    // The cluster's Slurm is its own: renaming its default partition (which would disturb the
    // shared test cluster) moves the pending jobs and the Default flag to the new name.
    const auto held = g.ok({"queue", "submit", "--cluster", id, "--hold", "--wrap", "true", "-q"});
    const std::string pending = held.out.substr(0, held.out.find('\n'));
    CHECK(on_jumphost(g, id, "scontrol show partition gpu").find("Default=YES") !=
          std::string::npos);
    g.ok({"queue", "rename", "--cluster", id, "gpu", "main"});
    const auto main_partition = on_jumphost(g, id, "scontrol show partition main --oneliner");
    CHECK(main_partition.find("Default=YES") != std::string::npos);
    CHECK(main_partition.find("Nodes=" + id + "-[0-1]") != std::string::npos);
    CHECK(on_jumphost(g, id, "sinfo -h -o %R") == "main\n");
    CHECK(on_jumphost(g, id, "squeue -h -j " + pending + " -o %P") == "main\n");
    g.ok({"queue", "cancel", "--cluster", id, pending, "--yes"});

    // Bad uses of --cluster.
    CHECK(g.run({"queue", "list", "--cluster", id, "--profile", "x"}).code == 2);
    CHECK(g.run({"queue", "list", "--cluster", "nosuchcluster"}).code == 3);
    CHECK(g.run({"queue", "submit", "--wrap", "true", "--teardown"}).code == 2);
    const std::string single = g.create({"1xH100"});
    const auto one = g.run({"queue", "list", "--cluster", single});
    CHECK(one.code == 2);
    CHECK(one.err.find("is a single node") != std::string::npos);

    g.ok({"cluster", "destroy", id, single, "--yes"});
    CHECK(g.sandbox_processes().empty());  // slurmctld, slurmd, munged went with their nodes
}

TEST_CASE("cluster slurm: submit --teardown destroys the cluster once the job has ended",
          "[local][slurm]") {
    require_slurm();
    test::Grid g;
    const std::string id = g.create({"8xH100", "-n", "2"});
    const auto sub =
        g.ok({"queue", "submit", "--cluster", id, "--teardown", "--wrap", "sleep 2", "-q"});
    const std::string job = sub.out.substr(0, sub.out.find('\n'));
    // Only looks from here on (cluster info changes nothing): the detached grid that
    // submit started is what destroys the cluster.
    nlohmann::json c;
    for (int i = 0; i < 600; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        c = g.ok({"cluster", "info", id, "-o", "json"}).json();
        if (c["status"] == "DESTROYED") break;
    }
    CHECK(c["status"] == "DESTROYED");
    CHECK(c["end_reason"] == "job teardown");
    CHECK(c["end_detail"] == "job " + job + " ended");
    CHECK(g.sandbox_processes().empty());
}

TEST_CASE("cluster slurm: without slurmctld a cluster comes up without Slurm and says why",
          "[local][slurm]") {
    require_slurm();
    if (!test::have_program("unshare")) test::skip("unshare (util-linux) is not installed");
    test::Grid g;
    test::TempDir dir;
    // slurmctld hidden behind a file that cannot run, in a mount namespace of this test's own:
    // the machine keeps its Slurm. The cluster lives and ends inside that namespace, where its
    // network namespace is mounted.
    const auto hidden = dir.path() / "not-slurmctld";
    core::write_file(hidden, "", 0644);
    const std::string script = R"(
mount --bind "$1" /usr/sbin/slurmctld || exit 77
grid=$2
id=$("$grid" cluster create 8xH100 -n 2 -i "$4" -q 2> "$3/create.err") || { cat "$3/create.err"; exit 1; }
echo "$id" > "$3/id"
"$grid" cluster info "$id" -o json > "$3/info.json"
"$grid" queue nodes --cluster "$id" > /dev/null 2> "$3/nodes.err"
echo $? > "$3/nodes.rc"
"$grid" cluster destroy "$id" --yes > /dev/null
)";
    core::RunOptions o;
    o.env = g.env();
    o.timeout = std::chrono::seconds(180);
    const auto r =
        core::run({"unshare", "--mount", "--propagation", "private", "bash", "-c", script, "bash",
                   hidden.string(), GRID_BINARY, dir.path().string(), g.pubkey().string()},
                  o);
    if (r.exit_code == 77) test::skip("cannot hide slurmctld here: " + r.err);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const std::string id = core::trim(*core::read_file(dir.path() / "id"));
    CHECK(core::read_file(dir.path() / "create.err") ==
          "grid: warning: cluster " + id +
              " runs without Slurm: slurmctld not installed (apt-get install slurmctld)\n");
    const auto info = nlohmann::json::parse(*core::read_file(dir.path() / "info.json"));
    CHECK(info["status"] == "RUNNING");
    CHECK(info["instances"].size() == 3);
    // Its queue is not there, and grid says why rather than what ssh or sinfo printed.
    const std::string nodes_err = *core::read_file(dir.path() / "nodes.err");
    INFO(nodes_err);
    CHECK(core::trim(*core::read_file(dir.path() / "nodes.rc")) == "5");
    CHECK(nodes_err.find("runs no Slurm") != std::string::npos);
    CHECK(g.ok({"cluster", "info", id, "-o", "json"}).json()["status"] == "DESTROYED");
    CHECK(g.sandbox_processes().empty());
}
