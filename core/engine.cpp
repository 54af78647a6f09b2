// The engine's shared parts: providers by target, loading, moving through the lifecycle,
// events. Each operation has a file of its own (engine_create, engine_observe, ...).

#include "core/engine.hpp"

#include "core/engine_impl.hpp"
#include "core/errors.hpp"
#include "core/registry.hpp"

namespace core {

const Instance* find_instance(const Cluster& c, const std::string& id) {
    for (const auto& i : c.instances)
        if (i.id == id) return &i;
    return nullptr;
}

const Instance* entry_node(const Cluster& c) {
    for (const auto& i : c.instances)
        if (i.role == Role::Jumphost) return &i;
    return c.instances.empty() ? nullptr : &c.instances.front();
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
    return line;
}

Provider& Engine::Impl::provider(const Target& t) {
    const std::string key = t.provider + "/" + t.profile;
    auto& slot = providers[key];
    if (!slot) {
        ProviderContext ctx;
        ctx.name = t.provider;
        ctx.settings = t.settings;
        ctx.state_dir = paths.state_dir / t.provider;
        if (observer.tracing())
            ctx.trace = [this](const std::string& line) { observer.on_trace(line); };
        ctx.warn = [this](const std::string& line) { observer.on_warning(line); };
        slot = make_provider(ctx);
    }
    return *slot;
}

Target Engine::Impl::target_of(const Cluster& c) const {
    Target t;
    t.provider = c.provider;
    t.profile = c.profile;
    if (!c.profile.empty()) {
        if (auto p = config.profile(c.profile)) t.settings = p->settings;
    } else {
        t.settings = config.provider_settings(c.provider);
    }
    return t;
}

Cluster Engine::Impl::load(const std::string& id) const {
    auto c = store.find_cluster(id);
    if (!c)
        throw Error(ErrorKind::NotFound, "no cluster " + id,
                    "list them with: grid cluster list --all");
    return *c;
}

// The one place the engine changes a state: the store checks the lifecycle table.
bool Engine::Impl::move(const Instance& i, State to, const std::string& reason) {
    if (i.state == to) return true;
    if (!store.transition(i.id, i.state, to, reason)) return false;
    observer.on_transition(i.id, i.state, to, reason);
    return true;
}

void Engine::Impl::note(const std::string& cluster_id, const std::string& instance_id,
                        EventKind kind, const std::string& message) {
    Event e;
    e.cluster_id = cluster_id;
    e.instance_id = instance_id;
    e.kind = kind;
    e.message = message;
    store.record_event(e);
}

Engine::Engine(Store& store, const Config& config, Paths paths, Observer& observer,
               EngineSeams seams)
    : m_impl(std::make_unique<Impl>(store, config, std::move(paths), observer, seams)) {}
Engine::~Engine() = default;

void Engine::set_watchdog_command(std::vector<std::string> argv) {
    m_impl->watchdog_command = std::move(argv);
}

Target Engine::target(const std::string& provider, const std::string& profile) const {
    Target t;
    if (!profile.empty()) {
        const auto p = m_impl->config.profile(profile);
        if (!p) {
            std::string known;
            for (const auto& n : m_impl->config.profile_names())
                known += (known.empty() ? "" : ", ") + n;
            throw Error(ErrorKind::Usage, "unknown profile '" + profile + "'",
                        known.empty() ? "define it under [profiles." + profile + "] in " +
                                            m_impl->config.source()
                                      : "profiles in " + m_impl->config.source() + ": " + known);
        }
        if (p->provider.empty())
            throw Error(
                ErrorKind::Usage,
                "profile '" + profile + "' is a queue only: it has a scheduler and no provider",
                "use it with grid queue (--profile " + profile +
                    "); to make clusters with it too, add provider = \"local\" (or "
                    "another) to [profiles." +
                    profile + "]");
        if (!provider.empty() && provider != p->provider)
            throw Error(ErrorKind::Usage, "profile '" + profile + "' uses provider '" +
                                              p->provider + "', not '" + provider + "'");
        t.provider = p->provider;
        t.profile = profile;
        t.settings = p->settings;
    } else {
        t.provider = provider.empty() ? m_impl->config.default_provider() : provider;
        t.settings = m_impl->config.provider_settings(t.provider);
    }
    if (!has_provider(t.provider)) {
        std::string known;
        for (const auto& n : provider_names())
            known += (known.empty() ? "" : ", ") + n;
        throw Error(ErrorKind::Usage, "unknown provider '" + t.provider + "'",
                    "known providers: " + known);
    }
    return t;
}

std::vector<InstanceType> Engine::types(const Target& t) {
    return m_impl->provider(t).catalog();
}

Cluster Engine::load(const std::string& id) const {
    return m_impl->load(id);
}

}  // namespace core
