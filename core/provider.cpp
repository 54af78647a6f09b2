#include "core/provider.hpp"

namespace core {

const char* to_string(ProviderState state) {
    switch (state) {
        case ProviderState::Booting:
            return "booting";
        case ProviderState::Active:
            return "active";
        case ProviderState::Unhealthy:
            return "unhealthy";
        case ProviderState::Terminating:
            return "terminating";
        case ProviderState::Terminated:
            return "terminated";
        case ProviderState::Preempted:
            return "preempted";
    }
    return "unknown";
}

}  // namespace core
