#pragma once

#include <string>

#include "core/lifecycle.hpp"

namespace core {

// How the core reports what it is doing; the command line decides what to show and where.
class Observer {
  public:
    virtual ~Observer() = default;
    virtual void on_transition(const std::string& /*instance_id*/, State /*from*/, State /*to*/,
                               const std::string& /*reason*/) {}
    virtual void on_progress(const std::string& /*message*/) {}
    virtual void on_warning(const std::string& /*message*/) {}
    // Backends' traffic (-vv). tracing() says whether anyone listens, so nothing is formatted
    // for nobody.
    virtual bool tracing() const { return false; }
    virtual void on_trace(const std::string& /*line*/) {}
};

// Set by the command line's SIGINT handler; long operations check it between steps.
bool interrupted();
void set_interrupted(bool value = true);

}  // namespace core
