#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/errors.hpp"

// The one HTTP client of grid. libcurl is loaded on first use, so commands that never talk
// to a cloud (`--help`, `cluster list`) do not pay for it at start-up; no curl type is visible
// here.
namespace backends::http {

struct Request {
    std::string method = "GET";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Whether sending it twice is harmless. One that is not (a launch) is retried only when the
    // server surely did not act on it: a 429, or no connection made.
    bool idempotent = true;
};

struct Response {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::string body;
    int attempts = 1;
    long new_connections = 0;  // connections opened for the last attempt; 0: one was reused

    std::optional<std::string> header(std::string_view name) const;
};

// No reply, or a reply cut short, to a request that is not idempotent: the server may or may not
// have acted on it. The caller finds out (a launch looks for its instance by name).
class UncertainError : public core::Error {
  public:
    explicit UncertainError(std::string message)
        : core::Error(core::ErrorKind::Provider, std::move(message)) {}
};

struct Options {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{60'000};  // one attempt, all of it
    // With 40 % of replies failing (a bad minute at a provider), 6 would give up on one
    // request in 250; the deadline below still bounds the wait.
    int max_attempts = 10;
    std::chrono::milliseconds backoff_base{500};
    std::chrono::milliseconds backoff_max{20'000};
    // No retry is started that would end past this, counted from the first attempt.
    std::chrono::milliseconds deadline{180'000};
    // Whether a 500 is worth another try. Some servers (slurmrestd) answer every error with a
    // 500 and a document that says what went wrong: asking again changes nothing.
    bool retry_500 = true;
    std::string user_agent = "grid";
    // Lines for -vv. Header values such as Authorization, the secrets below and secret-looking
    // JSON fields are replaced with "<redacted>" before a line is handed over.
    std::function<void(const std::string&)> trace;
    std::vector<std::string> secrets;
    // Asked between attempts and while waiting: true stops with ErrorKind::Interrupted. An
    // attempt in flight is finished first, so that its outcome is known.
    std::function<bool()> cancelled;
    // Around every attempt, retries included, with libcurl already loaded: where a rate
    // limit's pacing goes (backends/http/pacer.hpp).
    std::function<void()> before_attempt;
    std::function<void()> after_attempt;
};

class Client {
  public:
    explicit Client(Options options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Sends with retries on 429 (honouring Retry-After), 5xx, and connection failures, with
    // exponential backoff and jitter. Returns the last reply, whatever its status; throws
    // core::Error (Provider) when no reply came at all, UncertainError as explained above.
    Response send(const Request& request);

    Options& options() { return m_options; }

  private:
    struct Impl;
    Options m_options;
    Impl* m_impl = nullptr;
};

// How long a Retry-After header asks to wait: delta-seconds or an HTTP date.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_unix);
// The delay before retry number `attempt` (1-based): full jitter over an exponential ceiling.
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds base,
                                        std::chrono::milliseconds max, double random01);
// A trace line with secrets taken out (see Options::trace).
std::string redact(std::string_view text, const std::vector<std::string>& secrets);

}  // namespace backends::http
