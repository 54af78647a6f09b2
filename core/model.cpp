#include "core/model.hpp"

namespace core {

State Cluster::status() const {
    std::vector<State> states;
    states.reserve(instances.size());
    for (const auto& i : instances)
        states.push_back(i.state);
    return cluster_status(states);
}

}  // namespace core
