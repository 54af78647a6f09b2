#include "core/errors.hpp"

namespace core {

int exit_code(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Other:
            return 1;
        case ErrorKind::Usage:
            return 2;
        case ErrorKind::NotFound:
            return 3;
        case ErrorKind::InvalidState:
            return 4;
        case ErrorKind::Provider:
            return 5;
        case ErrorKind::Auth:
            return 6;
        case ErrorKind::Timeout:
            return 7;
        case ErrorKind::Interrupted:
            return 130;
    }
    return 1;
}

}  // namespace core
