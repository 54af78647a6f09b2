#include "bench/seed.hpp"

#include <string>

#include "core/duration.hpp"
#include "core/ids.hpp"
#include "core/store.hpp"

namespace bench {

void seed_store(const std::filesystem::path& db, int count) {
    core::Store store = core::Store::open(db);
    const std::int64_t now = core::now_unix();
    for (int n = 0; n < count; ++n) {
        core::Cluster c;
        c.id = core::new_cluster_id();
        c.name = n % 3 == 0 ? "train-" + std::to_string(n) : "";
        c.provider = "local";
        c.type = n % 2 ? "8xH100" : "1xH100";
        c.nodes = n % 4 == 0 ? 2 : 1;
        c.topology = c.nodes > 1 ? core::Topology::Jumphost : core::Topology::Single;
        c.created_at = now - (count - n) * 60;
        c.labels = {{"team", n % 2 ? "vision" : "nlp"}};
        if (n % 5 == 0) c.expires_at = now + 3600;
        if (c.nodes > 1) {
            core::Instance j;
            j.id = core::instance_name(c.id, core::Role::Jumphost, -1);
            j.cluster_id = c.id;
            j.role = core::Role::Jumphost;
            j.index = -1;
            c.instances.push_back(j);
        }
        for (int i = 0; i < c.nodes; ++i) {
            core::Instance w;
            w.id = core::instance_name(c.id, core::Role::Worker, i);
            w.cluster_id = c.id;
            w.index = i;
            w.gpu_model = "H100";
            w.gpu_count = n % 2 ? 8 : 1;
            c.instances.push_back(w);
        }
        store.insert_cluster(c);
        // Most clusters have lived and ended; some run; a few failed.
        for (const auto& i : c.instances) {
            store.transition(i.id, core::State::Pending, core::State::Provisioning,
                             "capacity found");
            store.transition(i.id, core::State::Provisioning, core::State::Configuring,
                             "machine up");
            store.transition(i.id, core::State::Configuring, core::State::Running, "answers ssh");
            if (n % 10 == 0) continue;
            if (n % 10 == 1) {
                store.transition(i.id, core::State::Running, core::State::Failed, "lost");
                continue;
            }
            store.transition(i.id, core::State::Running, core::State::Destroying,
                             "destroy requested");
            store.transition(i.id, core::State::Destroying, core::State::Destroyed, "gone");
        }
    }
}

}  // namespace bench
