#include "core/lifecycle.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <utility>

using core::State;

namespace {

// DESIGN §3, written out independently of core/lifecycle's table.
std::set<std::pair<State, State>> expected_allowed() {
    std::set<std::pair<State, State>> s = {
        {State::Pending, State::Provisioning},     {State::Pending, State::Failed},
        {State::Provisioning, State::Configuring}, {State::Configuring, State::ContainerCreating},
        {State::Configuring, State::Running},      {State::ContainerCreating, State::Running},
        {State::Running, State::Configuring},      {State::Destroying, State::Destroyed},
        {State::Provisioning, State::Failed},      {State::Configuring, State::Failed},
        {State::ContainerCreating, State::Failed}, {State::Running, State::Failed},
    };
    for (State live : {State::Pending, State::Provisioning, State::Configuring,
                       State::ContainerCreating, State::Running})
        s.insert({live, State::Destroying});
    return s;
}

}  // namespace

TEST_CASE("every one of the 64 (from / to) pairs is allowed exactly when the design says so",
          "[lifecycle]") {
    const auto allowed = expected_allowed();
    int pairs = 0, accepted = 0;
    for (State from : core::k_all_states) {
        for (State to : core::k_all_states) {
            ++pairs;
            INFO(core::to_string(from) << " -> " << core::to_string(to));
            const bool want = allowed.count({from, to}) != 0;
            CHECK(core::allowed(from, to) == want);
            if (core::allowed(from, to)) ++accepted;
        }
    }
    CHECK(pairs == 64);
    CHECK(accepted == static_cast<int>(allowed.size()));
    CHECK(accepted == 17);
}

TEST_CASE("final states have no way out", "[lifecycle]") {
    for (State to : core::k_all_states) {
        CHECK_FALSE(core::allowed(State::Destroyed, to));
        CHECK_FALSE(core::allowed(State::Failed, to));
    }
    CHECK(core::is_final(State::Destroyed));
    CHECK(core::is_final(State::Failed));
    CHECK(core::is_live(State::Destroying));
}

TEST_CASE("cluster status is the highest-priority instance status", "[lifecycle]") {
    using V = std::vector<State>;
    CHECK(core::cluster_status(V{State::Running, State::Running, State::Configuring}) ==
          State::Configuring);
    CHECK(core::cluster_status(V{State::Running, State::Failed, State::Destroying}) ==
          State::Failed);
    CHECK(core::cluster_status(V{State::Running, State::Destroying}) == State::Destroying);
    CHECK(core::cluster_status(V{State::Provisioning, State::Pending}) == State::Pending);
    CHECK(core::cluster_status(V{State::Destroyed, State::Running}) == State::Running);
    CHECK(core::cluster_status(V{State::ContainerCreating, State::Running}) ==
          State::ContainerCreating);
    CHECK(core::cluster_status(V{State::Destroyed, State::Destroyed}) == State::Destroyed);
    CHECK(core::cluster_status(V{}) == State::Pending);
    // The full order, pairwise.
    const V order{State::Failed,      State::Destroying,        State::Pending, State::Provisioning,
                  State::Configuring, State::ContainerCreating, State::Running, State::Destroyed};
    for (std::size_t i = 0; i < order.size(); ++i)
        for (std::size_t j = i + 1; j < order.size(); ++j)
            CHECK(core::cluster_status(V{order[j], order[i]}) == order[i]);
}

TEST_CASE("state and end reason names round-trip", "[lifecycle]") {
    for (State s : core::k_all_states)
        CHECK(core::parse_state(core::to_string(s)) == s);
    CHECK(core::parse_state("running") == State::Running);
    CHECK(core::parse_state("container_creating") == State::ContainerCreating);
    CHECK_FALSE(core::parse_state("BOOTING"));
    for (auto r :
         {core::EndReason::DestroyedByUser, core::EndReason::TtlExpired, core::EndReason::Idle,
          core::EndReason::JobTeardown, core::EndReason::Interrupted, core::EndReason::Failed})
        CHECK(core::parse_end_reason(core::to_string(r)) == r);
}

TEST_CASE("every transition says when it happens", "[lifecycle]") {
    for (const auto& t : core::transitions()) {
        CHECK(t.when != nullptr);
        CHECK(std::string(t.when).size() > 3);
    }
}
