#pragma once

// A stateful fake of the Lambda Cloud API v1 (the subset grid uses), for tests. Its replies
// follow lambda-cloud-api-v1.10.0.openapi.json; instances can run a real sshd each, on their
// own loopback address, through the local provider's sandbox.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fakes {

struct FakeLambdaOptions {
    // Accepted as "Authorization: Bearer KEY", or Basic with base64 of "KEY:" or the raw KEY.
    std::string api_key = "test-key";
    std::filesystem::path state_dir;  // where instance sandboxes live (required when ssh is on)
    bool ssh = true;                  // start a real sshd per instance (needs root: port 22)
    std::string ssh_user;             // user the instances' sshd lets in; default: the current user
    std::chrono::milliseconds boot_delay{200};       // booting -> active
    std::chrono::milliseconds terminate_delay{200};  // terminating -> gone from lists
    // Launches closer than this get 429 + Retry-After (seconds, rounded up, at least 1).
    std::chrono::milliseconds launch_interval{0};
    // Any two requests closer than this: 429 + Retry-After.
    std::chrono::milliseconds request_interval{0};
    unsigned seed = 1;  // for fault injection
};

// Probabilities per request, 0..1, drawn independently in this order. A stall comes first (the
// request is delayed), then the first of rate_limited, server_error and reset that was drawn.
struct Faults {
    double rate_limited = 0;  // 429 with Retry-After: retry_after_s, code "global/rate-limited"
    double server_error = 0;  // 500 with code "global/internal-error"
    double reset = 0;         // connection cut with no complete reply
    double stall = 0;         // reply delayed by stall_for (then served normally)
    std::chrono::milliseconds stall_for{3000};
    int retry_after_s = 1;
    // If true, a mutating request (a launch, a terminate, an ssh key added or deleted) that
    // draws a 500 or a reset is still carried out before the fault is returned: an ambiguous
    // failure.
    bool faults_after_acting = false;
    // Only requests whose "METHOD /path" starts with this draw faults; empty: every request.
    std::string only;
};

struct FakeInstance {
    std::string id, name, status, type, region, ip, private_ip;
    std::vector<std::string> ssh_key_names, file_system_names;
};

class FakeLambda {
  public:
    explicit FakeLambda(FakeLambdaOptions options);
    ~FakeLambda();  // stops the server, then destroys every sandbox it started
    FakeLambda(const FakeLambda&) = delete;
    FakeLambda& operator=(const FakeLambda&) = delete;

    // Serves on 127.0.0.1 at a free port, from a thread. Throws std::runtime_error when ssh is
    // on and this process is not root ("binding port 22 needs root") or state_dir is missing.
    void start();
    std::string url() const;  // "http://127.0.0.1:PORT"

    void set_faults(const Faults& f);
    void set_capacity(const std::string& type, const std::string& region, int instances);

    // Every instance ever launched, with its current status ("terminated" once gone).
    std::vector<FakeInstance> instances() const;
    // Instances not terminated (booting, active, unhealthy, terminating, preempted: still billed).
    int running() const;
    // How many instances were created per name (duplicates show as > 1).
    std::map<std::string, int> launches_by_name() const;
    // Requests received whose "METHOD /path" starts with the prefix, e.g.
    // requests("GET /api/v1/instances"); every request that reached the server counts, those
    // answered with 401, 429, a fault or an error included.
    int requests(const std::string& method_and_path_prefix) const;

    // Sets an instance's status as the provider would, e.g. "preempted" or "unhealthy";
    // "terminating" starts a termination, "terminated" removes it at once.
    void set_status(const std::string& id, const std::string& status);
    void vanish(const std::string& id);  // gone from the API at once, as if lost

  private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

}  // namespace fakes
