#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace test {

// Prism's validating proxy (`prism proxy --errors`) in front of a server, with the Lambda
// spec kept in tests/data: every request and reply that crosses it is checked against the
// spec. The test setup installs Prism from npm; where it could not, the constructor skips the
// test with the reason.
class Prism {
  public:
    explicit Prism(const std::string& upstream_url);
    ~Prism();  // stops the proxy (by pid)
    Prism(const Prism&) = delete;
    Prism& operator=(const Prism&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    // What Prism found wrong so far: lines of severity error (and, unless allowed, the
    // warnings for status codes the spec does not list, which injected faults cause).
    std::vector<std::string> violations(bool allow_undocumented_status = false) const;
    std::string log() const;

  private:
    int m_pid = 0;
    int m_port = 0;
    std::filesystem::path m_log;
};

// Where the test setup put Prism: "" and `why` filled when it is not there.
std::string prism_binary(std::string& why);

}  // namespace test
