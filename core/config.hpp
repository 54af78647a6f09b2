#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace core {

// Where grid keeps its files. GRID_CONFIG and GRID_STATE_DIR override the XDG locations.
struct Paths {
    std::filesystem::path config_file;
    std::filesystem::path state_dir;

    std::filesystem::path db() const { return state_dir / "grid.db"; }
    std::filesystem::path cluster_dir(const std::string& cluster_id) const {
        return state_dir / "clusters" / cluster_id;
    }
};

// `config_override` is --config when given.
Paths resolve_paths(const std::optional<std::string>& config_override);

// A read-only view of one table of the config file. Accessors throw core::Error (Usage) naming
// the key when a value has the wrong type, so a typo in the file is reported where it is.
class Settings {
  public:
    Settings();
    ~Settings();
    Settings(const Settings&);
    Settings& operator=(const Settings&);

    bool empty() const;
    bool contains(std::string_view key) const;
    std::vector<std::string> keys() const;
    std::optional<std::string> string(std::string_view key) const;
    std::optional<std::int64_t> integer(std::string_view key) const;
    std::optional<double> number(std::string_view key) const;  // an integer or a float
    std::optional<bool> boolean(std::string_view key) const;
    std::optional<std::vector<std::string>> strings(std::string_view key) const;  // an array
    // A duration such as "12s" or "500ms" (core/duration), or `fallback` when absent.
    std::chrono::milliseconds duration(std::string_view key,
                                       std::chrono::milliseconds fallback) const;
    Settings table(std::string_view key) const;  // empty view when absent
    const std::string& path() const;             // "providers.local", for messages

    struct Impl;  // opaque: keeps toml++ out of this header

  private:
    friend class Config;
    std::shared_ptr<const Impl> m_impl;
};

struct Profile {
    std::string name;
    std::string provider;  // empty: a queue only (scheduler = "slurm" and no provider)
    Settings settings;
};

class Config {
  public:
    // A missing file is an empty configuration: grid works with no config at all.
    static Config load(const std::filesystem::path& file);
    static Config parse(std::string_view text, const std::string& source);

    const std::string& source() const { return m_source; }
    Settings root() const { return m_root; }

    std::string default_provider() const;  // "local" unless the file says otherwise
    std::optional<Profile> profile(const std::string& name) const;
    std::vector<std::string> profile_names() const;
    // [providers.NAME]: the defaults for a provider used without a profile.
    Settings provider_settings(const std::string& provider) const;

  private:
    std::string m_source;
    Settings m_root;
};

}  // namespace core
