#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace core {

// Cluster ids are 8 characters of a lower-case alphabet without look-alikes, starting with a
// letter so that an id never reads as a number (Slurm job ids are numbers).
std::string new_cluster_id();
bool is_cluster_id(std::string_view text);

enum class Role { Jumphost, Worker };
const char* to_string(Role role);

// Instances are named after their cluster: "{id}-jumphost" and "{id}-0".."{id}-(N-1)".
std::string instance_name(std::string_view cluster_id, Role role, int index);

struct InstanceName {
    std::string cluster;  // the part before the role, not checked to be an id
    Role role;
    int index;  // -1 for the jumphost
};
std::optional<InstanceName> parse_instance_name(std::string_view text);

// User-chosen cluster names: 1-63 of [A-Za-z0-9._-], starting with a letter or digit.
bool is_valid_name(std::string_view text);
inline constexpr std::size_t k_max_name_length = 63;
// Throws core::Error (Usage) saying what is wrong with a cluster name: not valid as above, or
// one that would read as something else where a CLUSTER or INSTANCE is typed: a cluster id
// ("k3m9x2ab"), or an instance ("train-0", "train-jumphost"). Whether another cluster uses it
// is the store's to say.
void check_cluster_name(std::string_view text);

}  // namespace core
