#include "backends/lambda/lambda_provider.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "backends/http/http.hpp"
#include "backends/lambda/catalog.hpp"
#include "backends/lambda/lambda_api.hpp"
#include "core/ids.hpp"
#include "core/observer.hpp"

namespace backends::lambda {

namespace {

using core::Error;
using core::ErrorKind;
using core::Observation;
using core::ProviderState;

// Each cluster registers its own key, so that the key that opens its nodes is the one grid
// keeps for it; it is removed with the cluster's last instance.
std::string key_name(const std::string& cluster_id) {
    return "grid-" + cluster_id;
}

bool is_grid_name(const std::string& name) {
    const auto n = core::parse_instance_name(name);
    return n && core::is_cluster_id(n->cluster);
}

ProviderState state_of(const std::string& status) {
    if (status == "active") return ProviderState::Active;
    if (status == "unhealthy") return ProviderState::Unhealthy;
    if (status == "terminating") return ProviderState::Terminating;
    if (status == "terminated") return ProviderState::Terminated;
    if (status == "preempted") return ProviderState::Preempted;
    return ProviderState::Booting;
}

// The user's own keys reach the nodes through cloud-init: Lambda takes one registered key per
// launch, which is the cluster's.
std::string user_data(const core::LaunchRequest& r) {
    std::string keys;
    for (const auto& k : r.authorized_keys)
        if (k != r.cluster_key) keys += "  - " + k + "\n";
    if (keys.empty()) return {};
    return "#cloud-config\nssh_authorized_keys:\n" + keys;
}

class LambdaProvider final : public core::Provider {
  public:
    explicit LambdaProvider(const core::ProviderContext& ctx) {
        ApiSettings a = read_api_settings(ctx.settings, ctx.state_dir);
        a.trace = ctx.trace;
        m_request_timeout = a.timeout;
        m_api = std::make_unique<Api>(std::move(a));
        m_region = ctx.settings.string("region").value_or("");
        m_ssh_user = ctx.settings.string("ssh_user").value_or("ubuntu");
        m_jumphost_type = ctx.settings.string("jumphost_type").value_or("");
        m_settings_path = ctx.settings.path();
        m_file_systems = ctx.settings.strings("file_systems").value_or(std::vector<std::string>{});
        m_poll = ctx.settings.duration("poll_interval", std::chrono::seconds(5));
    }

    core::Capabilities capabilities() const override {
        core::Capabilities c;
        c.multi_node = true;
        c.regions = true;
        c.listing = true;  // GET /instances lists them all
        return c;
    }

    std::vector<core::InstanceType> catalog() override {
        std::vector<core::InstanceType> out;
        for (const auto& m : mapped())
            out.push_back(m.type);
        return out;
    }

    void launch(std::span<const core::LaunchRequest> requests,
                const LaunchedFn& launched) override {
        if (requests.empty()) return;
        const auto& types = mapped();
        const MappedType& worker = find_type(types, requests.front().type);
        const std::string region = pick_region(worker, requests.front().region);
        const std::string jumphost = jumphost_type(types, region);
        const std::string cluster = requests.front().cluster_id;
        const std::string key = ensure_key(cluster, requests.front().cluster_key);

        // Idempotent by name: whatever an earlier attempt already started is taken, not doubled.
        std::map<std::string, std::string> existing = live_by_name();
        const auto price = [&](const core::LaunchRequest& r) {
            return r.role == core::Role::Jumphost ? find_type(types, jumphost).type.price_per_hour
                                                  : worker.type.price_per_hour;
        };
        for (const auto& r : requests) {
            if (const auto it = existing.find(r.name); it != existing.end()) {
                launched({r.name, it->second, price(r)});
                continue;
            }
            if (core::interrupted()) throw Error(ErrorKind::Interrupted, "interrupted");
            LaunchSpec spec;
            spec.name = r.name;
            spec.type = r.role == core::Role::Jumphost ? jumphost : worker.lambda_name;
            spec.region = region;
            spec.ssh_key_name = key;
            spec.file_systems = m_file_systems;
            spec.user_data = user_data(r);
            launched({r.name, launch_once(spec), price(r)});
        }
    }

    std::map<std::string, Observation> describe(std::span<const std::string> ids) override {
        // One list call for the whole cluster, however many instances it has.
        const std::set<std::string> wanted(ids.begin(), ids.end());
        std::map<std::string, Observation> out;
        for (const auto& i : m_api->instances()) {
            if (!wanted.count(i.id)) continue;
            out[i.id] = observation(i);
        }
        return out;
    }

    void terminate(std::span<const std::string> ids) override {
        if (ids.empty()) return;
        std::vector<std::string> todo(ids.begin(), ids.end());
        const auto before = m_api->instances();
        // The API refuses the whole request when one id is unknown: ask only for those it has.
        std::set<std::string> known;
        std::set<std::string> clusters;
        for (const auto& i : before) {
            known.insert(i.id);
            if (std::find(todo.begin(), todo.end(), i.id) != todo.end())
                if (const auto n = core::parse_instance_name(i.name)) clusters.insert(n->cluster);
        }
        todo.erase(std::remove_if(todo.begin(), todo.end(),
                                  [&](const std::string& id) { return !known.count(id); }),
                   todo.end());
        if (!todo.empty()) {
            try {
                m_api->terminate(todo);
            } catch (const Error& e) {
                // Gone between the list and the request: look again, and ask for the rest.
                if (e.kind() != ErrorKind::NotFound) throw;
                std::set<std::string> still;
                for (const auto& i : m_api->instances())
                    still.insert(i.id);
                todo.erase(std::remove_if(todo.begin(), todo.end(),
                                          [&](const std::string& id) { return !still.count(id); }),
                           todo.end());
                if (!todo.empty()) m_api->terminate(todo);
            }
        }
        remove_keys(clusters, before, todo);
    }

    std::map<std::string, std::string> find_by_name(std::span<const std::string> names) override {
        const auto live = live_by_name();
        std::map<std::string, std::string> out;
        for (const auto& n : names)
            if (const auto it = live.find(n); it != live.end()) out[n] = it->second;
        return out;
    }

    std::vector<Discovered> discover() override {
        std::vector<Discovered> out;
        for (const auto& i : m_api->instances()) {
            if (!is_grid_name(i.name)) continue;
            Discovered d;
            d.name = i.name;
            d.provider_id = i.id;
            d.type = i.type;
            d.region = i.region;
            d.observation = observation(i);
            out.push_back(std::move(d));
        }
        return out;
    }

    std::optional<core::InstanceType> type_of(const std::string& provider_type) override {
        for (const auto& m : mapped())
            if (m.lambda_name == provider_type) return m.type;
        return std::nullopt;
    }

    std::chrono::milliseconds poll_interval() const override { return m_poll; }

  private:
    Observation observation(const ApiInstance& i) const {
        Observation o;
        o.state = state_of(i.status);
        o.detail = i.status;
        o.public_ip = i.ip;
        o.private_ip = i.private_ip;
        o.ssh_port = 22;
        o.ssh_user = m_ssh_user;
        return o;
    }

    const std::vector<MappedType>& mapped() {
        if (m_types) return *m_types;
        m_types = map_catalog(m_api->instance_types());
        // Checked with the catalog, which every create reads before it records anything.
        if (!m_jumphost_type.empty() &&
            std::none_of(m_types->begin(), m_types->end(), [&](const MappedType& t) {
                return t.type.name == m_jumphost_type || t.lambda_name == m_jumphost_type;
            })) {
            std::string names;
            for (const auto& t : *m_types)
                names += (names.empty() ? "" : ", ") + t.type.name;
            m_types.reset();
            throw Error(ErrorKind::Usage,
                        "jumphost_type '" + m_jumphost_type + "' in [" + m_settings_path +
                            "] is not a type of lambda",
                        "types: " + names);
        }
        return *m_types;
    }

    const MappedType& find_type(const std::vector<MappedType>& types, const std::string& name) {
        for (const auto& t : types)
            if (t.type.name == name || t.lambda_name == name) return t;
        throw Error(ErrorKind::Usage, "unknown instance type '" + name + "' for provider lambda",
                    "see: grid types --provider lambda");
    }

    std::string pick_region(const MappedType& t, const std::string& asked) {
        const std::string region = asked.empty() ? m_region : asked;
        const auto& where = t.type.regions;
        if (!region.empty()) {
            if (std::find(where.begin(), where.end(), region) == where.end())
                throw core::CapacityError(
                    "no capacity for " + t.type.name + " in " + region,
                    where.empty() ? "no region has it now; try another type: grid types "
                                    "--provider lambda"
                                  : "regions with capacity now: " + join(where));
            return region;
        }
        if (where.empty())
            throw core::CapacityError("no capacity for " + t.type.name + " in any region",
                                      "try another type: grid types --provider lambda");
        return where.front();
    }

    // A jumphost needs no GPU of its own; Lambda has no CPU-only type, so the cheapest type
    // with room in the cluster's region serves, unless the profile names one.
    std::string jumphost_type(const std::vector<MappedType>& types, const std::string& region) {
        if (!m_jumphost_type.empty()) return find_type(types, m_jumphost_type).lambda_name;
        const MappedType* best = nullptr;
        for (const auto& t : types) {
            const auto& r = t.type.regions;
            if (std::find(r.begin(), r.end(), region) == r.end()) continue;
            if (!best || t.price_cents_per_hour < best->price_cents_per_hour) best = &t;
        }
        if (!best)
            throw core::CapacityError("no capacity in " + region + " for the jumphost",
                                      "set jumphost_type in the profile, or try later");
        return best->lambda_name;
    }

    std::string ensure_key(const std::string& cluster, const std::string& public_key) {
        const std::string name = key_name(cluster);
        for (const auto& k : m_api->ssh_keys())
            if (k.name == name) return name;
        try {
            m_api->add_ssh_key(name, public_key);
        } catch (const http::UncertainError&) {
            // Added or not: the list says which.
            for (const auto& k : m_api->ssh_keys())
                if (k.name == name) return name;
            throw;
        }
        return name;
    }

    std::map<std::string, std::string> live_by_name() {
        std::map<std::string, std::string> out;
        for (const auto& i : m_api->instances())
            if (!i.name.empty() && i.status != "terminated" && i.status != "terminating")
                out[i.name] = i.id;
        return out;
    }

    // A launch whose reply was lost may have happened: look for the name before sending it
    // again, so that a flaky network never doubles an instance (or its bill).
    std::string launch_once(const LaunchSpec& spec) {
        constexpr int k_attempts = 5;
        for (int attempt = 1;; ++attempt) {
            try {
                return m_api->launch(spec);
            } catch (const http::UncertainError& e) {
                if (attempt >= k_attempts) throw;
                // A request grid gave up on may still be carried out, as late as the server's
                // own time limit, which is not known; grid looks for as long as it waited for
                // the reply (the request timeout) before it launches again.
                const auto until = std::chrono::steady_clock::now() + m_request_timeout;
                for (auto pause = std::chrono::milliseconds(200);;
                     pause = std::min(pause * 2, std::chrono::milliseconds(5000))) {
                    std::this_thread::sleep_for(pause);
                    const auto live = live_by_name();
                    if (const auto it = live.find(spec.name); it != live.end()) return it->second;
                    if (std::chrono::steady_clock::now() >= until) break;
                    if (core::interrupted()) throw Error(ErrorKind::Interrupted, "interrupted");
                }
            }
        }
    }

    void remove_keys(const std::set<std::string>& clusters, const std::vector<ApiInstance>& before,
                     const std::vector<std::string>& terminating) {
        if (clusters.empty()) return;
        std::set<std::string> in_use;
        for (const auto& i : before) {
            if (i.status == "terminated" || i.status == "terminating") continue;
            if (std::find(terminating.begin(), terminating.end(), i.id) != terminating.end())
                continue;
            if (const auto n = core::parse_instance_name(i.name)) in_use.insert(n->cluster);
        }
        for (const auto& k : m_api->ssh_keys()) {
            if (k.name.rfind("grid-", 0) != 0) continue;
            const std::string cluster = k.name.substr(5);
            if (clusters.count(cluster) && !in_use.count(cluster)) m_api->delete_ssh_key(k.id);
        }
    }

    static std::string join(const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v)
            out += (out.empty() ? "" : ", ") + s;
        return out;
    }

    std::unique_ptr<Api> m_api;
    std::optional<std::vector<MappedType>> m_types;
    std::string m_region;
    std::string m_ssh_user;
    std::string m_jumphost_type;
    std::chrono::milliseconds m_request_timeout{60'000};
    std::string m_settings_path;  // "profiles.NAME", for messages
    std::vector<std::string> m_file_systems;
    std::chrono::milliseconds m_poll;
};

}  // namespace

std::unique_ptr<core::Provider> make_provider(const core::ProviderContext& context) {
    return std::make_unique<LambdaProvider>(context);
}

}  // namespace backends::lambda
