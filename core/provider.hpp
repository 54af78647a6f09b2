#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/model.hpp"

namespace core {

struct Capabilities {
    bool multi_node = true;
    bool containers = false;
    bool volumes = false;
    bool regions = false;
    // discover() lists every instance named by grid in one call, so that a refresh of many
    // clusters makes one request instead of one per cluster.
    bool listing = false;
    // Its instances are on this machine and listing them asks no one (no request, no
    // account): cheap enough to check that a store that knows nothing is not lost.
    bool on_this_machine = false;
};

// Everything a backend gets from grid when it is constructed.
struct ProviderContext {
    std::string name;                 // the backend's registered name
    Settings settings;                // the profile, or [providers.NAME]
    std::filesystem::path state_dir;  // a directory the backend owns (under grid's state dir)
    // For -vv: lines about the backend's traffic, with secrets already taken out. May be empty.
    std::function<void(const std::string&)> trace;
    // A one-line note for the user about something optional that is missing. May be empty.
    std::function<void(const std::string&)> warn;
};

// One instance to launch. The name ("{cluster}-{role}") is also the idempotency key: a provider
// asked to launch a name it already runs reports the existing instance instead of a second one.
struct LaunchRequest {
    std::string name;
    std::string cluster_id;
    Role role = Role::Worker;
    std::string type;  // grid's type name for workers; a provider picks a small type for jumphosts
    std::string region;
    std::vector<std::string> authorized_keys;  // public key lines, the cluster's own among them
    std::string cluster_key;                   // the cluster's public key line
};

// What the provider says about an instance.
enum class ProviderState { Booting, Active, Unhealthy, Terminating, Terminated, Preempted };
const char* to_string(ProviderState state);

struct Observation {
    ProviderState state = ProviderState::Booting;
    std::string detail;  // the provider's own words, e.g. "sshd exited"
    std::string public_ip;
    std::string private_ip;
    int ssh_port = 22;
    std::string ssh_user;
    std::string host_key;  // "ssh-ed25519 AAAA..." when known
};

// Raised by launch() when the provider has no room for the request.
class CapacityError : public Error {
  public:
    explicit CapacityError(std::string message, std::string hint = {})
        : Error(ErrorKind::Provider, std::move(message), std::move(hint)) {}
};

// A backend that rents machines. The engine owns the lifecycle, the store, retries of whole
// operations and the events; a provider only talks to its API (or, for local, this machine).
class Provider {
  public:
    virtual ~Provider() = default;

    virtual Capabilities capabilities() const = 0;
    virtual std::vector<InstanceType> catalog() = 0;

    // Launches the requests, reporting each one as soon as the provider has accepted it, on the
    // calling thread, so that the engine records it before going on.
    struct Launched {
        std::string name;
        std::string provider_id;
        double price_per_hour = 0;  // of the type launched, as the provider prices it now
    };
    using LaunchedFn = std::function<void(const Launched&)>;
    virtual void launch(std::span<const LaunchRequest> requests, const LaunchedFn& launched) = 0;

    // One batched look at many instances. An id missing from the result is unknown to the
    // provider (gone, or never existed).
    virtual std::map<std::string, Observation> describe(
        std::span<const std::string> provider_ids) = 0;

    // Asks for all of them to go away. Unknown ids are not an error.
    virtual void terminate(std::span<const std::string> provider_ids) = 0;

    // Releases whatever the provider still holds for the cluster beyond the instances it was
    // asked to terminate: what a launch cut short left behind (processes, networks), whatever
    // the records say. Unknown clusters are not an error.
    virtual void sweep(const std::string& cluster_id) { (void)cluster_id; }

    // Instances the provider runs under these names: name -> provider id. For a launch whose
    // reply never came (Ctrl-C, a lost connection), so that what it started is not left running.
    virtual std::map<std::string, std::string> find_by_name(std::span<const std::string> names) {
        (void)names;
        return {};
    }

    // Every instance the provider lists under a name as grid gives them ("{cluster}-{role}"),
    // whoever launched it, terminated ones included while the provider still lists them. Only
    // providers with Capabilities::listing implement it.
    struct Discovered {
        std::string name;
        std::string provider_id;
        std::string type;  // the provider's own type name
        std::string region;
        Observation observation;
    };
    virtual std::vector<Discovered> discover() { return {}; }

    // Grid's type for a type name of the provider's own, as discover() reports them.
    virtual std::optional<InstanceType> type_of(const std::string& provider_type) {
        (void)provider_type;
        return std::nullopt;
    }

    // How long to wait between two describe() calls while waiting for a state change.
    virtual std::chrono::milliseconds poll_interval() const { return std::chrono::seconds(5); }
};

}  // namespace core
