#include "backends/http/http.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <thread>

#include "core/process.hpp"
#include "tests/support/support.hpp"

using namespace std::chrono_literals;
using backends::http::Client;
using backends::http::Options;
using backends::http::Request;

namespace {

// An httplib server on a free loopback port, served from a thread for the test's lifetime.
class Server {
  public:
    httplib::Server http;

    Server() = default;
    ~Server() {
        http.stop();
        if (m_thread.joinable()) m_thread.join();
    }
    void start() {
        m_port = http.bind_to_any_port("127.0.0.1");
        REQUIRE(m_port > 0);
        m_thread = std::thread([this] { http.listen_after_bind(); });
        // The socket listens once bound: connections wait in its backlog until accepted.
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + path;
    }

  private:
    int m_port = 0;
    std::thread m_thread;
};

// A bare TCP server for what an HTTP library will not do on purpose: each connection gets the
// request text read, then whatever `reply` decides (nothing and a reset, or raw bytes).
class RawServer {
  public:
    using Reply = std::function<std::string(const std::string& request, int connection)>;

    explicit RawServer(Reply reply) : m_reply(std::move(reply)) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        socklen_t len = sizeof a;
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        REQUIRE(::listen(m_fd, 16) == 0);
        m_thread = std::thread([this] { serve(); });
    }
    ~RawServer() {
        m_stop = true;
        ::shutdown(m_fd, SHUT_RDWR);
        ::close(m_fd);
        m_thread.join();
    }
    int port() const { return m_port; }
    int connections() const { return m_connections; }
    std::string last_request() const {
        std::lock_guard lock(m_mutex);
        return m_last;
    }

  private:
    void serve() {
        while (!m_stop) {
            const int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            const int n = ++m_connections;
            std::string request;
            char buf[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                const auto got = ::read(c, buf, sizeof buf);
                if (got <= 0) break;
                request.append(buf, static_cast<size_t>(got));
            }
            {
                std::lock_guard lock(m_mutex);
                m_last = request;
            }
            const std::string out = m_reply(request, n);
            if (out.empty()) {
                linger l{1, 0};  // close with a reset, as a crashed server would
                ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            } else {
                (void)!::write(c, out.data(), out.size());
            }
            ::close(c);
        }
    }

    Reply m_reply;
    int m_fd = -1;
    int m_port = 0;
    std::atomic<int> m_connections{0};
    std::atomic<bool> m_stop{false};
    mutable std::mutex m_mutex;
    std::string m_last;
    std::thread m_thread;
};

Options fast_options() {
    Options o;
    o.backoff_base = 10ms;
    o.backoff_max = 50ms;
    o.connect_timeout = 2s;
    o.timeout = 5s;
    return o;
}

}  // namespace

TEST_CASE("Retry-After: seconds or an HTTP date", "[http]") {
    using backends::http::parse_retry_after;
    CHECK(parse_retry_after("3", 0) == 3000ms);
    CHECK(parse_retry_after(" 0 ", 0) == 0ms);
    // Sun, 06 Nov 1994 08:49:37 GMT is 784111777.
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770) == 7000ms);
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111790) == 0ms);  // past
    CHECK_FALSE(parse_retry_after("soon", 0));
    CHECK_FALSE(parse_retry_after("", 0));
    CHECK_FALSE(parse_retry_after("-5", 0));
}

TEST_CASE("backoff grows exponentially under a cap / jitter spreads it", "[http]") {
    using backends::http::backoff_delay;
    CHECK(backoff_delay(1, 100ms, 10s, 1.0) == 100ms);
    CHECK(backoff_delay(2, 100ms, 10s, 1.0) == 200ms);
    CHECK(backoff_delay(5, 100ms, 10s, 1.0) == 1600ms);
    CHECK(backoff_delay(30, 100ms, 10s, 1.0) == 10s);
    CHECK(backoff_delay(5, 100ms, 10s, 0.5) == 800ms);
    CHECK(backoff_delay(5, 100ms, 10s, 0.0) == 0ms);
}

TEST_CASE("redaction takes credentials out of trace lines", "[http]") {
    using backends::http::redact;
    CHECK(redact("Authorization: Bearer abc123secret", {}) == "Authorization: <redacted>");
    CHECK(redact("authorization: Basic Zm9v", {}) == "authorization: <redacted>");
    CHECK(redact("GET /x?key=k-0123456789", {"k-0123456789"}) == "GET /x?key=<redacted>");
    CHECK(redact(R"({"name":"a","jupyter_token":"t0k3n","private_key":"-----BEGIN"})", {}) ==
          R"({"name":"a","jupyter_token":"<redacted>","private_key":"<redacted>"})");
    CHECK(redact(R"({"user_data": "#cloud-config\n"})", {}) == R"({"user_data": "<redacted>"})");
    CHECK(redact(R"({"tokens_used": 3})", {}) == R"({"tokens_used": 3})");  // not a string
    CHECK(redact("Content-Type: application/json", {}) == "Content-Type: application/json");
}

TEST_CASE("a request gets its reply / the connection is reused", "[http]") {
    Server s;
    std::string seen_auth, seen_body;
    s.http.Get("/v1/things", [](const httplib::Request&, httplib::Response& res) {
        res.set_header("X-Thing", "yes");
        res.set_content(R"({"data":[1,2]})", "application/json");
    });
    s.http.Post("/v1/launch", [&](const httplib::Request& req, httplib::Response& res) {
        seen_auth = req.get_header_value("Authorization");
        seen_body = req.body;
        res.status = 201;
        res.set_content("{}", "application/json");
    });
    s.start();
    Client c(fast_options());
    const auto r = c.send({"GET", s.url("/v1/things"), {}, {}, true});
    CHECK(r.status == 200);
    CHECK(r.body == R"({"data":[1,2]})");
    CHECK(r.header("x-thing") == "yes");
    CHECK(r.header("X-Thing") == "yes");
    CHECK(r.attempts == 1);
    CHECK(r.new_connections == 1);
    const auto p = c.send({"POST",
                           s.url("/v1/launch"),
                           {{"Authorization", "Bearer k"}, {"Content-Type", "application/json"}},
                           R"({"a":1})",
                           false});
    CHECK(p.status == 201);
    CHECK(p.new_connections == 0);  // the same keep-alive connection
    CHECK(seen_auth == "Bearer k");
    CHECK(seen_body == R"({"a":1})");
}

TEST_CASE("429 with Retry-After is waited out and retried", "[http]") {
    Server s;
    std::atomic<int> calls{0};
    s.http.Get("/limited", [&](const httplib::Request&, httplib::Response& res) {
        if (++calls == 1) {
            res.status = 429;
            res.set_header("Retry-After", "1");
            res.set_content(R"({"error":{"code":"global/rate-limited"}})", "application/json");
            return;
        }
        res.set_content("ok", "text/plain");
    });
    s.start();
    Client c(fast_options());
    const auto started = std::chrono::steady_clock::now();
    const auto r = c.send({"GET", s.url("/limited"), {}, {}, true});
    CHECK(r.status == 200);
    CHECK(r.attempts == 2);
    CHECK(std::chrono::steady_clock::now() - started >= 1s);  // the header, not the 10 ms backoff
}

TEST_CASE("5xx is retried for idempotent requests / the last reply is returned", "[http]") {
    Server s;
    std::atomic<int> calls{0};
    s.http.Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
        res.status = ++calls <= 2 ? 503 : 200;
    });
    s.http.Get("/down", [&](const httplib::Request&, httplib::Response& res) { res.status = 500; });
    s.start();
    Client c(fast_options());
    const auto r = c.send({"GET", s.url("/flaky"), {}, {}, true});
    CHECK(r.status == 200);
    CHECK(r.attempts == 3);
    auto o = fast_options();
    o.max_attempts = 3;
    Client limited(o);
    const auto down = limited.send({"GET", s.url("/down"), {}, {}, true});
    CHECK(down.status == 500);
    CHECK(down.attempts == 3);

    // For a server whose 500s are answers: one attempt for a 500, still retries for a 503.
    o.retry_500 = false;
    Client answers(o);
    CHECK(answers.send({"GET", s.url("/down"), {}, {}, true}).attempts == 1);
    calls = 0;
    CHECK(answers.send({"GET", s.url("/flaky"), {}, {}, true}).attempts == 3);
}

TEST_CASE("a launch is not sent twice on an uncertain failure", "[http]") {
    Server s;
    std::atomic<int> posts{0};
    s.http.Post("/launch", [&](const httplib::Request&, httplib::Response& res) {
        ++posts;
        res.status = 500;
    });
    std::atomic<int> limited{0};
    s.http.Post("/limited", [&](const httplib::Request&, httplib::Response& res) {
        res.status = ++limited == 1 ? 429 : 200;
    });
    s.start();
    Client c(fast_options());
    CHECK_THROWS_AS(c.send({"POST", s.url("/launch"), {}, "{}", false}),
                    backends::http::UncertainError);
    CHECK(posts == 1);
    // A 429 means the server did not act: that one is retried.
    const auto r = c.send({"POST", s.url("/limited"), {}, "{}", false});
    CHECK(r.status == 200);
    CHECK(limited == 2);
}

TEST_CASE("a reset connection is retried / unless the request may have acted", "[http]") {
    RawServer raw([](const std::string&, int n) -> std::string {
        if (n == 1) return {};  // reset, no reply
        return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    });
    Client c(fast_options());
    const std::string url = "http://127.0.0.1:" + std::to_string(raw.port()) + "/x";
    const auto r = c.send({"GET", url, {}, {}, true});
    CHECK(r.status == 200);
    CHECK(r.body == "ok");
    CHECK(r.attempts == 2);

    RawServer resets([](const std::string&, int) { return std::string(); });
    const std::string url2 = "http://127.0.0.1:" + std::to_string(resets.port()) + "/launch";
    CHECK_THROWS_AS(c.send({"POST", url2, {}, "{}", false}), backends::http::UncertainError);
    CHECK(resets.connections() == 1);
}

TEST_CASE("a stalled reply times out and is retried", "[http]") {
    Server s;
    std::atomic<int> calls{0};
    s.http.Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
        if (++calls == 1) std::this_thread::sleep_for(1500ms);
        res.set_content("done", "text/plain");
    });
    s.start();
    auto o = fast_options();
    o.timeout = 300ms;
    Client c(o);
    const auto r = c.send({"GET", s.url("/slow"), {}, {}, true});
    CHECK(r.body == "done");
    CHECK(r.attempts == 2);
}

TEST_CASE("nobody listening: a provider error after the retries", "[http]") {
    int port = 0;
    {
        RawServer probe([](const std::string&, int) { return std::string(); });
        port = probe.port();
    }  // closed: nothing listens there now
    auto o = fast_options();
    o.max_attempts = 3;
    Client c(o);
    try {
        c.send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, {}, true});
        FAIL("no error");
    } catch (const core::Error& e) {
        CHECK(e.kind() == core::ErrorKind::Provider);
        CHECK(std::string(e.what()).find("no reply from http://127.0.0.1:") == 0);
        CHECK(std::string(e.what()).find("(3 attempts)") != std::string::npos);
        CHECK_FALSE(e.hint().empty());
    }
    // Never connected: even a launch is safe to retry, and fails the same way.
    CHECK_THROWS_AS(
        c.send({"POST", "http://127.0.0.1:" + std::to_string(port) + "/", {}, "{}", false}),
        core::Error);
}

TEST_CASE("the trace shows the exchange without the credentials", "[http]") {
    Server s;
    s.http.Get("/me", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"data":{"name":"n","jupyter_token":"jt-555"}})", "application/json");
    });
    s.start();
    std::vector<std::string> lines;
    auto o = fast_options();
    o.secrets = {"sk-live-0123456789"};
    o.trace = [&](const std::string& line) { lines.push_back(line); };
    Client c(o);
    c.send({"GET",
            s.url("/me?k=sk-live-0123456789"),
            {{"Authorization", "Bearer sk-live-0123456789"}},
            {},
            true});
    c.send({"GET", s.url("/me"), {{"Authorization", "Bearer sk-live-0123456789"}}, {}, true});
    std::string all;
    for (const auto& l : lines)
        all += l + "\n";
    INFO(all);
    CHECK(all.find("> GET /me") != std::string::npos);
    CHECK(all.find("< HTTP/1.1 200") != std::string::npos);
    CHECK(all.find("Authorization: <redacted>") != std::string::npos);
    CHECK(all.find("jupyter_token\":\"<redacted>\"") != std::string::npos);
    CHECK(all.find("sk-live") == std::string::npos);
    CHECK(all.find("jt-555") == std::string::npos);
}

TEST_CASE("the proxy from the environment is used", "[http]") {
    RawServer proxy([](const std::string&, int) -> std::string {
        return "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy";
    });
    const std::string address = "http://127.0.0.1:" + std::to_string(proxy.port());
    ::setenv("http_proxy", address.c_str(), 1);
    ::unsetenv("no_proxy");
    ::unsetenv("NO_PROXY");
    Client c(fast_options());
    const auto r = c.send({"GET", "http://api.example.invalid/v1/x", {}, {}, true});
    ::unsetenv("http_proxy");
    CHECK(r.body == "via proxy");
    // A proxy gets the whole URL in the request line.
    CHECK(proxy.last_request().rfind("GET http://api.example.invalid/v1/x HTTP/1.1", 0) == 0);
}

TEST_CASE("certificates are always verified", "[http]") {
    if (!test::have_program("openssl")) test::skip("openssl is not installed");
    test::TempDir dir;
    core::RunOptions ro;
    ro.timeout = 30s;
    const auto key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
    REQUIRE(core::run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                       "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                       "-days", "1", "-subj", "/CN=127.0.0.1"},
                      ro)
                .exit_code == 0);
    int port = 0;
    {
        RawServer probe([](const std::string&, int) { return std::string(); });
        port = probe.port();
    }
    const pid_t pid = core::spawn_detached(
        {"openssl", "s_server", "-quiet", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
         cert, "-key", key, "-www"},
        {}, "/dev/null");
    auto o = fast_options();
    o.max_attempts = 20;  // while s_server starts, connections are refused and retried
    Client c(o);
    try {
        c.send({"GET", "https://127.0.0.1:" + std::to_string(port) + "/", {}, {}, true});
        core::stop_process(pid, 2s);
        FAIL("a self-signed certificate was accepted");
    } catch (const core::Error& e) {
        core::stop_process(pid, 2s);
        CHECK(e.kind() == core::ErrorKind::Provider);
        CHECK(e.hint().find("certificate") != std::string::npos);
    }
}

TEST_CASE("a cancelled client stops waiting between attempts", "[http]") {
    Server s;
    s.http.Get("/limited", [](const httplib::Request&, httplib::Response& res) {
        res.status = 429;
        res.set_header("Retry-After", "30");
    });
    s.start();
    std::atomic<bool> stop{false};
    auto o = fast_options();
    o.cancelled = [&] { return stop.load(); };
    Client c(o);
    std::thread t([&] {
        std::this_thread::sleep_for(300ms);
        stop = true;
    });
    const auto started = std::chrono::steady_clock::now();
    try {
        c.send({"GET", s.url("/limited"), {}, {}, true});
        FAIL("not interrupted");
    } catch (const core::Error& e) {
        CHECK(e.kind() == core::ErrorKind::Interrupted);
    }
    t.join();
    CHECK(std::chrono::steady_clock::now() - started < 5s);
}
