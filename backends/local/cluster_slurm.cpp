#include "backends/local/cluster_slurm.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/observer.hpp"
#include "core/text.hpp"

namespace backends::local {

namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

namespace {

// Where Debian (and most distributions) put them; grid's own PATH may lack /usr/sbin.
const std::vector<std::string> k_program_dirs = {"/usr/sbin", "/usr/bin",        "/sbin",
                                                 "/bin",      "/usr/local/sbin", "/usr/local/bin"};

std::string find_program(const std::string& name,
                         const std::vector<std::string>& dirs = k_program_dirs) {
    for (const auto& dir : dirs) {
        const std::string p = dir + "/" + name;
        if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return "";
}

struct Program {
    const char* name;
    const char* package;
};
constexpr Program k_programs[] = {{"munged", "munge"},       {"slurmctld", "slurmctld"},
                                  {"slurmd", "slurmd"},      {"scontrol", "slurm-client"},
                                  {"sinfo", "slurm-client"}, {"squeue", "slurm-client"},
                                  {"sbatch", "slurm-client"}};

// Per worker: Slurm is told these, the machine does not have to have them (config_overrides).
constexpr int k_cpus = 32;
constexpr int k_memory_mb = 131072;
constexpr int k_slurmctld_port = 6817;
constexpr int k_first_slurmd_port = 6818;

fs::path slurm_dir(const fs::path& head_dir) {
    return head_dir / "slurm";
}

// Unix sockets (munged's, slurmstepd's in the spool) must have paths under 108 bytes, which a
// state directory deep in a home does not leave room for: they get a short directory of their
// own, removed with the cluster.
fs::path socket_dir(const std::string& cluster) {
    return fs::path("/run/grid-slurm") / cluster;
}

std::string config_text(const fs::path& dir, const SandboxRecord& head,
                        const std::vector<SandboxRecord>& workers) {
    const std::string d = dir.string();
    const std::string sockets = socket_dir(head.cluster).string();
    std::string c;
    c += "# Slurm of grid cluster " + head.cluster + ", written by grid's local provider\n";
    c += "ClusterName=grid\n";
    c += "SlurmctldHost=" + head.name + "(" + head.address + ")\n";
    c += "SlurmctldPort=" + std::to_string(k_slurmctld_port) + "\n";
    c += "SlurmUser=root\nSlurmdUser=root\n";
    // Its own munged, socket under the cluster's directory: no system munged is needed.
    c += "AuthType=auth/munge\nCredType=cred/munge\n";
    c += "AuthInfo=socket=" + sockets + "/munge.socket\n";
    c += "StateSaveLocation=" + d + "/state\n";
    c += "SlurmdSpoolDir=" + sockets + "/%n\n";
    c += "SlurmctldPidFile=" + d + "/run/slurmctld.pid\n";
    c += "SlurmdPidFile=" + d + "/run/slurmd-%n.pid\n";
    c += "SlurmctldLogFile=" + d + "/log/slurmctld.log\n";
    c += "SlurmdLogFile=" + d + "/log/slurmd-%n.log\n";
    // No cgroups or systemd in a sandbox.
    c += "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n";
    c += "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n";
    c += "JobCompType=jobcomp/none\nMpiDefault=none\nMailProg=/bin/true\n";
    c += "SchedulerType=sched/backfill\nSchedulerParameters=enable_user_top,batch_sched_delay=0\n";
    c += "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core_Memory\nDefMemPerCPU=1024\n";
    c += "SlurmdParameters=config_overrides\nReturnToService=2\nKillWait=5\nGresTypes=gpu\n";
    c += "TaskProlog=" + d + "/etc/task_prolog\n";
    for (std::size_t i = 0; i < workers.size(); ++i) {
        const auto& w = workers[i];
        c += "NodeName=" + w.name + " NodeHostname=" + w.name + " NodeAddr=" + w.address +
             " Port=" + std::to_string(k_first_slurmd_port + static_cast<int>(i)) +
             " CPUs=" + std::to_string(k_cpus) + " RealMemory=" + std::to_string(k_memory_mb);
        if (w.gpu_count > 0)
            c += " Gres=gpu:" + core::lower(w.gpu_model) + ":" + std::to_string(w.gpu_count);
        c += " State=UNKNOWN\n";
    }
    c += "PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n";
    return c;
}

// slurmd 22.05 keeps only GPUs with a device file, and a regular file is refused: each
// emulated GPU is a link to /dev/null.
std::string gres_text(const fs::path& dir, const std::vector<SandboxRecord>& workers) {
    std::string g = "AutoDetect=off\n";
    for (const auto& w : workers) {
        if (w.gpu_count <= 0) continue;
        const fs::path devices = dir / "dev" / w.name;
        core::ensure_dir(devices, 0755);
        for (int k = 0; k < w.gpu_count; ++k) {
            const fs::path link = devices / ("gpu" + std::to_string(k));
            std::error_code ec;
            fs::remove(link, ec);
            fs::create_symlink("/dev/null", link);
        }
        g += "NodeName=" + w.name + " Name=gpu Type=" + core::lower(w.gpu_model) +
             " File=" + (devices / "gpu").string() + "[0-" + std::to_string(w.gpu_count - 1) +
             "]\n";
    }
    return g;
}

// A job's environment comes from where it was submitted (the jumphost); on its worker it
// should find that worker's programs (nvidia-smi shows that worker's GPUs) and name.
std::string task_prolog_text(const fs::path& instances_dir) {
    return "#!/bin/sh\n"
           "# grid: what a task sees of the worker it runs on\n"
           "echo \"export PATH=" +
           instances_dir.string() +
           "/$SLURMD_NODENAME/bin:/usr/local/bin:/usr/bin:/bin\"\n"
           "echo \"export GRID_INSTANCE=$SLURMD_NODENAME\"\n";
}

void write_key(const fs::path& file) {
    std::random_device rd;
    std::string key(1024, '\0');
    for (auto& c : key)
        c = static_cast<char>(rd() & 0xff);
    core::write_file(file, key, 0400);
}

// A create that is asked to stop (Ctrl-C, a destroy from another grid) starts nothing more.
void stop_if_interrupted() {
    if (core::interrupted())
        throw Error(ErrorKind::Interrupted, "interrupted while starting Slurm");
}

// Runs it on the node; a non-zero exit is an error with the program's own last words.
void daemon(const SandboxRecord& node, const fs::path& dir, const fs::path& conf,
            const std::vector<std::string>& argv, const fs::path& log) {
    stop_if_interrupted();
    const auto r = run_on_node(node, dir, argv, {"SLURM_CONF=" + conf.string()});
    if (r.exit_code == 0) return;
    std::string why = core::last_line(r.err.empty() ? r.out : r.err);
    if (why.empty()) why = core::last_line(core::read_file(log).value_or(""));
    throw Error(ErrorKind::Provider, fs::path(argv.front()).filename().string() +
                                         " did not start on " + node.name + ": " + why);
}

// Asks on the jumphost until `done` says yes, or the time is up.
template <typename F>
void wait_on(const SandboxRecord& head, const fs::path& head_dir, const fs::path& conf,
             const std::vector<std::string>& argv, std::chrono::seconds limit,
             const std::string& what, const fs::path& log, F done) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (int i = 0; i < 1000; ++i) {
        stop_if_interrupted();
        const auto r = run_on_node(head, head_dir, argv, {"SLURM_CONF=" + conf.string()});
        if (r.exit_code == 0 && done(r.out)) return;
        if (std::chrono::steady_clock::now() > end) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const std::string tail = core::last_line(core::read_file(log).value_or(""));
    throw Error(ErrorKind::Provider, what + " within " + std::to_string(limit.count()) + " s" +
                                         (tail.empty() ? "" : ": " + tail));
}

}  // namespace

std::string slurm_missing() {
    if (::geteuid() != 0) return "Slurm in local clusters needs root (its daemons run as root)";
    return slurm_missing(k_program_dirs);
}

std::string slurm_missing(const std::vector<std::string>& dirs) {
    std::string missing, packages;
    for (const auto& p : k_programs) {
        if (!find_program(p.name, dirs).empty()) continue;
        missing += (missing.empty() ? "" : ", ") + std::string(p.name);
        if (packages.find(p.package) == std::string::npos)
            packages += (packages.empty() ? "" : " ") + std::string(p.package);
    }
    if (missing.empty()) return "";
    return missing + " not installed (apt-get install " + packages + ")";
}

void remove_cluster_slurm(const std::string& cluster) {
    if (cluster.empty() || cluster.find('/') != std::string::npos) return;
    std::error_code ec;
    fs::remove_all(socket_dir(cluster), ec);
}

fs::path slurm_conf_of(const fs::path& head_dir) {
    return slurm_dir(head_dir) / "etc" / "slurm.conf";
}

void start_cluster_slurm(const fs::path& instances_dir, const SandboxRecord& head,
                         const std::vector<SandboxRecord>& workers) {
    const fs::path head_dir = instances_dir / head.name;
    const fs::path dir = slurm_dir(head_dir);
    for (const char* sub : {"", "etc", "run", "log", "state", "dev"})
        core::ensure_dir(dir / sub, 0755);
    const fs::path sockets = socket_dir(head.cluster);
    core::ensure_dir(sockets, 0755);  // munged wants its socket's directory 0755
    for (const auto& w : workers)
        core::ensure_dir(sockets / w.name, 0755);
    const fs::path conf = slurm_conf_of(head_dir);
    core::write_file(conf, config_text(dir, head, workers), 0644);
    core::write_file(dir / "etc" / "gres.conf", gres_text(dir, workers), 0644);
    core::write_file(dir / "etc" / "task_prolog", task_prolog_text(instances_dir), 0755);
    if (!fs::exists(dir / "etc" / "munge.key")) write_key(dir / "etc" / "munge.key");

    // --force: munged refuses to run as root otherwise. It forks into the background.
    daemon(head, head_dir, conf,
           {find_program("munged"), "--force", "--socket=" + (sockets / "munge.socket").string(),
            "--key-file=" + (dir / "etc" / "munge.key").string(),
            "--pid-file=" + (dir / "run" / "munged.pid").string(),
            "--seed-file=" + (dir / "etc" / "munged.seed").string(),
            "--log-file=" + (dir / "log" / "munged.log").string()},
           dir / "log" / "munged.log");
    daemon(head, head_dir, conf, {find_program("slurmctld"), "-f", conf.string()},
           dir / "log" / "slurmctld.log");
    wait_on(head, head_dir, conf, {find_program("scontrol"), "ping"}, std::chrono::seconds(20),
            "slurmctld did not answer", dir / "log" / "slurmctld.log",
            [](const std::string& out) { return out.find("is UP") != std::string::npos; });
    for (const auto& w : workers)
        daemon(w, instances_dir / w.name, conf,
               {find_program("slurmd"), "-f", conf.string(), "-N", w.name},
               dir / "log" / ("slurmd-" + w.name + ".log"));
    const std::size_t expected = workers.size();
    wait_on(head, head_dir, conf, {find_program("sinfo"), "-h", "-N", "-o", "%t"},
            std::chrono::seconds(30), "the workers did not all join Slurm",
            dir / "log" / "slurmctld.log", [expected](const std::string& out) {
                std::size_t idle = 0, at = 0;
                while ((at = out.find("idle", at)) != std::string::npos) {
                    ++idle;
                    at += 4;
                }
                return idle >= expected;
            });
}

}  // namespace backends::local
