#include "backends/http/http.hpp"
#include "core/memory.hpp"
#include "core/text.hpp"

#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>
#include <random>
#include <thread>

namespace backends::http {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// libcurl and what it pulls in (TLS, HTTP/2, SSH, LDAP, Kerberos...) is several dozen shared
// objects: loading them at every start would cost a fast command like `grid cluster list` more
// than all its own work. So it is opened here, the first time a request is sent.
struct Curl {
    bool ok = false;
    std::string error;
    CURLcode (*global_init)(long) = nullptr;
    CURL* (*easy_init)() = nullptr;
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
    CURLcode (*easy_perform)(CURL*) = nullptr;
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
    void (*easy_cleanup)(CURL*) = nullptr;
    void (*easy_reset)(CURL*) = nullptr;
    const char* (*easy_strerror)(CURLcode) = nullptr;
    curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
    void (*slist_free_all)(curl_slist*) = nullptr;
};

template <typename F>
bool load(void* lib, const char* name, F& fn) {
    fn = reinterpret_cast<F>(::dlsym(lib, name));
    return fn != nullptr;
}

const Curl& curl() {
    static Curl c;
    static std::once_flag once;
    std::call_once(once, [] {
        void* lib = nullptr;
        for (const char* name : {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"})
            if ((lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
        if (!lib) {
            const char* e = ::dlerror();
            c.error = e ? e : "libcurl.so.4 not found";
            return;
        }
        const bool all = load(lib, "curl_global_init", c.global_init) &&
                         load(lib, "curl_easy_init", c.easy_init) &&
                         load(lib, "curl_easy_setopt", c.easy_setopt) &&
                         load(lib, "curl_easy_perform", c.easy_perform) &&
                         load(lib, "curl_easy_getinfo", c.easy_getinfo) &&
                         load(lib, "curl_easy_cleanup", c.easy_cleanup) &&
                         load(lib, "curl_easy_reset", c.easy_reset) &&
                         load(lib, "curl_easy_strerror", c.easy_strerror) &&
                         load(lib, "curl_slist_append", c.slist_append) &&
                         load(lib, "curl_slist_free_all", c.slist_free_all);
        if (!all) {
            c.error = "libcurl lacks a function grid needs";
            return;
        }
        if (c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            c.error = "libcurl failed to initialise";
            return;
        }
        c.ok = true;
    });
    return c;
}

// What one attempt produced: a reply, or libcurl's reason for having none.
struct Attempt {
    CURLcode code = CURLE_OK;
    std::string error;
    bool sent = false;  // any byte of the request left this machine
    Response response;
    long new_connections = 0;
};

struct Transfer {
    Response* response = nullptr;
    const Options* options = nullptr;
    bool cancellable = false;
};

constexpr std::size_t k_max_body = 256u << 20;  // a reply larger than this is not an API's
constexpr long k_read_size = 256L << 10;

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (t->response->body.size() + n > k_max_body) return 0;  // aborts the transfer
    t->response->body.append(data, n);
    return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    const std::string_view line(data, n);
    if (line.rfind("HTTP/", 0) == 0) {
        t->response->headers.clear();  // a new reply (after a 100 Continue, say)
        return n;
    }
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        t->response->headers.emplace_back(core::lower(line.substr(0, colon)),
                                          core::trim(line.substr(colon + 1)));
        // A large reply is stored once, not copied as it grows (a queue of thousands of jobs
        // is megabytes).
        const auto& [name, value] = t->response->headers.back();
        if (name == "content-length") {
            const auto length = std::strtoull(value.c_str(), nullptr, 10);
            if (length > 0 && length <= k_max_body) {
                t->response->body.reserve(length);
                core::prepare_block(t->response->body.data(), length);
            }
        }
    }
    return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    return (t->cancellable && t->options->cancelled && t->options->cancelled()) ? 1 : 0;
}

int on_debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const char* prefix = nullptr;
    switch (type) {
        case CURLINFO_TEXT:
            prefix = "* ";
            break;
        case CURLINFO_HEADER_OUT:
            prefix = "> ";
            break;
        case CURLINFO_HEADER_IN:
            prefix = "< ";
            break;
        case CURLINFO_DATA_OUT:
            prefix = "> body: ";
            break;
        case CURLINFO_DATA_IN:
            prefix = "< body: ";
            break;
        default:
            return 0;
    }
    std::string_view text(data, size);
    const bool body = type == CURLINFO_DATA_OUT || type == CURLINFO_DATA_IN;
    if (body && text.size() > 2000) text = text.substr(0, 2000);
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = body ? text.size() : text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string line = core::trim(text.substr(start, end - start));
        if (!line.empty()) t->options->trace(prefix + redact(line, t->options->secrets));
        start = end + 1;
    }
    return 0;
}

bool retryable_status(int status) {
    return status == 429 || (status >= 500 && status <= 599);
}

// No reply, but worth another try: the network or the server may recover.
bool retryable_code(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return true;
        default:
            return false;
    }
}

std::string host_of(const std::string& url) {
    const auto scheme = url.find("://");
    const auto start = scheme == std::string::npos ? 0 : scheme + 3;
    const auto end = url.find('/', start);
    return url.substr(0, end == std::string::npos ? url.size() : end);
}

core::Error no_reply(const Request& r, const Attempt& a, int attempts) {
    std::string what = "no reply from " + host_of(r.url) + ": " + a.error;
    if (attempts > 1) what += " (" + std::to_string(attempts) + " attempts)";
    std::string hint = "check the API URL and this machine's network (and proxy settings)";
    if (a.code == CURLE_PEER_FAILED_VERIFICATION || a.code == CURLE_SSL_CONNECT_ERROR ||
        a.code == CURLE_SSL_CACERT_BADFILE)
        hint = "the server's TLS certificate was not accepted; grid always verifies certificates";
    return core::Error(core::ErrorKind::Provider, what, hint);
}

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
    const std::string key = core::lower(name);
    for (const auto& [k, v] : headers)
        if (k == key) return v;
    return std::nullopt;
}

std::optional<milliseconds> parse_retry_after(std::string_view value, std::int64_t now_unix) {
    const std::string v = core::trim(value);
    if (v.empty()) return std::nullopt;
    if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
        if (v.size() > 9) return milliseconds(999'999'999'000LL);
        return milliseconds(std::stoll(v) * 1000);
    }
    std::tm tm{};
    const char* end = ::strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end != '\0') return std::nullopt;
    const std::int64_t at = ::timegm(&tm);
    return milliseconds(std::max<std::int64_t>(0, at - now_unix) * 1000);
}

milliseconds backoff_delay(int attempt, milliseconds base, milliseconds max, double random01) {
    // The ceiling doubles with each attempt; the delay is drawn below it ("full jitter"), so
    // that many clients retrying at once spread out instead of hitting the server together.
    double ceiling = static_cast<double>(base.count());
    for (int i = 1; i < attempt && ceiling < static_cast<double>(max.count()); ++i)
        ceiling *= 2;
    ceiling = std::min(ceiling, static_cast<double>(max.count()));
    random01 = std::clamp(random01, 0.0, 1.0);
    return milliseconds(static_cast<std::int64_t>(ceiling * random01));
}

std::string redact(std::string_view text, const std::vector<std::string>& secrets) {
    std::string out(text);
    // Header lines that carry credentials keep their name only.
    static const char* const k_headers[] = {
        "authorization:", "proxy-authorization:", "cookie:", "set-cookie:", "x-api-key:"};
    const std::string low = core::lower(out.substr(0, 32));
    for (const char* h : k_headers)
        if (low.rfind(h, 0) == 0)
            return out.substr(0, std::char_traits<char>::length(h)) + " <redacted>";
    for (const auto& s : secrets) {
        if (s.size() < 4) continue;  // too short to tell from ordinary text
        for (auto at = out.find(s); at != std::string::npos; at = out.find(s, at))
            out.replace(at, s.size(), "<redacted>");
    }
    // JSON string fields whose names say they hold a secret.
    static const char* const k_fields[] = {"token",       "secret",    "password",
                                           "private_key", "user_data", "api_key"};
    std::size_t pos = 0;
    while ((pos = out.find('"', pos)) != std::string::npos) {
        const auto close = out.find('"', pos + 1);
        if (close == std::string::npos) break;
        const std::string key = core::lower(out.substr(pos + 1, close - pos - 1));
        std::size_t v = close + 1;
        while (v < out.size() && (out[v] == ' ' || out[v] == ':'))
            ++v;
        const bool is_value = v > close + 1 && out.find(':', close + 1) < v;
        const bool secret =
            std::any_of(std::begin(k_fields), std::end(k_fields),
                        [&](const char* f) { return key.find(f) != std::string::npos; });
        if (is_value && secret && v < out.size() && out[v] == '"') {
            auto end = v + 1;
            while (end < out.size() && out[end] != '"')
                end += out[end] == '\\' ? 2 : 1;
            end = std::min(end, out.size());
            out.replace(v, end - v + (end < out.size() ? 1 : 0), "\"<redacted>\"");
            pos = v + 12;
            continue;
        }
        pos = close + 1;
    }
    return out;
}

struct Client::Impl {
    CURL* easy = nullptr;
    std::mt19937_64 random{std::random_device{}()};

    ~Impl() {
        if (easy) curl().easy_cleanup(easy);
    }

    Attempt perform(const Request& r, const Options& o) {
        const Curl& c = curl();
        if (!easy) easy = c.easy_init();
        if (!easy) throw core::Error(core::ErrorKind::Other, "libcurl could not make a handle");
        // A reset keeps the connection cache: the next request to the same host reuses it.
        c.easy_reset(easy);
        Attempt a;
        Transfer t{&a.response, &o, r.idempotent};
        curl_slist* headers = nullptr;
        for (const auto& [k, v] : r.headers)
            headers = c.slist_append(headers, (k + ": " + v).c_str());
        // No "Expect: 100-continue" round trip before a body.
        headers = c.slist_append(headers, "Expect:");

        c.easy_setopt(easy, CURLOPT_URL, r.url.c_str());
        c.easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        c.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        c.easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
        c.easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
        c.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                      static_cast<long>(o.connect_timeout.count()));
        c.easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
        c.easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
        c.easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
        c.easy_setopt(easy, CURLOPT_USERAGENT, o.user_agent.c_str());
        c.easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
        // Large reads: a reply of megabytes (a queue of thousands of jobs) otherwise takes a
        // poll and a read per 16 KB, a thousand system calls that cost more than the copying.
        c.easy_setopt(easy, CURLOPT_BUFFERSIZE, k_read_size);
        c.easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
        c.easy_setopt(easy, CURLOPT_WRITEDATA, &t);
        c.easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header);
        c.easy_setopt(easy, CURLOPT_HEADERDATA, &t);
        c.easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
        c.easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &on_progress);
        c.easy_setopt(easy, CURLOPT_XFERINFODATA, &t);
        if (o.trace) {
            c.easy_setopt(easy, CURLOPT_VERBOSE, 1L);
            c.easy_setopt(easy, CURLOPT_DEBUGFUNCTION, &on_debug);
            c.easy_setopt(easy, CURLOPT_DEBUGDATA, &t);
        }
        if (r.method == "GET") {
            c.easy_setopt(easy, CURLOPT_HTTPGET, 1L);
        } else {
            if (r.method != "POST") c.easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
            if (r.method == "POST" || !r.body.empty()) {
                c.easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.c_str());
                c.easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                              static_cast<curl_off_t>(r.body.size()));
            }
        }

        a.code = c.easy_perform(easy);
        long status = 0, request_size = 0;
        c.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        c.easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
        c.easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &a.new_connections);
        c.slist_free_all(headers);
        a.response.status = static_cast<int>(status);
        a.sent = request_size > 0;
        if (a.code != CURLE_OK) a.error = c.easy_strerror(a.code);
        return a;
    }
};

Client::Client(Options options) : m_options(std::move(options)), m_impl(new Impl) {}

Client::~Client() {
    delete m_impl;
}

Response Client::send(const Request& r) {
    const Curl& c = curl();
    if (!c.ok)
        throw core::Error(core::ErrorKind::Other, "cannot load libcurl: " + c.error,
                          "install it: apt-get install libcurl4");
    const Options& o = m_options;
    const auto started = Clock::now();
    auto trace = [&](const std::string& line) {
        if (o.trace) o.trace(line);
    };
    auto cancelled = [&] { return o.cancelled && o.cancelled(); };

    for (int attempt = 1;; ++attempt) {
        if (cancelled()) throw core::Error(core::ErrorKind::Interrupted, "interrupted");
        if (o.before_attempt) o.before_attempt();
        Attempt a = m_impl->perform(r, o);
        if (o.after_attempt) o.after_attempt();
        a.response.attempts = attempt;
        a.response.new_connections = a.new_connections;
        if (a.code == CURLE_ABORTED_BY_CALLBACK && cancelled())
            throw core::Error(core::ErrorKind::Interrupted, "interrupted");

        milliseconds delay{0};
        const double u = std::uniform_real_distribution<double>(0.0, 1.0)(m_impl->random);
        const milliseconds jittered = backoff_delay(attempt, o.backoff_base, o.backoff_max, u);
        if (a.code == CURLE_OK) {
            const int status = a.response.status;
            if (!retryable_status(status) || (status == 500 && !o.retry_500))
                return std::move(a.response);
            // A 5xx to a launch may come after the launch happened; only 429 surely did not.
            if (!r.idempotent && status != 429)
                throw UncertainError(r.method + " " + host_of(r.url) + " answered " +
                                     std::to_string(status) + "; it may or may not have acted");
            if (attempt >= o.max_attempts) return std::move(a.response);
            delay = jittered;
            if (const auto ra = a.response.header("retry-after"))
                if (const auto wait = parse_retry_after(*ra, std::time(nullptr)))
                    delay = std::max(delay, *wait);
            trace("* " + std::to_string(status) + ": retry " + std::to_string(attempt) + " in " +
                  std::to_string(delay.count()) + " ms");
        } else {
            if (!retryable_code(a.code)) throw no_reply(r, a, attempt);
            if (a.sent && !r.idempotent)
                throw UncertainError(r.method + " " + host_of(r.url) + ": " + a.error +
                                     "; it may or may not have acted");
            if (attempt >= o.max_attempts) throw no_reply(r, a, attempt);
            delay = jittered;
            trace("* " + a.error + ": retry " + std::to_string(attempt) + " in " +
                  std::to_string(delay.count()) + " ms");
        }
        const auto resume = Clock::now() + delay;
        if (resume - started > o.deadline) {
            if (a.code != CURLE_OK) throw no_reply(r, a, attempt);
            return std::move(a.response);
        }
        while (Clock::now() < resume) {
            if (cancelled()) throw core::Error(core::ErrorKind::Interrupted, "interrupted");
            std::this_thread::sleep_for(
                std::min<Clock::duration>(resume - Clock::now(), milliseconds(50)));
        }
    }
}

}  // namespace backends::http
