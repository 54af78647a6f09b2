#include "core/ids.hpp"

#include <catch2/catch.hpp>
#include <set>

TEST_CASE("cluster ids are short / unambiguous and do not repeat", "[ids]") {
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        const auto id = core::new_cluster_id();
        REQUIRE(core::is_cluster_id(id));
        REQUIRE(id.find_first_of("ilou") == std::string::npos);
        REQUIRE(!(id[0] >= '0' && id[0] <= '9'));
        seen.insert(id);
    }
    CHECK(seen.size() == 10000);
    CHECK_FALSE(core::is_cluster_id("abc"));
    CHECK_FALSE(core::is_cluster_id("1abcdefg"));
    CHECK_FALSE(core::is_cluster_id("abcdefgi"));
}

TEST_CASE("instance names follow the cluster id", "[ids]") {
    CHECK(core::instance_name("k3m9x2ab", core::Role::Jumphost, -1) == "k3m9x2ab-jumphost");
    CHECK(core::instance_name("k3m9x2ab", core::Role::Worker, 3) == "k3m9x2ab-3");
    auto p = core::parse_instance_name("k3m9x2ab-12");
    REQUIRE(p);
    CHECK(p->cluster == "k3m9x2ab");
    CHECK(p->role == core::Role::Worker);
    CHECK(p->index == 12);
    p = core::parse_instance_name("my-train-jumphost");
    REQUIRE(p);
    CHECK(p->cluster == "my-train");
    CHECK(p->role == core::Role::Jumphost);
    for (const char* bad :
         {"k3m9x2ab", "k3m9x2ab-", "-0", "k3m9x2ab-01", "k3m9x2ab-x", "k3m9x2ab--1"}) {
        INFO(bad);
        CHECK_FALSE(core::parse_instance_name(bad));
    }
}

TEST_CASE("cluster names are checked", "[ids]") {
    CHECK(core::is_valid_name("train-7b"));
    CHECK(core::is_valid_name("a.b_c"));
    CHECK_FALSE(core::is_valid_name(""));
    CHECK_FALSE(core::is_valid_name("-x"));
    CHECK_FALSE(core::is_valid_name("has space"));
    CHECK_FALSE(core::is_valid_name(std::string(64, 'a')));
}
