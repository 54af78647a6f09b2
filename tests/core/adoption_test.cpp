// Which instances at a provider a refresh records, and how.
#include "core/adoption.hpp"

#include <catch2/catch.hpp>
#include <map>

namespace {

core::Provider::Discovered listed(const std::string& name, const std::string& id,
                                  core::ProviderState state = core::ProviderState::Active) {
    core::Provider::Discovered d;
    d.name = name;
    d.provider_id = id;
    d.type = "gpu_8x_h100_sxm5";
    d.region = "us-east-1";
    d.observation.state = state;
    d.observation.public_ip = "192.0.2." + id.substr(2);
    return d;
}

struct Stored {
    std::map<std::string, core::Cluster> clusters;
    int next = 0;

    core::AdoptionInput input() {
        core::AdoptionInput in;
        in.provider = "lambda";
        in.profile = "lab";
        for (const auto& [id, c] : clusters)
            if (!c.archived)
                for (const auto& i : c.instances)
                    if (!i.provider_id.empty()) in.known_provider_ids.insert(i.provider_id);
        in.find = [this](const std::string& id) -> const core::Cluster* {
            const auto it = clusters.find(id);
            return it == clusters.end() ? nullptr : &it->second;
        };
        in.new_id = [this] { return std::string("mmmmmmm") + std::to_string(next++); };
        in.type_of = [](const std::string& t) -> std::optional<core::InstanceType> {
            if (t != "gpu_8x_h100_sxm5") return std::nullopt;
            core::InstanceType it;
            it.name = "8xH100";
            it.gpu_model = "H100";
            it.gpu_count = 8;
            return it;
        };
        in.now = 1000;
        return in;
    }

    void add(const std::string& id, const std::vector<std::pair<std::string, std::string>>& inst,
             bool archived = false) {
        core::Cluster c;
        c.id = id;
        c.archived = archived;
        for (const auto& [name, pid] : inst) {
            core::Instance i;
            i.id = name;
            i.cluster_id = id;
            i.provider_id = pid;
            i.state = pid.empty() ? core::State::Pending : core::State::Running;
            c.instances.push_back(i);
        }
        clusters[id] = c;
    }
};

}  // namespace

TEST_CASE("known instances and other names are left alone", "[adoption]") {
    Stored s;
    s.add("abcdefgh", {{"abcdefgh-0", "i-1"}});
    const auto a = core::plan_adoption(
        {listed("abcdefgh-0", "i-1"), listed("my-own-box", "i-2"), listed("Abc-0", "i-3"),
         listed("zyxwvtsr-0", "i-4", core::ProviderState::Terminated)},
        s.input());
    CHECK(a.found.empty());
    CHECK(a.clusters.empty());
}

TEST_CASE("a multi-node cluster unknown to the store becomes one record", "[adoption]") {
    Stored s;
    const auto a = core::plan_adoption({listed("kmnpqrst-1", "i-11"), listed("kmnpqrst-0", "i-10"),
                                        listed("kmnpqrst-jumphost", "i-12")},
                                       s.input());
    REQUIRE(a.clusters.size() == 1);
    const auto& c = a.clusters[0];
    CHECK(c.id == "kmnpqrst");
    CHECK(c.name.empty());
    CHECK(c.provider == "lambda");
    CHECK(c.profile == "lab");
    CHECK(c.region == "us-east-1");
    CHECK(c.type == "8xH100");
    CHECK(c.nodes == 2);
    REQUIRE(c.instances.size() == 3);
    CHECK(c.instances[0].id == "kmnpqrst-jumphost");
    CHECK(c.instances[0].provider_id == "i-12");
    CHECK(c.instances[1].id == "kmnpqrst-0");
    CHECK(c.instances[1].gpu_count == 8);
    CHECK(c.instances[2].id == "kmnpqrst-1");
    CHECK(c.instances[2].public_ip == "192.0.2.11");
    for (const auto& i : c.instances)
        CHECK(i.state == core::State::Pending);
}

TEST_CASE("a launch whose reply was lost goes to its own record", "[adoption]") {
    Stored s;
    s.add("abcdefgh", {{"abcdefgh-jumphost", "i-1"}, {"abcdefgh-0", ""}, {"abcdefgh-1", "i-3"}});
    const auto a =
        core::plan_adoption({listed("abcdefgh-0", "i-2"), listed("abcdefgh-1", "i-3")}, s.input());
    REQUIRE(a.found.size() == 1);
    CHECK(a.found[0].instance_id == "abcdefgh-0");
    CHECK(a.found[0].provider_id == "i-2");
    CHECK(a.clusters.empty());
}

TEST_CASE("a duplicate or a reused id gets a record of its own", "[adoption]") {
    Stored s;
    s.add("abcdefgh", {{"abcdefgh-0", "i-1"}});
    s.add("bcdefghj", {{"bcdefghj-0", "i-5"}}, /*archived=*/true);
    const auto a = core::plan_adoption(
        {listed("abcdefgh-0", "i-1"), listed("abcdefgh-0", "i-2"), listed("bcdefghj-0", "i-5"),
         listed("cdefghjk-0", "i-6"), listed("cdefghjk-0", "i-7")},
        s.input());
    CHECK(a.found.empty());
    std::map<std::string, std::string> by_pid;  // provider id -> (name, id)
    for (const auto& c : a.clusters) {
        REQUIRE(c.instances.size() == 1);
        by_pid[c.instances[0].provider_id] = c.name + "/" + c.id;
    }
    CHECK(by_pid.size() == 4);
    CHECK(by_pid["i-2"].rfind("found-abcdefgh/mmmmmmm", 0) == 0);  // the store's id is taken
    CHECK(by_pid["i-5"].rfind("found-bcdefghj/mmmmmmm", 0) == 0);  // an archived record's id, too
    // Two machines under one name: one keeps the id, the other gets a new one.
    const bool first_kept = by_pid["i-6"] == "/cdefghjk";
    CHECK((first_kept ? by_pid["i-7"] : by_pid["i-6"]).rfind("found-cdefghjk/mmmmmmm", 0) == 0);
    CHECK((by_pid["i-6"] == "/cdefghjk" || by_pid["i-7"] == "/cdefghjk"));
}
