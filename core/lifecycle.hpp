#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace core {

enum class State {
    Pending,
    Provisioning,
    Configuring,
    ContainerCreating,
    Running,
    Destroying,
    Destroyed,
    Failed,
};

inline constexpr State k_all_states[] = {
    State::Pending, State::Provisioning, State::Configuring, State::ContainerCreating,
    State::Running, State::Destroying,   State::Destroyed,   State::Failed,
};

const char* to_string(State state);                       // "PENDING", "CONTAINER_CREATING", ...
std::optional<State> parse_state(std::string_view text);  // case-insensitive

// Live states hold (or may hold) resources at the provider; DESTROYED and FAILED are final.
bool is_live(State state);
bool is_final(State state);

struct Transition {
    State from;
    State to;
    const char* when;
};

// The whole instance state machine. Every state change in grid goes through allowed().
std::span<const Transition> transitions();
bool allowed(State from, State to);
const Transition* find_transition(State from, State to);

// A cluster shows the highest-priority status among its instances:
// FAILED > DESTROYING > PENDING > PROVISIONING > CONFIGURING > CONTAINER_CREATING > RUNNING >
// DESTROYED. A cluster without instances is PENDING (it is being created).
State cluster_status(std::span<const State> instance_states);
int status_priority(State state);  // higher wins

// Why a cluster ended. Stored as text so that old databases keep their reasons readable.
enum class EndReason { None, DestroyedByUser, TtlExpired, Idle, JobTeardown, Interrupted, Failed };
const char* to_string(EndReason reason);
std::optional<EndReason> parse_end_reason(std::string_view text);

}  // namespace core
