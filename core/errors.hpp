#pragma once

#include <stdexcept>
#include <string>

namespace core {

// The kinds map one-to-one onto the exit codes of the command-line contract.
enum class ErrorKind {
    Other,
    Usage,
    NotFound,
    InvalidState,
    Provider,
    Auth,
    Timeout,
    Interrupted,
};

int exit_code(ErrorKind kind);

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, std::string message, std::string hint = {})
        : std::runtime_error(std::move(message)), m_kind(kind), m_hint(std::move(hint)) {}

    ErrorKind kind() const { return m_kind; }
    const std::string& hint() const { return m_hint; }

  private:
    ErrorKind m_kind;
    std::string m_hint;
};

}  // namespace core
