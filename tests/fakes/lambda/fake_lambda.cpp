#include "tests/fakes/lambda/fake_lambda.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "backends/local/sandbox.hpp"
#include "core/files.hpp"
#include "core/ids.hpp"
#include "core/keygen.hpp"
#include "core/ssh.hpp"

namespace fakes {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct TypeInfo {
    std::string name, description, gpu_description, gpu_model;
    int price_cents_per_hour, vcpus, memory_gib, storage_gib, gpus;
};

// gpu_8x_h200_sxm5 is deliberately absent: tests ask for it as an unknown type.
const std::vector<TypeInfo>& catalog() {
    static const std::vector<TypeInfo> types = {
        {"gpu_1x_a10", "1x A10 (24 GB PCIe)", "A10 (24 GB PCIe)", "A10", 75, 30, 200, 1400, 1},
        {"gpu_1x_h100_pcie", "1x H100 (80 GB PCIe)", "H100 (80 GB PCIe)", "H100", 249, 26, 200,
         1000, 1},
        {"gpu_1x_h100_sxm5", "1x H100 (80 GB SXM5)", "H100 (80 GB SXM5)", "H100", 329, 26, 225,
         2750, 1},
        {"gpu_8x_h100_sxm5", "8x H100 (80 GB SXM5)", "H100 (80 GB SXM5)", "H100", 2392, 208, 1800,
         22528, 8},
        {"gpu_8x_b200_sxm6", "8x B200 (180 GB SXM6)", "B200 (180 GB SXM6)", "B200", 3992, 208, 2900,
         22528, 8},
    };
    return types;
}

const TypeInfo* find_type(const std::string& name) {
    for (const auto& t : catalog())
        if (t.name == name) return &t;
    return nullptr;
}

struct RegionInfo {
    std::string name, description;
};

const std::vector<RegionInfo>& region_list() {
    static const std::vector<RegionInfo> regions = {{"us-east-1", "Virginia, USA"},
                                                    {"us-west-1", "California, USA"}};
    return regions;
}

const RegionInfo* find_region(const std::string& name) {
    for (const auto& r : region_list())
        if (r.name == name) return &r;
    return nullptr;
}

json region_json(const std::string& name) {
    const RegionInfo* r = find_region(name);
    return {{"name", name}, {"description", r ? r->description : name}};
}

json type_json(const TypeInfo& t) {
    return {{"name", t.name},
            {"description", t.description},
            {"gpu_description", t.gpu_description},
            {"price_cents_per_hour", t.price_cents_per_hour},
            {"specs",
             {{"vcpus", t.vcpus},
              {"memory_gib", t.memory_gib},
              {"storage_gib", t.storage_gib},
              {"gpus", t.gpus}}}};
}

// Error bodies. Every ApiError* schema has code and message; some require suggestion too, so
// one is always given.
json error_json(const std::string& code, const std::string& message,
                const std::string& suggestion) {
    return {{"error", {{"code", code}, {"message", message}, {"suggestion", suggestion}}}};
}

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

void invalid(httplib::Response& res, const std::string& message) {
    reply(res, 400,
          error_json("global/invalid-parameters", message, "Check the request, then try again."));
}

void not_found(httplib::Response& res) {
    reply(res, 404,
          error_json("global/not-found", "The requested resource was not found.",
                     "Check the URL, then try again."));
}

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    const auto last = s.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

std::string base64_decode(const std::string& in) {
    static const std::string chars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int value = 0, bits = -8;
    for (const char c : in) {
        if (c == '=') break;
        const auto pos = chars.find(c);
        if (pos == std::string::npos) return {};
        value = (value << 6) + static_cast<int>(pos);
        bits += 6;
        if (bits >= 0) {
            out.push_back(static_cast<char>((value >> bits) & 0xff));
            bits -= 8;
        }
    }
    return out;
}

std::string current_user() {
    if (const passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
    return "root";
}

// The keys of a "#cloud-config" user-data's ssh_authorized_keys list.
std::vector<std::string> cloud_config_keys(const std::string& user_data) {
    std::vector<std::string> keys;
    if (user_data.rfind("#cloud-config", 0) != 0) return keys;
    std::istringstream in(user_data);
    std::string line;
    bool in_list = false;
    while (std::getline(in, line)) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        if (in_list && t[0] == '-') {
            std::string key = trim(t.substr(1));
            if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'') &&
                key.back() == key.front())
                key = key.substr(1, key.size() - 2);
            if (!key.empty()) keys.push_back(key);
            continue;
        }
        in_list = t == "ssh_authorized_keys:";
    }
    return keys;
}

// Instance addresses in 127.77.0.0/16, shared by every fake of this process. As root the
// address must have port 22 free: another process (a second test binary) may be using it, so
// each process starts in its own /24, chosen by its pid, and probes before use.
std::atomic<int> g_next_address{static_cast<int>(::getpid() % 200) * 256 + 1};

bool port_22_free(const std::string& address) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(22);
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string next_address(bool probe) {
    for (;;) {
        const int n = g_next_address++;
        const int x = n / 256, y = n % 256;
        if (x > 255) throw std::runtime_error("fake lambda: out of 127.77.x.y addresses");
        if (y == 0 || y == 255) continue;
        const std::string address = "127.77." + std::to_string(x) + "." + std::to_string(y);
        if (!probe || port_22_free(address)) return address;
    }
}

struct SshKey {
    std::string id, name, public_key;
};

struct FileSystem {
    std::string id, name, region;
};

struct Instance {
    FakeInstance pub;
    std::string hostname;                      // as requested; "" for the IP-based default
    std::vector<std::string> authorized_keys;  // the registered key, then cloud-config's
    Clock::time_point boot_due, gone_due;
    bool boot_started = false;  // the boot transition was taken up by the timer
    bool gone = false;          // no longer in the API
    bool sandbox = false;       // a sandbox directory may exist
};

}  // namespace

struct FakeLambda::Impl {
    FakeLambdaOptions opts;
    fs::path sandbox_root;

    mutable std::mutex mu;
    std::condition_variable timer_cv;  // wakes the timer thread
    std::condition_variable stop_cv;   // wakes stalled handlers
    bool stopping = false;

    Faults faults;
    std::mt19937 fault_rng;
    std::mt19937_64 id_rng{std::random_device{}()};

    std::map<std::pair<std::string, std::string>, int> capacity;  // (type, region) -> instances
    std::map<std::string, Instance> instances;                    // by id
    std::vector<std::string> order;                               // ids, oldest first
    std::map<std::string, int> launches;                          // by name
    std::vector<SshKey> keys;
    std::vector<FileSystem> file_systems;
    std::map<std::string, int> request_counts;  // "METHOD /path" -> count
    std::vector<std::string> to_destroy;        // sandboxes the timer thread must remove

    bool have_last_request = false, have_last_launch = false;
    Clock::time_point last_request, last_launch;

    httplib::Server server;
    int port = 0;
    std::thread server_thread, timer_thread;

    explicit Impl(FakeLambdaOptions o) : opts(std::move(o)), fault_rng(opts.seed) {
        if (opts.ssh_user.empty()) opts.ssh_user = current_user();
        for (const auto& t : catalog()) {
            capacity[{t.name, "us-east-1"}] = 16;
            capacity[{t.name, "us-west-1"}] = 0;
        }
        file_systems.push_back({hex_id(), "shared-fs", "us-east-1"});
    }

    std::string hex_id() {
        static const char* digits = "0123456789abcdef";
        std::string id;
        for (int i = 0; i < 32; ++i)
            id += digits[id_rng() % 16];
        return id;
    }

    // ---- state helpers (mu held) ----

    int remaining(const std::string& type, const std::string& region) const {
        const auto it = capacity.find({type, region});
        int left = it == capacity.end() ? 0 : it->second;
        for (const auto& [id, in] : instances)
            if (!in.gone && in.pub.type == type && in.pub.region == region) --left;
        return left;
    }

    Instance* live(const std::string& id) {
        const auto it = instances.find(id);
        return it == instances.end() || it->second.gone ? nullptr : &it->second;
    }

    json instance_json(const Instance& in) const {
        const FakeInstance& p = in.pub;
        const TypeInfo* t = find_type(p.type);
        auto action = [](bool available, const char* reason) {
            json a{{"available", available}};
            if (!available && reason) a["reason_code"] = reason;
            return a;
        };
        json actions;
        if (p.status == "booting") {
            for (const char* k : {"migrate", "rebuild", "restart", "cold_reboot"})
                actions[k] = action(false, "vm-has-not-launched");
            actions["terminate"] = action(true, nullptr);
        } else if (p.status == "terminating" || p.status == "terminated") {
            for (const char* k : {"migrate", "rebuild", "restart", "cold_reboot", "terminate"})
                actions[k] = action(false, "vm-is-terminating");
        } else if (p.status == "preempted") {
            for (const char* k : {"migrate", "rebuild", "restart", "cold_reboot"})
                actions[k] = action(false, nullptr);
            actions["terminate"] = action(true, nullptr);
        } else {
            actions["migrate"] = action(false, nullptr);
            for (const char* k : {"rebuild", "restart", "cold_reboot", "terminate"})
                actions[k] = action(true, nullptr);
        }
        json j{{"id", p.id},
               {"status", p.status},
               {"ssh_key_names", p.ssh_key_names},
               {"file_system_names", p.file_system_names},
               {"region", region_json(p.region)},
               {"instance_type", t ? type_json(*t) : json::object()},
               {"actions", actions}};
        if (!p.name.empty()) j["name"] = p.name;
        if (!p.ip.empty()) {
            j["ip"] = p.ip;
            j["private_ip"] = p.private_ip;
        }
        if (!in.hostname.empty())
            j["hostname"] = in.hostname;
        else if (!p.ip.empty())
            j["hostname"] = p.ip;
        json mounts = json::array();
        for (const auto& name : p.file_system_names)
            for (const auto& f : file_systems)
                if (f.name == name)
                    mounts.push_back(
                        {{"mount_point", "/lambda/nfs/" + f.name}, {"file_system_id", f.id}});
        if (!mounts.empty()) j["file_system_mounts"] = mounts;
        return j;
    }

    void begin_termination(Instance& in) {
        if (in.pub.status == "terminating") return;
        in.pub.status = "terminating";
        in.gone_due = Clock::now() + opts.terminate_delay;
        timer_cv.notify_all();
    }

    void remove_now(Instance& in) {
        in.gone = true;
        in.pub.status = "terminated";
        if (in.sandbox) {
            to_destroy.push_back(in.pub.id);
            timer_cv.notify_all();
        }
    }

    // ---- the timer thread: booting -> active, terminating -> gone, sandboxes removed ----

    void timer_loop() {
        std::unique_lock<std::mutex> lk(mu);
        while (!stopping) {
            if (!to_destroy.empty()) {
                const std::string id = to_destroy.back();
                to_destroy.pop_back();
                Instance& in = instances.at(id);
                if (!in.sandbox) continue;
                in.sandbox = false;
                lk.unlock();
                destroy_sandbox(id);
                lk.lock();
                continue;
            }
            const auto now = Clock::now();
            std::optional<Clock::time_point> next;
            std::string boot, finish;
            for (const auto& id : order) {
                const Instance& in = instances.at(id);
                if (in.gone) continue;
                if (!in.boot_started && in.pub.status != "terminating") {
                    if (in.boot_due <= now) {
                        boot = id;
                        break;
                    }
                    if (!next || in.boot_due < *next) next = in.boot_due;
                }
                if (in.pub.status == "terminating") {
                    if (in.gone_due <= now) {
                        finish = id;
                        break;
                    }
                    if (!next || in.gone_due < *next) next = in.gone_due;
                }
            }
            if (!boot.empty()) {
                activate(lk, boot);
            } else if (!finish.empty()) {
                Instance& in = instances.at(finish);
                if (in.sandbox) {
                    in.sandbox = false;
                    lk.unlock();
                    destroy_sandbox(finish);  // sshd is gone before the API says so
                    lk.lock();
                }
                in.gone = true;
                in.pub.status = "terminated";
            } else if (next) {
                timer_cv.wait_until(lk, *next);
            } else {
                timer_cv.wait(lk);
            }
        }
    }

    void activate(std::unique_lock<std::mutex>& lk, const std::string& id) {
        Instance& in = instances.at(id);
        in.boot_started = true;
        if (!opts.ssh) {
            in.pub.ip = in.pub.private_ip = next_address(false);
            if (in.pub.status == "booting") in.pub.status = "active";
            return;
        }
        backends::local::SandboxRecord r;
        const std::string node_name = !in.hostname.empty()   ? in.hostname
                                      : !in.pub.name.empty() ? in.pub.name
                                                             : in.pub.id;
        r.name = node_name;
        if (const auto n = core::parse_instance_name(in.pub.name)) r.cluster = n->cluster;
        const std::string& name = in.pub.name;
        const std::string suffix = "jumphost";
        r.role = name.size() >= suffix.size() &&
                         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0
                     ? "jumphost"
                     : "worker";
        r.type = in.pub.type;
        if (const TypeInfo* t = find_type(in.pub.type)) {
            r.gpu_model = t->gpu_model;
            r.gpu_count = t->gpus;
        }
        r.port = 22;
        r.netns = "";
        r.user = opts.ssh_user;
        r.created_at = static_cast<long long>(std::time(nullptr));
        const std::vector<std::string> keys = in.authorized_keys;
        in.sandbox = true;
        lk.unlock();

        std::string address, error;
        bool ok = false;
        backends::local::Sandbox box(sandbox_root, id);
        for (int attempt = 0; attempt < 5 && !ok; ++attempt) {
            try {
                address = next_address(true);
                r.address = address;
                box.write_record(r);
                box.start(r, keys);
                // Sandbox::start moves to another port when 22 was taken meanwhile.
                if (box.record().port == 22) {
                    ok = true;
                } else {
                    error = "port 22 of " + address + " was taken";
                    box.destroy();
                }
            } catch (const std::exception& e) {
                error = e.what();
                if (error.find("in use") == std::string::npos) break;
                box.destroy();
            }
        }

        lk.lock();
        Instance& now = instances.at(id);
        now.pub.ip = now.pub.private_ip = address;
        if (now.gone) {
            to_destroy.push_back(id);  // vanished or removed while sshd started
            return;
        }
        if (now.pub.status == "booting") now.pub.status = ok ? "active" : "unhealthy";
        if (!ok) std::fprintf(stderr, "fake lambda: instance %s: %s\n", id.c_str(), error.c_str());
    }

    void destroy_sandbox(const std::string& id) {
        try {
            backends::local::Sandbox(sandbox_root, id).destroy();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "fake lambda: destroying %s: %s\n", id.c_str(), e.what());
        }
    }

    // ---- HTTP ----

    bool authorized(const httplib::Request& req) const {
        const std::string h = trim(req.get_header_value("Authorization"));
        if (h.rfind("Bearer ", 0) == 0) return trim(h.substr(7)) == opts.api_key;
        if (h.rfind("Basic ", 0) == 0) {
            const std::string v = trim(h.substr(6));
            if (v == opts.api_key) return true;
            const std::string d = base64_decode(v);
            return d == opts.api_key + ":" || d == opts.api_key;
        }
        return false;
    }

    static void rate_limited(httplib::Response& res, long long retry_after_s) {
        res.set_header("Retry-After", std::to_string(std::max(1LL, retry_after_s)));
        reply(res, 429,
              error_json("global/rate-limited", "Too many requests.",
                         "Wait for the time given by Retry-After, then try again."));
    }

    static long long seconds_up(Clock::duration d) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
        return std::max(1LL, static_cast<long long>((ms + 999) / 1000));
    }

    static void internal_error(httplib::Response& res) {
        res.headers.clear();  // nothing of a reply that was carried out before the fault
        reply(res, 500,
              error_json("global/internal-error", "An internal server error occurred.",
                         "Try again later. Contact Support if the problem persists."));
    }

    static void cut(httplib::Response& res) {
        // Headers go out, then the body's provider fails: the connection is closed without a
        // complete reply.
        res.status = 200;
        res.body.clear();
        res.headers.clear();
        res.set_chunked_content_provider("application/json",
                                         [](size_t, httplib::DataSink&) { return false; });
    }

    void handle(const httplib::Request& req, httplib::Response& res) {
        const bool mutating = req.method == "POST" || req.method == "DELETE";
        bool stall = false, limited = false, error = false, reset = false;
        Faults f;
        {
            std::lock_guard<std::mutex> lk(mu);
            ++request_counts[req.method + " " + req.path];
        }
        if (!authorized(req)) {
            reply(res, 401,
                  error_json("global/invalid-api-key", "API key was invalid, expired, or deleted.",
                             "Check your API key or create a new one, then try again."));
            return;
        }
        if (req.path.rfind("/api/v1/", 0) != 0) return not_found(res);
        {
            std::lock_guard<std::mutex> lk(mu);
            const auto now = Clock::now();
            if (opts.request_interval.count() > 0 && have_last_request &&
                now - last_request < opts.request_interval)
                return rate_limited(res, seconds_up(opts.request_interval - (now - last_request)));
            have_last_request = true;
            last_request = now;
            f = faults;
            if (!f.only.empty() && (req.method + " " + req.path).rfind(f.only, 0) != 0) f = {};
            std::uniform_real_distribution<double> u(0.0, 1.0);
            limited = u(fault_rng) < f.rate_limited;
            error = u(fault_rng) < f.server_error;
            reset = u(fault_rng) < f.reset;
            stall = u(fault_rng) < f.stall;
        }
        if (stall) {
            std::unique_lock<std::mutex> lk(mu);
            stop_cv.wait_for(lk, f.stall_for, [this] { return stopping; });
        }
        if (limited) return rate_limited(res, f.retry_after_s);
        if (error || reset) {
            if (f.faults_after_acting && mutating) route(req, res);
            if (error) return internal_error(res);
            return cut(res);
        }
        route(req, res);
    }

    void route(const httplib::Request& req, httplib::Response& res) {
        const std::string& p = req.path;
        const std::string& m = req.method;
        static const std::string instances_prefix = "/api/v1/instances/";
        static const std::string keys_prefix = "/api/v1/ssh-keys/";
        std::lock_guard<std::mutex> lk(mu);
        if (m == "GET" && p == "/api/v1/instance-types") return list_types(res);
        if (m == "GET" && p == "/api/v1/instances") return list_instances(res);
        if (m == "GET" && p.rfind(instances_prefix, 0) == 0 && p.size() > instances_prefix.size())
            return get_instance(p.substr(instances_prefix.size()), res);
        if (m == "POST" && p == "/api/v1/instance-operations/launch") return launch(req, res);
        if (m == "POST" && p == "/api/v1/instance-operations/terminate") return terminate(req, res);
        if (m == "GET" && p == "/api/v1/ssh-keys") return list_keys(res);
        if (m == "POST" && p == "/api/v1/ssh-keys") return add_key(req, res);
        if (m == "DELETE" && p.rfind(keys_prefix, 0) == 0 && p.size() > keys_prefix.size())
            return delete_key(p.substr(keys_prefix.size()), res);
        if (m == "GET" && p == "/api/v1/file-systems") return list_file_systems(res);
        if (m == "GET" && p == "/api/v1/regions") return list_regions(res);
        not_found(res);
    }

    void list_types(httplib::Response& res) const {
        json data = json::object();
        for (const auto& t : catalog()) {
            json where = json::array();
            for (const auto& r : region_list())
                if (remaining(t.name, r.name) > 0) where.push_back(region_json(r.name));
            data[t.name] = {{"instance_type", type_json(t)},
                            {"regions_with_capacity_available", where}};
        }
        reply(res, 200, {{"data", data}});
    }

    void list_instances(httplib::Response& res) const {
        json data = json::array();
        for (const auto& id : order)
            if (const Instance& in = instances.at(id); !in.gone) data.push_back(instance_json(in));
        reply(res, 200, {{"data", data}});
    }

    static void instance_not_found(httplib::Response& res) {
        reply(res, 404,
              error_json("global/object-does-not-exist", "Specified instance does not exist.",
                         "Check the instance ID, then try again."));
    }

    void get_instance(const std::string& id, httplib::Response& res) {
        const Instance* in = live(id);
        if (!in) return instance_not_found(res);
        reply(res, 200, {{"data", instance_json(*in)}});
    }

    static void launch_not_found(httplib::Response& res, const std::string& message,
                                 const std::string& suggestion) {
        reply(res, 404, error_json("global/object-does-not-exist", message, suggestion));
    }

    void launch(const httplib::Request& req, httplib::Response& res) {
        const auto now = Clock::now();
        if (opts.launch_interval.count() > 0 && have_last_launch &&
            now - last_launch < opts.launch_interval)
            return rate_limited(res, seconds_up(opts.launch_interval - (now - last_launch)));
        have_last_launch = true;
        last_launch = now;

        const json body = json::parse(req.body, nullptr, false);
        if (!body.is_object()) return invalid(res, "The request body is not a JSON object.");
        auto string_field = [&](const char* k) -> std::optional<std::string> {
            const auto it = body.find(k);
            if (it == body.end() || !it->is_string()) return std::nullopt;
            return it->get<std::string>();
        };
        auto string_list = [&](const char* k,
                               bool required) -> std::optional<std::vector<std::string>> {
            const auto it = body.find(k);
            if (it == body.end()) {
                if (required) return std::nullopt;
                return std::vector<std::string>{};
            }
            if (!it->is_array()) return std::nullopt;
            std::vector<std::string> out;
            for (const auto& v : *it) {
                if (!v.is_string()) return std::nullopt;
                out.push_back(v.get<std::string>());
            }
            return out;
        };
        const auto region = string_field("region_name");
        const auto type = string_field("instance_type_name");
        const auto key_names = string_list("ssh_key_names", true);
        const auto fs_names = string_list("file_system_names", false);
        if (!region) return invalid(res, "region_name is required and must be a string.");
        if (!type) return invalid(res, "instance_type_name is required and must be a string.");
        if (!key_names) return invalid(res, "ssh_key_names is required: a list of names.");
        if (!fs_names) return invalid(res, "file_system_names must be a list of names.");
        if (key_names->size() != 1) return invalid(res, "Exactly one SSH key must be specified.");
        std::string name, hostname, user_data;
        if (body.contains("name")) {
            const auto n = string_field("name");
            if (!n || n->size() > 64)
                return invalid(res, "name must be a string of 64 characters or fewer.");
            name = *n;
        }
        if (body.contains("hostname")) {
            const auto h = string_field("hostname");
            bool ok = h && !h->empty() && h->size() <= 63;
            if (ok)
                for (std::size_t i = 0; i < h->size(); ++i) {
                    const char c = (*h)[i];
                    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                    if (!alnum && !(i > 0 && c == '-')) ok = false;
                }
            if (!ok) return invalid(res, "hostname must match ^[a-z0-9][0-9a-z-]{0,62}$.");
            hostname = *h;
        }
        if (body.contains("user_data")) {
            const auto u = string_field("user_data");
            if (!u || u->size() > 1024 * 1024)
                return invalid(res, "user_data must be a string of 1MB or less.");
            user_data = *u;
        }

        const TypeInfo* t = find_type(*type);
        if (!t)
            return launch_not_found(res, "Instance type '" + *type + "' does not exist.",
                                    "List the instance types with GET /api/v1/instance-types.");
        if (!find_region(*region))
            return launch_not_found(res, "Region '" + *region + "' does not exist.",
                                    "List the regions with GET /api/v1/regions.");
        const SshKey* key = nullptr;
        for (const auto& k : keys)
            if (k.name == key_names->front()) key = &k;
        if (!key)
            return launch_not_found(res, "SSH key '" + key_names->front() + "' does not exist.",
                                    "Add the key with POST /api/v1/ssh-keys, then try again.");
        for (const auto& n : *fs_names) {
            const FileSystem* found = nullptr;
            for (const auto& f : file_systems)
                if (f.name == n) found = &f;
            if (!found)
                return launch_not_found(res, "File system '" + n + "' does not exist.",
                                        "List the file systems with GET /api/v1/file-systems.");
            if (found->region != *region)
                return reply(res, 400,
                             error_json("instance-operations/launch/file-system-in-wrong-region",
                                        "File system '" + n + "' is in " + found->region +
                                            ", not in " + *region + ".",
                                        "Launch in the file system's region."));
        }
        if (remaining(t->name, *region) <= 0)
            return reply(res, 400,
                         error_json("instance-operations/launch/insufficient-capacity",
                                    "Not enough capacity to fulfill launch request.",
                                    "Try another instance type or region, or try again later."));

        Instance in;
        in.pub.id = hex_id();
        in.pub.name = name;
        in.pub.status = "booting";
        in.pub.type = t->name;
        in.pub.region = *region;
        in.pub.ssh_key_names = *key_names;
        in.pub.file_system_names = *fs_names;
        in.hostname = hostname;
        in.authorized_keys.push_back(key->public_key);
        for (const auto& k : cloud_config_keys(user_data))
            in.authorized_keys.push_back(k);
        in.boot_due = now + opts.boot_delay;
        const std::string id = in.pub.id;
        instances.emplace(id, std::move(in));
        order.push_back(id);
        ++launches[name];
        timer_cv.notify_all();
        reply(res, 200, {{"data", {{"instance_ids", json::array({id})}}}});
    }

    void terminate(const httplib::Request& req, httplib::Response& res) {
        const json body = json::parse(req.body, nullptr, false);
        if (!body.is_object() || !body.contains("instance_ids") || !body["instance_ids"].is_array())
            return invalid(res, "instance_ids is required: a list of instance IDs.");
        std::vector<std::string> ids;
        for (const auto& v : body["instance_ids"]) {
            if (!v.is_string()) return invalid(res, "instance_ids must hold strings.");
            ids.push_back(v.get<std::string>());
        }
        if (ids.empty()) return invalid(res, "instance_ids must not be empty.");
        for (const auto& id : ids)
            if (!live(id)) return instance_not_found(res);
        json out = json::array();
        for (const auto& id : ids) {
            Instance& in = instances.at(id);
            begin_termination(in);
            out.push_back(instance_json(in));
        }
        reply(res, 200, {{"data", {{"terminated_instances", out}}}});
    }

    static json key_json(const SshKey& k) {
        return {{"id", k.id}, {"name", k.name}, {"public_key", k.public_key}};
    }

    void list_keys(httplib::Response& res) const {
        json data = json::array();
        for (const auto& k : keys)
            data.push_back(key_json(k));
        reply(res, 200, {{"data", data}});
    }

    void add_key(const httplib::Request& req, httplib::Response& res) {
        const json body = json::parse(req.body, nullptr, false);
        if (!body.is_object()) return invalid(res, "The request body is not a JSON object.");
        const auto n = body.find("name");
        if (n == body.end() || !n->is_string() || n->get<std::string>().empty() ||
            n->get<std::string>().size() > 64)
            return invalid(res, "name is required: 1 to 64 characters.");
        const std::string name = n->get<std::string>();
        for (const auto& k : keys)
            if (k.name == name) return invalid(res, "An SSH key named '" + name + "' exists.");
        SshKey k{hex_id(), name, ""};
        if (const auto p = body.find("public_key"); p != body.end()) {
            if (!p->is_string() || p->get<std::string>().empty() ||
                p->get<std::string>().size() > 4096)
                return invalid(res, "public_key must be 1 to 4096 characters.");
            const auto parsed = core::parse_public_key(trim(p->get<std::string>()));
            if (!parsed) return invalid(res, "public_key is not an OpenSSH public key.");
            k.public_key = trim(p->get<std::string>());
            keys.push_back(k);
            return reply(res, 200, {{"data", key_json(k)}});
        }
        const auto pair = core::ed25519_keypair(name);
        if (!pair) return internal_error(res);
        k.public_key = trim(pair->public_key);
        keys.push_back(k);
        json data = key_json(k);
        data["private_key"] = pair->private_key;
        reply(res, 200, {{"data", data}});
    }

    void delete_key(const std::string& id, httplib::Response& res) {
        for (auto it = keys.begin(); it != keys.end(); ++it)
            if (it->id == id) {
                keys.erase(it);
                return reply(res, 200, {{"data", json::object()}});
            }
        not_found(res);
    }

    void list_file_systems(httplib::Response& res) const {
        json data = json::array();
        for (const auto& f : file_systems) {
            bool in_use = false;
            for (const auto& [id, in] : instances)
                for (const auto& n : in.pub.file_system_names)
                    if (!in.gone && n == f.name) in_use = true;
            data.push_back({{"id", f.id},
                            {"name", f.name},
                            {"mount_point", "/lambda/nfs/" + f.name},
                            {"created", "2024-01-01T00:00:00Z"},
                            {"created_by",
                             {{"id", "3da5a70a57a7422ea8a7203f98b2198b"},
                              {"email", "test@example.com"},
                              {"status", "active"}}},
                            {"is_in_use", in_use},
                            {"region", region_json(f.region)},
                            {"bytes_used", 0}});
        }
        reply(res, 200, {{"data", data}});
    }

    void list_regions(httplib::Response& res) const {
        json data = json::array();
        for (const auto& r : region_list())
            data.push_back(region_json(r.name));
        reply(res, 200, {{"data", data}});
    }

    // ---- life cycle ----

    void start() {
        if (server_thread.joinable()) throw std::runtime_error("fake lambda: already started");
        if (opts.ssh) {
            if (::geteuid() != 0) throw std::runtime_error("binding port 22 needs root");
            if (opts.state_dir.empty())
                throw std::runtime_error("fake lambda: state_dir is required when ssh is on");
            sandbox_root = opts.state_dir / "instances";
            core::ensure_dir(opts.state_dir, 0700);
            core::ensure_dir(sandbox_root, 0700);
            core::ensure_dir("/run/sshd", 0755);
        }
        server.new_task_queue = [] { return new httplib::ThreadPool(16); };
        auto h = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
        server.Get(".*", h);
        server.Post(".*", h);
        server.Delete(".*", h);
        server.Put(".*", h);
        server.Patch(".*", h);
        port = server.bind_to_any_port("127.0.0.1");
        if (port <= 0) throw std::runtime_error("fake lambda: cannot bind 127.0.0.1");
        timer_thread = std::thread([this] { timer_loop(); });
        server_thread = std::thread([this] { server.listen_after_bind(); });
        // stop() only works once the server runs: wait for it.
        for (int i = 0; i < 5000 && !server.is_running(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }

    void shutdown() {
        {
            std::lock_guard<std::mutex> lk(mu);
            stopping = true;
        }
        timer_cv.notify_all();
        stop_cv.notify_all();
        if (server_thread.joinable()) {
            server.stop();
            server_thread.join();
        }
        if (timer_thread.joinable()) timer_thread.join();
        // Every sandbox left: sshd and whatever its sessions started.
        for (auto& [id, in] : instances)
            if (in.sandbox) {
                in.sandbox = false;
                destroy_sandbox(id);
            }
    }
};

FakeLambda::FakeLambda(FakeLambdaOptions options) : m(std::make_unique<Impl>(std::move(options))) {}

FakeLambda::~FakeLambda() {
    m->shutdown();
}

void FakeLambda::start() {
    m->start();
}

std::string FakeLambda::url() const {
    return "http://127.0.0.1:" + std::to_string(m->port);
}

void FakeLambda::set_faults(const Faults& f) {
    std::lock_guard<std::mutex> lk(m->mu);
    m->faults = f;
}

void FakeLambda::set_capacity(const std::string& type, const std::string& region, int instances) {
    std::lock_guard<std::mutex> lk(m->mu);
    m->capacity[{type, region}] = instances;
}

std::vector<FakeInstance> FakeLambda::instances() const {
    std::lock_guard<std::mutex> lk(m->mu);
    std::vector<FakeInstance> out;
    for (const auto& id : m->order)
        out.push_back(m->instances.at(id).pub);
    return out;
}

int FakeLambda::running() const {
    std::lock_guard<std::mutex> lk(m->mu);
    int n = 0;
    for (const auto& [id, in] : m->instances)
        if (!in.gone) ++n;
    return n;
}

std::map<std::string, int> FakeLambda::launches_by_name() const {
    std::lock_guard<std::mutex> lk(m->mu);
    return m->launches;
}

int FakeLambda::requests(const std::string& prefix) const {
    std::lock_guard<std::mutex> lk(m->mu);
    int n = 0;
    for (const auto& [key, count] : m->request_counts)
        if (key.rfind(prefix, 0) == 0) n += count;
    return n;
}

void FakeLambda::set_status(const std::string& id, const std::string& status) {
    std::lock_guard<std::mutex> lk(m->mu);
    Instance* in = m->live(id);
    if (!in) throw std::invalid_argument("fake lambda: no live instance " + id);
    if (status == "terminating")
        m->begin_termination(*in);
    else if (status == "terminated")
        m->remove_now(*in);
    else
        in->pub.status = status;
    m->timer_cv.notify_all();
}

void FakeLambda::vanish(const std::string& id) {
    std::lock_guard<std::mutex> lk(m->mu);
    if (Instance* in = m->live(id)) m->remove_now(*in);
}

}  // namespace fakes
