// Real Slurm inside local multi-node clusters, reached with `grid queue --cluster`; Slurm's own
// sinfo and scontrol on the jumphost are the oracle.
#include "backends/local/cluster_slurm.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "core/files.hpp"
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
    const std::string id = g.create({"1xH100", "-n", "2"});
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
