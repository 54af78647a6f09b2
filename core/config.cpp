#include "core/config.hpp"

// toml++ is compiled into this file alone (header-only mode): no shared library to load.
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/duration.hpp"
#include "core/errors.hpp"

namespace core {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

fs::path home_dir() {
    const std::string home = env("HOME");
    return home.empty() ? fs::path("/") : fs::path(home);
}

}  // namespace

Paths resolve_paths(const std::optional<std::string>& config_override) {
    Paths p;
    if (config_override && !config_override->empty()) {
        p.config_file = *config_override;
    } else if (const auto v = env("GRID_CONFIG"); !v.empty()) {
        p.config_file = v;
    } else {
        const auto xdg = env("XDG_CONFIG_HOME");
        p.config_file =
            (xdg.empty() ? home_dir() / ".config" : fs::path(xdg)) / "grid" / "config.toml";
    }
    if (const auto v = env("GRID_STATE_DIR"); !v.empty()) {
        p.state_dir = v;
    } else {
        const auto xdg = env("XDG_STATE_HOME");
        p.state_dir = (xdg.empty() ? home_dir() / ".local" / "state" : fs::path(xdg)) / "grid";
    }
    return p;
}

struct Settings::Impl {
    std::shared_ptr<const toml::table> root;  // keeps the document alive
    const toml::table* table = nullptr;
    std::string path;
    std::string source;
};

Settings::Settings() = default;
Settings::~Settings() = default;
Settings::Settings(const Settings&) = default;
Settings& Settings::operator=(const Settings&) = default;

namespace {

const toml::node* lookup(const std::shared_ptr<const Settings::Impl>& impl, std::string_view key) {
    if (!impl || !impl->table) return nullptr;
    return impl->table->get(key);
}

Error type_error(const Settings& s, std::string_view key, const char* expected,
                 const std::string& source) {
    std::string where = s.path().empty() ? std::string(key) : s.path() + "." + std::string(key);
    return Error(ErrorKind::Usage, "config: " + where + " must be " + expected,
                 "fix it in " + source);
}

}  // namespace

bool Settings::empty() const {
    return !m_impl || !m_impl->table || m_impl->table->empty();
}

bool Settings::contains(std::string_view key) const {
    return lookup(m_impl, key) != nullptr;
}

std::vector<std::string> Settings::keys() const {
    std::vector<std::string> out;
    if (!m_impl || !m_impl->table) return out;
    for (const auto& [k, v] : *m_impl->table)
        out.emplace_back(k.str());
    return out;
}

std::optional<std::string> Settings::string(std::string_view key) const {
    const auto* n = lookup(m_impl, key);
    if (!n) return std::nullopt;
    if (const auto* v = n->as_string()) return v->get();
    throw type_error(*this, key, "a string", m_impl->source);
}

std::optional<std::int64_t> Settings::integer(std::string_view key) const {
    const auto* n = lookup(m_impl, key);
    if (!n) return std::nullopt;
    if (const auto* v = n->as_integer()) return v->get();
    throw type_error(*this, key, "an integer", m_impl->source);
}

std::optional<double> Settings::number(std::string_view key) const {
    const auto* n = lookup(m_impl, key);
    if (!n) return std::nullopt;
    if (const auto* v = n->as_floating_point()) return v->get();
    if (const auto* v = n->as_integer()) return static_cast<double>(v->get());
    throw type_error(*this, key, "a number", m_impl->source);
}

std::optional<bool> Settings::boolean(std::string_view key) const {
    const auto* n = lookup(m_impl, key);
    if (!n) return std::nullopt;
    if (const auto* v = n->as_boolean()) return v->get();
    throw type_error(*this, key, "true or false", m_impl->source);
}

std::optional<std::vector<std::string>> Settings::strings(std::string_view key) const {
    const auto* n = lookup(m_impl, key);
    if (!n) return std::nullopt;
    const auto* a = n->as_array();
    if (!a) throw type_error(*this, key, "an array of strings", m_impl->source);
    std::vector<std::string> out;
    for (const auto& item : *a) {
        const auto* v = item.as_string();
        if (!v) throw type_error(*this, key, "an array of strings", m_impl->source);
        out.push_back(v->get());
    }
    return out;
}

std::chrono::milliseconds Settings::duration(std::string_view key,
                                             std::chrono::milliseconds fallback) const {
    const auto text = string(key);
    if (!text) return fallback;
    try {
        return parse_duration_ms(*text);
    } catch (const Error&) {
        throw type_error(*this, key, "a duration such as \"500ms\", \"12s\" or \"5m\"",
                         m_impl->source);
    }
}

Settings Settings::table(std::string_view key) const {
    Settings child;
    auto impl = std::make_shared<Impl>();
    impl->root = m_impl ? m_impl->root : nullptr;
    impl->source = m_impl ? m_impl->source : std::string();
    impl->path = path().empty() ? std::string(key) : path() + "." + std::string(key);
    if (const auto* n = lookup(m_impl, key)) {
        impl->table = n->as_table();
        if (!impl->table) throw type_error(*this, key, "a table", impl->source);
    }
    child.m_impl = std::move(impl);
    return child;
}

const std::string& Settings::path() const {
    static const std::string empty;
    return m_impl ? m_impl->path : empty;
}

Config Config::parse(std::string_view text, const std::string& source) {
    Config c;
    c.m_source = source;
    auto impl = std::make_shared<Settings::Impl>();
    impl->source = source;
    try {
        auto table = std::make_shared<toml::table>(toml::parse(text, source));
        impl->root = table;
        impl->table = table.get();
    } catch (const toml::parse_error& e) {
        std::ostringstream where;
        where << e.source().begin;
        throw Error(ErrorKind::Usage,
                    "config: " + std::string(e.description()) + " at " + where.str(),
                    "fix " + source);
    }
    c.m_root.m_impl = std::move(impl);
    return c;
}

Config Config::load(const fs::path& file) {
    std::ifstream in(file);
    if (!in) {
        std::error_code ec;
        if (fs::exists(file, ec))
            throw Error(ErrorKind::Other, "cannot read config " + file.string());
        return parse("", file.string());
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str(), file.string());
}

std::string Config::default_provider() const {
    return m_root.string("default_provider").value_or("local");
}

std::optional<Profile> Config::profile(const std::string& name) const {
    const Settings profiles = m_root.table("profiles");
    if (!profiles.contains(name)) return std::nullopt;
    Profile p;
    p.name = name;
    p.settings = profiles.table(name);
    // A profile that names a scheduler and no provider is a queue only (an existing Slurm
    // cluster): it makes no clusters, so it must not fall back to the default provider.
    const bool queue_only = p.settings.contains("scheduler") && !p.settings.contains("provider");
    p.provider = queue_only ? "" : p.settings.string("provider").value_or(default_provider());
    return p;
}

std::vector<std::string> Config::profile_names() const {
    return m_root.table("profiles").keys();
}

Settings Config::provider_settings(const std::string& provider) const {
    return m_root.table("providers").table(provider);
}

}  // namespace core
