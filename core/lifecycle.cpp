#include "core/lifecycle.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace core {

namespace {

using S = State;

// seed 002 / DESIGN §3. "any live state -> DESTROYING" is spelled out per state.
constexpr Transition k_table[] = {
    {S::Pending, S::Provisioning, "capacity found"},
    {S::Pending, S::Failed, "no capacity"},
    {S::Provisioning, S::Configuring, "machine up"},
    {S::Configuring, S::ContainerCreating, "a container was requested"},
    {S::Configuring, S::Running, "every node answers ssh"},
    {S::ContainerCreating, S::Running, "container up"},
    {S::Running, S::Configuring, "storage, keys or image changed"},
    {S::Pending, S::Destroying, "destroy requested"},
    {S::Provisioning, S::Destroying, "destroy requested"},
    {S::Configuring, S::Destroying, "destroy requested"},
    {S::ContainerCreating, S::Destroying, "destroy requested"},
    {S::Running, S::Destroying, "destroy requested"},
    {S::Destroying, S::Destroyed, "provider confirms it is gone"},
    {S::Provisioning, S::Failed, "provisioning error, lost or preempted"},
    {S::Configuring, S::Failed, "configuration error, lost or preempted"},
    {S::ContainerCreating, S::Failed, "container error, lost or preempted"},
    {S::Running, S::Failed, "system failure, lost or preempted"},
};

struct Name {
    State state;
    const char* text;
};
constexpr Name k_names[] = {
    {S::Pending, "PENDING"},         {S::Provisioning, "PROVISIONING"},
    {S::Configuring, "CONFIGURING"}, {S::ContainerCreating, "CONTAINER_CREATING"},
    {S::Running, "RUNNING"},         {S::Destroying, "DESTROYING"},
    {S::Destroyed, "DESTROYED"},     {S::Failed, "FAILED"},
};

}  // namespace

const char* to_string(State state) {
    for (const auto& n : k_names)
        if (n.state == state) return n.text;
    return "UNKNOWN";
}

std::optional<State> parse_state(std::string_view text) {
    for (const auto& n : k_names)  // the exact spelling, as stored, first: no copy
        if (text == n.text) return n.state;
    const std::string u = upper(text);
    for (const auto& n : k_names)
        if (u == n.text) return n.state;
    return std::nullopt;
}

bool is_final(State state) {
    return state == S::Destroyed || state == S::Failed;
}
bool is_live(State state) {
    return !is_final(state);
}

std::span<const Transition> transitions() {
    return k_table;
}

const Transition* find_transition(State from, State to) {
    for (const auto& t : k_table)
        if (t.from == from && t.to == to) return &t;
    return nullptr;
}

bool allowed(State from, State to) {
    return find_transition(from, to) != nullptr;
}

int status_priority(State state) {
    switch (state) {
        case S::Failed:
            return 8;
        case S::Destroying:
            return 7;
        case S::Pending:
            return 6;
        case S::Provisioning:
            return 5;
        case S::Configuring:
            return 4;
        case S::ContainerCreating:
            return 3;
        case S::Running:
            return 2;
        case S::Destroyed:
            return 1;
    }
    return 0;
}

State cluster_status(std::span<const State> instance_states) {
    if (instance_states.empty()) return S::Pending;
    return *std::max_element(instance_states.begin(), instance_states.end(), [](State a, State b) {
        return status_priority(a) < status_priority(b);
    });
}

namespace {
struct ReasonName {
    EndReason reason;
    const char* text;
};
constexpr ReasonName k_reasons[] = {
    {EndReason::None, ""},
    {EndReason::DestroyedByUser, "destroyed by user"},
    {EndReason::TtlExpired, "ttl expired"},
    {EndReason::Idle, "idle"},
    {EndReason::JobTeardown, "job teardown"},
    {EndReason::Interrupted, "interrupted"},
    {EndReason::Failed, "failed"},
};
}  // namespace

const char* to_string(EndReason reason) {
    for (const auto& r : k_reasons)
        if (r.reason == reason) return r.text;
    return "";
}

std::optional<EndReason> parse_end_reason(std::string_view text) {
    for (const auto& r : k_reasons)
        if (text == r.text) return r.reason;
    return std::nullopt;
}

}  // namespace core
