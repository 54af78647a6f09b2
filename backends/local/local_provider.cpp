#include "backends/local/local_provider.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "backends/local/cluster_slurm.hpp"
#include "backends/local/network.hpp"
#include "backends/local/sandbox.hpp"
#include "core/duration.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/ids.hpp"
#include "core/observer.hpp"

namespace backends::local {

namespace {

namespace fs = std::filesystem;
using core::Error;
using core::ErrorKind;

constexpr int k_default_max_instances = 64;
constexpr int k_default_gpus_per_model = 64;
constexpr int k_type_sizes[] = {1, 2, 4, 8};

int gpu_memory_gb(const std::string& model) {
    static const std::map<std::string, int> known = {
        {"H100", 80}, {"H200", 141}, {"B200", 180}, {"A100", 80}, {"L40S", 48}};
    const auto it = known.find(model);
    return it == known.end() ? 0 : it->second;
}

// USD per GPU-hour, close to public on-demand prices, so that cost, extensions and budgets
// mean something without a cloud account. Shown as emulated, like the GPUs.
double default_gpu_price(const std::string& model) {
    static const std::map<std::string, double> known = {
        {"H100", 2.49}, {"H200", 3.29}, {"B200", 4.99}, {"A100", 1.29}, {"L40S", 0.99}};
    const auto it = known.find(model);
    return it == known.end() ? 1.00 : it->second;
}

std::string current_user() {
    if (const passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
    return "root";
}

struct Capacity {
    int max_instances = k_default_max_instances;
    std::map<std::string, int> gpus;          // model -> emulated GPUs on this machine
    std::map<std::string, double> gpu_price;  // model -> USD per GPU-hour
    // The types several nodes can be made of; empty: every 8-GPU type (seed 002).
    std::set<std::string> multi_node_types;
};

Capacity read_capacity(const core::Settings& s) {
    Capacity c;
    if (const auto v = s.integer("max_instances")) {
        if (*v < 1 || *v > 4096)
            throw Error(ErrorKind::Usage, "config: " + s.path() + ".max_instances must be 1-4096");
        c.max_instances = static_cast<int>(*v);
    }
    const core::Settings gpus = s.table("gpus");
    if (gpus.empty()) {
        for (const char* m : {"H100", "H200", "B200"})
            c.gpus[m] = k_default_gpus_per_model;
    } else {
        static const std::regex model_re("[A-Za-z0-9]+");
        for (const auto& model : gpus.keys()) {
            const auto n = gpus.integer(model).value_or(0);
            if (!std::regex_match(model, model_re) || n < 0 || n > 100000)
                throw Error(ErrorKind::Usage,
                            "config: " + gpus.path() + "." + model + " must be a GPU count");
            if (n > 0) c.gpus[model] = static_cast<int>(n);
        }
    }
    const core::Settings prices = s.table("prices");
    for (const auto& [model, n] : c.gpus) {
        const double price = prices.number(model).value_or(default_gpu_price(model));
        if (price < 0 || price > 1000)
            throw Error(ErrorKind::Usage, "config: " + prices.path() + "." + model +
                                              " must be USD per GPU-hour, 0 to 1000");
        c.gpu_price[model] = price;
    }
    for (const auto& t : s.strings("multi_node_types").value_or(std::vector<std::string>{}))
        c.multi_node_types.insert(t);
    return c;
}

// network = "auto" (a namespace per multi-node cluster where allowed), "namespace" or "loopback".
bool use_namespaces(const core::Settings& s) {
    const std::string mode = s.string("network").value_or("auto");
    if (mode == "loopback") return false;
    if (mode == "namespace") {
        if (!namespaces_available())
            throw Error(ErrorKind::Usage,
                        "config: " + s.path() + ".network = \"namespace\" needs root and iproute2",
                        "use network = \"auto\" or \"loopback\"");
        return true;
    }
    if (mode != "auto")
        throw Error(
            ErrorKind::Usage,
            "config: " + s.path() + ".network must be \"auto\", \"namespace\" or \"loopback\"");
    return namespaces_available();
}

// "8xH100" -> (8, "H100")
bool parse_type(const std::string& type, int& count, std::string& model) {
    static const std::regex re("([0-9]+)x([A-Za-z0-9]+)");
    std::smatch m;
    if (!std::regex_match(type, m, re)) return false;
    count = std::stoi(m[1]);
    model = m[2];
    return count > 0;
}

class LocalProvider final : public core::Provider {
  public:
    explicit LocalProvider(const core::ProviderContext& ctx)
        : m_root(ctx.state_dir),
          m_capacity(read_capacity(ctx.settings)),
          m_user(ctx.settings.string("user").value_or(current_user())),
          m_namespaces(use_namespaces(ctx.settings)),
          m_warn(ctx.warn) {}

    core::Capabilities capabilities() const override {
        core::Capabilities c;
        c.multi_node = true;
        c.containers = false;
        c.volumes = false;
        c.regions = false;
        // Its instances are the sandboxes under its directory: listing them is a directory
        // read, so that a lost store finds them again.
        c.listing = true;
        c.on_this_machine = true;
        return c;
    }

    std::vector<core::InstanceType> catalog() override {
        const Usage used = usage();
        std::vector<core::InstanceType> out;
        for (const auto& [model, total] : m_capacity.gpus) {
            const int free_gpus = total - (used.gpus.count(model) ? used.gpus.at(model) : 0);
            for (int size : k_type_sizes) {
                if (size > total) continue;
                core::InstanceType t;
                t.name = std::to_string(size) + "x" + model;
                t.gpu_model = model;
                t.gpu_count = size;
                t.gpu_memory_gb = gpu_memory_gb(model);
                t.price_per_hour = size * m_capacity.gpu_price.at(model);
                t.available = std::max(
                    0, std::min(free_gpus / size, m_capacity.max_instances - used.instances));
                t.multi_node = m_capacity.multi_node_types.empty()
                                   ? size == 8
                                   : m_capacity.multi_node_types.count(t.name) != 0;
                t.emulated = true;
                out.push_back(t);
            }
        }
        return out;
    }

    void launch(std::span<const core::LaunchRequest> requests,
                const LaunchedFn& launched) override {
        ensure_root();
        struct Pending {
            SandboxRecord record;
            const core::LaunchRequest* request;
        };
        std::vector<Pending> fresh;
        std::vector<std::string> existing;
        // A multi-node cluster launched whole (a create, not a retry) runs Slurm where this
        // machine can; `no_slurm` says why not.
        bool slurm = false;
        std::string no_slurm;
        {
            core::FileLock lock(m_root / "lock");
            const Usage used = usage();
            std::map<std::string, int> need;
            int new_instances = 0;
            for (const auto& q : requests) {
                if (used.names.count(q.name)) {
                    existing.push_back(q.name);  // a retried launch: the sandbox is already there
                    continue;
                }
                ++new_instances;
                if (q.role == core::Role::Worker) {
                    int count = 0;
                    std::string model;
                    if (!parse_type(q.type, count, model) || !m_capacity.gpus.count(model))
                        throw Error(ErrorKind::Usage, "local provider has no type " + q.type);
                    need[model] += count;
                }
            }
            check_capacity(used, need, new_instances);

            std::set<std::string> taken = used.addresses;
            int next_public = 0, next_private = 0;
            auto allocate = [&](bool is_public) {
                int& k = is_public ? next_public : next_private;
                std::string a;
                do
                    a = loopback_address(is_public, k++);
                while (taken.count(a));
                taken.insert(a);
                return a;
            };
            // A multi-node cluster gets a network of its own where the machine allows it.
            const bool multi = std::any_of(requests.begin(), requests.end(), [](const auto& x) {
                return x.role == core::Role::Jumphost;
            });
            std::optional<Network> net;
            if (multi && m_namespaces)
                net = create_network(networks_dir(), requests.front().cluster_id);
            const auto known = used.by_cluster.find(requests.front().cluster_id);
            std::set<std::string> in_network;
            if (known != used.by_cluster.end()) in_network = known->second;
            int next_inside = 0;
            const std::int64_t now = core::now_unix();
            std::string jumphost;
            for (const auto& q : requests)
                if (q.role == core::Role::Jumphost) jumphost = q.name;
            if (multi && used.by_cluster.count(requests.front().cluster_id) == 0) {
                no_slurm = slurm_missing();
                if (no_slurm.empty() && !net)
                    no_slurm = "Slurm needs the cluster's own network (network = \"auto\")";
                slurm = no_slurm.empty();
            }
            for (const auto& q : requests) {
                if (used.names.count(q.name)) continue;
                SandboxRecord r;
                r.name = q.name;
                r.cluster = q.cluster_id;
                r.role = core::to_string(q.role);
                r.type = q.role == core::Role::Jumphost ? "jumphost" : q.type;
                if (q.role == core::Role::Worker) parse_type(q.type, r.gpu_count, r.gpu_model);
                if (net) {
                    // Inside the cluster's namespace: the jumphost on the veth, the workers on
                    // the namespace's own loopback; every port is free there.
                    r.netns = net->netns;
                    if (q.role == core::Role::Jumphost) {
                        r.address = net->entry_address;
                    } else {
                        do
                            r.address = "127.0.0." + std::to_string(10 + next_inside++);
                        while (in_network.count(r.address));
                    }
                    r.port = 22;
                } else {
                    // Workers of a multi-node cluster sit on the private range behind the jumphost.
                    r.address = allocate(!multi || q.role == core::Role::Jumphost);
                    r.port = free_port(r.address);
                }
                r.user = m_user;
                r.created_at = now;
                if (slurm) r.slurm_conf = slurm_conf_of(instances_dir() / jumphost).string();
                const Sandbox box(instances_dir(), r.name);
                box.mark_launching();  // first: a sandbox with a record is starting or broken
                box.write_record(r);
                fresh.push_back({r, &q});
            }
        }
        // Jumphosts are free here: they hold no GPU.
        const auto price = [&](const core::LaunchRequest& q) {
            int count = 0;
            std::string model;
            if (q.role == core::Role::Jumphost || !parse_type(q.type, count, model)) return 0.0;
            return count * m_capacity.gpu_price.at(model);
        };
        for (const auto& q : requests)
            if (std::find(existing.begin(), existing.end(), q.name) != existing.end())
                launched({q.name, q.name, price(q)});
        for (const auto& p : fresh)
            launched({p.record.name, p.record.name, price(*p.request)});

        // Machines come up in parallel: a cluster of eight takes about as long as one.
        std::vector<std::string> errors(fresh.size());
        std::vector<std::thread> threads;
        for (std::size_t k = 0; k < fresh.size(); ++k)
            threads.emplace_back([&, k] {
                Sandbox box(instances_dir(), fresh[k].record.name);
                // terminate() may have come first (the cluster was destroyed meanwhile), or the
                // create was asked to stop.
                if (!box.exists()) return;
                if (core::interrupted()) {
                    errors[k] = "interrupted";
                    return;
                }
                try {
                    box.start(fresh[k].record, fresh[k].request->authorized_keys);
                } catch (const std::exception& e) {
                    errors[k] = e.what();
                }
                if (!box.exists()) box.destroy();  // terminated while starting: no sshd left
            });
        for (auto& t : threads)
            t.join();
        // What started is recorded by the engine already; it releases it.
        if (core::interrupted()) throw Error(ErrorKind::Interrupted, "interrupted while launching");
        const std::string cluster = requests.empty() ? "" : requests.front().cluster_id;
        if (slurm &&
            std::all_of(errors.begin(), errors.end(), [](const auto& e) { return e.empty(); })) {
            SandboxRecord head;
            std::vector<SandboxRecord> workers;
            for (const auto& p : fresh) {
                if (p.request->role == core::Role::Jumphost)
                    head = p.record;
                else
                    workers.push_back(p.record);
            }
            try {
                start_cluster_slurm(instances_dir(), head, workers);
            } catch (const Error& e) {
                if (e.kind() == ErrorKind::Interrupted) throw;
                no_slurm = e.what();
            } catch (const std::exception& e) {
                no_slurm = e.what();
            }
        }
        if (!no_slurm.empty() && m_warn)
            m_warn("cluster " + cluster + " runs without Slurm: " + no_slurm);
        // A sandbox that did not start is reported by describe() as unhealthy, with the reason;
        // the engine turns that into FAILED and releases the rest.
    }

    std::vector<Discovered> discover() override {
        std::vector<std::string> names;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(instances_dir(), ec))
            names.push_back(entry.path().filename().string());
        std::vector<Discovered> out;
        for (const auto& [name, observation] : describe(names)) {
            Discovered d;
            d.name = name;
            d.provider_id = name;
            try {
                d.type = Sandbox(instances_dir(), name).record().type;
            } catch (const Error&) {
                continue;
            }
            d.observation = observation;
            out.push_back(std::move(d));
        }
        return out;
    }

    std::optional<core::InstanceType> type_of(const std::string& provider_type) override {
        for (auto& t : catalog())
            if (t.name == provider_type) return t;
        return std::nullopt;
    }

    std::map<std::string, core::Observation> describe(std::span<const std::string> ids) override {
        std::map<std::string, core::Observation> out;
        for (const auto& id : ids) {
            Sandbox s(instances_dir(), id);
            if (!s.exists()) continue;
            SandboxRecord r;
            try {
                r = s.record();
            } catch (const Error&) {
                continue;
            }
            core::Observation o;
            o.public_ip = r.address;
            o.private_ip = r.address;
            // A multi-node cluster's workers have private addresses only.
            if (r.role == "worker" && (!r.netns.empty() || r.address.rfind("127.1.", 0) == 0))
                o.public_ip.clear();
            o.ssh_port = r.port;
            o.ssh_user = r.user;
            o.host_key = s.host_key();
            if (s.sshd_pid() != 0) {
                o.state = core::ProviderState::Active;
            } else if (const auto why = s.failure(); !why.empty()) {
                o.state = core::ProviderState::Unhealthy;
                o.detail = why;
            } else if (s.starting()) {
                o.state = core::ProviderState::Booting;
            } else {
                o.state = core::ProviderState::Unhealthy;
                o.detail = "sshd is not running";
            }
            out.emplace(id, o);
        }
        return out;
    }

    void terminate(std::span<const std::string> ids) override {
        std::set<std::string> clusters;
        for (const auto& id : ids) {
            try {
                clusters.insert(Sandbox(instances_dir(), id).record().cluster);
            } catch (const Error&) {
            }
        }
        std::vector<std::thread> threads;
        for (const auto& id : ids)
            threads.emplace_back([this, id] { Sandbox(instances_dir(), id).destroy(); });
        for (auto& t : threads)
            t.join();
        // A cluster's network goes with its last instance.
        core::FileLock lock(m_root / "lock");
        const Usage left = usage();
        for (const auto& c : clusters)
            if (!left.by_cluster.count(c)) {
                delete_network(networks_dir(), c);
                remove_cluster_slurm(c);
            }
    }

    std::map<std::string, std::string> find_by_name(std::span<const std::string> names) override {
        std::map<std::string, std::string> found;
        for (const auto& name : names)
            if (Sandbox(instances_dir(), name).exists()) found.emplace(name, name);
        return found;
    }

    void sweep(const std::string& cluster_id) override {
        // Every sandbox named after the cluster, with or without a record, and every process
        // that carries one of their markers after its sandbox went.
        if (!core::is_cluster_id(cluster_id) || !fs::exists(m_root)) return;
        const std::string prefix = cluster_id + "-";
        std::error_code ec;
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(instances_dir(), ec))
            if (const auto name = entry.path().filename().string(); name.rfind(prefix, 0) == 0)
                names.push_back(name);
        for (const auto& name : names)
            Sandbox(instances_dir(), name).destroy();
        stop_marked_processes(instances_dir() / prefix, /*prefix=*/true);
        core::FileLock lock(m_root / "lock");
        delete_network(networks_dir(), cluster_id);
        remove_cluster_slurm(cluster_id);
    }

    std::chrono::milliseconds poll_interval() const override {
        return std::chrono::milliseconds(100);
    }

  private:
    struct Usage {
        int instances = 0;
        std::map<std::string, int> gpus;
        std::set<std::string> names;
        std::set<std::string> addresses;                          // on this machine's network
        std::map<std::string, std::set<std::string>> by_cluster;  // every address, by cluster
    };

    fs::path instances_dir() const { return m_root / "instances"; }
    fs::path networks_dir() const { return m_root / "networks"; }

    void ensure_root() const {
        core::ensure_dir(instances_dir(), 0700);
        // sshd refuses to start as root without its privilege separation directory.
        if (::geteuid() == 0) core::ensure_dir("/run/sshd", 0755);
        if (::access("/usr/sbin/sshd", X_OK) != 0)
            throw Error(ErrorKind::Provider, "the local provider needs sshd (/usr/sbin/sshd)",
                        "install it: apt-get install openssh-server");
    }

    Usage usage() const {
        Usage u;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(instances_dir(), ec)) {
            Sandbox s(instances_dir(), entry.path().filename().string());
            SandboxRecord r;
            try {
                r = s.record();
            } catch (const Error&) {
                continue;
            }
            ++u.instances;
            if (r.gpu_count > 0) u.gpus[r.gpu_model] += r.gpu_count;
            u.names.insert(r.name);
            if (r.netns.empty()) u.addresses.insert(r.address);
            u.by_cluster[r.cluster].insert(r.address);
        }
        return u;
    }

    void check_capacity(const Usage& used, const std::map<std::string, int>& need,
                        int new_instances) const {
        for (const auto& [model, n] : need) {
            const int total = m_capacity.gpus.at(model);
            const int in_use = used.gpus.count(model) ? used.gpus.at(model) : 0;
            if (in_use + n > total)
                throw core::CapacityError(
                    "no capacity: needs " + std::to_string(n) + " " + model + " GPUs, " +
                        std::to_string(total - in_use) + " of " + std::to_string(total) +
                        " free on the local provider",
                    "see free capacity with: grid types; raise it under [providers.local.gpus]");
        }
        if (used.instances + new_instances > m_capacity.max_instances)
            throw core::CapacityError(
                "no capacity: needs " + std::to_string(new_instances) + " instances, " +
                    std::to_string(m_capacity.max_instances - used.instances) + " of " +
                    std::to_string(m_capacity.max_instances) + " free on the local provider",
                "destroy a cluster, or raise providers.local.max_instances");
    }

    fs::path m_root;
    Capacity m_capacity;
    std::string m_user;
    bool m_namespaces;
    std::function<void(const std::string&)> m_warn;
};

}  // namespace

std::unique_ptr<core::Provider> make_provider(const core::ProviderContext& context) {
    return std::make_unique<LocalProvider>(context);
}

}  // namespace backends::local
