#include "backends/lambda/lambda_api.hpp"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "backends/http/http.hpp"
#include "backends/http/pacer.hpp"
#include "core/observer.hpp"
#include "core/process.hpp"
#include "core/provider.hpp"
#include "core/secret.hpp"

namespace backends::lambda {

namespace {

using json = nlohmann::json;
using core::Error;
using core::ErrorKind;

std::string str(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int integer(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

std::string where_key_comes_from(const ApiSettings& s) {
    if (!s.key_cmd.empty()) return "the output of api_key_cmd";
    return "$" + s.key_env;
}

std::string profile_table(const ApiSettings& s) {
    return s.profile.empty() ? "[providers.lambda]" : "[profiles." + s.profile + "]";
}

// The key lives in memory only: read from the environment or a command, never written down.
std::string read_key(const ApiSettings& s) {
    return core::read_secret(
        {"Lambda API key", profile_table(s), "api_key_cmd", s.key_cmd, s.key_env});
}

ApiInstance parse_instance(const json& j) {
    ApiInstance i;
    i.id = str(j, "id");
    i.name = str(j, "name");
    i.status = str(j, "status");
    i.ip = str(j, "ip");
    i.private_ip = str(j, "private_ip");
    if (const auto t = j.find("instance_type"); t != j.end() && t->is_object())
        i.type = str(*t, "name");
    if (const auto r = j.find("region"); r != j.end() && r->is_object()) i.region = str(*r, "name");
    return i;
}

}  // namespace

ApiSettings read_api_settings(const core::Settings& s, const std::filesystem::path& state_dir) {
    ApiSettings a;
    if (auto v = s.string("api_url")) a.url = *v;
    while (!a.url.empty() && a.url.back() == '/')
        a.url.pop_back();
    if (a.url.rfind("https://", 0) != 0 && a.url.rfind("http://", 0) != 0)
        throw Error(ErrorKind::Usage, "config: " + s.path() + ".api_url must start with https://",
                    "e.g. api_url = \"https://cloud.lambda.ai\"");
    if (auto v = s.string("api_key_env")) a.key_env = *v;
    if (auto v = s.string("api_key_cmd")) a.key_cmd = *v;
    if (s.contains("api_key"))
        throw Error(ErrorKind::Usage,
                    "config: " + s.path() + ".api_key: grid does not keep keys in files",
                    "use api_key_env = \"LAMBDA_API_KEY\" or api_key_cmd = \"pass show lambda\"");
    a.request_interval = s.duration("request_interval", a.request_interval);
    a.launch_interval = s.duration("launch_interval", a.launch_interval);
    a.timeout = s.duration("timeout", a.timeout);
    const auto dot = s.path().find('.');
    if (s.path().rfind("profiles.", 0) == 0 && dot != std::string::npos)
        a.profile = s.path().substr(dot + 1);
    // Pacing is per account: profiles with the same URL and key source share it.
    a.state_dir = state_dir;
    return a;
}

struct Api::Impl {
    ApiSettings s;
    std::optional<std::string> key;
    http::Client client;
    http::Pacer requests;
    http::Pacer launches;

    explicit Impl(ApiSettings settings)
        : s(std::move(settings)),
          requests(s.state_dir / "pace" / "requests", s.request_interval),
          launches(s.state_dir / "pace" / "launches", s.launch_interval) {
        http::Options& o = client.options();
        o.timeout = s.timeout;
        o.connect_timeout = std::min(s.timeout, std::chrono::milliseconds(10'000));
        o.trace = s.trace;
        o.cancelled = [] { return core::interrupted(); };
        o.user_agent = "grid/" GRID_VERSION_STRING;
        o.before_attempt = [this] { requests.wait([] { return core::interrupted(); }); };
        o.after_attempt = [this] { requests.done(); };
    }

    const std::string& api_key() {
        if (!key) {
            key = read_key(s);
            client.options().secrets = {*key};
        }
        return *key;
    }

    [[noreturn]] void fail(const http::Response& r, const std::string& what) {
        std::string code, message, suggestion;
        try {
            const json doc = json::parse(r.body);
            if (const auto e = doc.find("error"); e != doc.end() && e->is_object()) {
                code = str(*e, "code");
                message = str(*e, "message");
                suggestion = str(*e, "suggestion");
            }
        } catch (const json::exception&) {
        }
        if (message.empty()) message = "HTTP " + std::to_string(r.status);
        if (r.status == 401 || r.status == 403)
            throw Error(
                ErrorKind::Auth, "Lambda refused the API key: " + message,
                "check the key in " + where_key_comes_from(s) + " (" + profile_table(s) + ")");
        if (code == "instance-operations/launch/insufficient-capacity")
            throw core::CapacityError("no capacity: " + message,
                                      "try another region or type: grid types --provider lambda");
        if (r.status == 404) throw Error(ErrorKind::NotFound, what + ": " + message);
        if (r.status == 429)
            throw Error(ErrorKind::Provider,
                        what + ": Lambda is limiting the request rate (429 after " +
                            std::to_string(r.attempts) + " attempts)",
                        "wait a minute, then try again");
        throw Error(ErrorKind::Provider,
                    what + ": " + (code.empty() ? "" : code + ": ") + message +
                        (r.status >= 500 ? " (HTTP " + std::to_string(r.status) + ")" : ""),
                    suggestion);
    }

    json call(const std::string& method, const std::string& path, const json* body, bool idempotent,
              const std::string& what) {
        http::Request q;
        q.method = method;
        q.url = s.url + path;
        q.idempotent = idempotent;
        q.headers = {{"Authorization", "Bearer " + api_key()}, {"Accept", "application/json"}};
        if (body) {
            q.headers.emplace_back("Content-Type", "application/json");
            q.body = body->dump();
        }
        const http::Response r = client.send(q);
        if (r.status == 429)
            if (const auto ra = r.header("retry-after"))
                if (const auto d = http::parse_retry_after(*ra, std::time(nullptr)))
                    requests.hold(*d);
        if (r.status < 200 || r.status > 299) fail(r, what);
        try {
            json doc = json::parse(r.body);
            if (!doc.is_object() || !doc.contains("data"))
                throw Error(ErrorKind::Provider, what + ": the reply has no data");
            return std::move(doc["data"]);
        } catch (const json::exception&) {
            throw Error(ErrorKind::Provider, what + ": the reply is not JSON",
                        "is api_url (" + s.url + ") the Lambda Cloud API?");
        }
    }
};

Api::Api(ApiSettings settings) : m_impl(std::make_unique<Impl>(std::move(settings))) {}
Api::~Api() = default;

std::vector<ApiInstanceType> Api::instance_types() {
    const json data =
        m_impl->call("GET", "/api/v1/instance-types", nullptr, true, "listing instance types");
    std::vector<ApiInstanceType> out;
    if (!data.is_object()) return out;
    for (const auto& [name, item] : data.items()) {
        ApiInstanceType t;
        const json& it = item.value("instance_type", json::object());
        t.name = str(it, "name").empty() ? name : str(it, "name");
        t.description = str(it, "description");
        t.gpu_description = str(it, "gpu_description");
        t.price_cents_per_hour = integer(it, "price_cents_per_hour");
        const json& specs = it.value("specs", json::object());
        t.vcpus = integer(specs, "vcpus");
        t.memory_gib = integer(specs, "memory_gib");
        t.gpus = integer(specs, "gpus");
        for (const auto& r : item.value("regions_with_capacity_available", json::array()))
            if (r.is_object()) t.regions_with_capacity.push_back(str(r, "name"));
        out.push_back(std::move(t));
    }
    return out;
}

std::vector<ApiInstance> Api::instances() {
    const json data = m_impl->call("GET", "/api/v1/instances", nullptr, true, "listing instances");
    std::vector<ApiInstance> out;
    if (data.is_array())
        for (const auto& j : data)
            out.push_back(parse_instance(j));
    return out;
}

std::string Api::launch(const LaunchSpec& spec) {
    json body{{"region_name", spec.region},
              {"instance_type_name", spec.type},
              {"ssh_key_names", json::array({spec.ssh_key_name})},
              {"name", spec.name}};
    // The hostname is the instance's name, as on the local provider, when the API accepts it.
    if (spec.name.size() <= 63) body["hostname"] = spec.name;
    if (!spec.file_systems.empty()) body["file_system_names"] = spec.file_systems;
    if (!spec.user_data.empty()) body["user_data"] = spec.user_data;
    m_impl->launches.wait([] { return core::interrupted(); });
    json data;
    try {
        data = m_impl->call("POST", "/api/v1/instance-operations/launch", &body, false,
                            "launching " + spec.name);
    } catch (...) {
        m_impl->launches.done();
        throw;
    }
    m_impl->launches.done();
    const auto ids = data.value("instance_ids", json::array());
    if (!ids.is_array() || ids.empty() || !ids[0].is_string())
        throw Error(ErrorKind::Provider,
                    "launching " + spec.name + ": no instance id in the reply");
    return ids[0].get<std::string>();
}

void Api::terminate(const std::vector<std::string>& ids) {
    const json body{{"instance_ids", ids}};
    // Terminating twice is harmless: the request may be retried.
    m_impl->call("POST", "/api/v1/instance-operations/terminate", &body, true,
                 "terminating instances");
}

std::vector<ApiSshKey> Api::ssh_keys() {
    const json data = m_impl->call("GET", "/api/v1/ssh-keys", nullptr, true, "listing SSH keys");
    std::vector<ApiSshKey> out;
    if (data.is_array())
        for (const auto& j : data)
            out.push_back({str(j, "id"), str(j, "name"), str(j, "public_key")});
    return out;
}

ApiSshKey Api::add_ssh_key(const std::string& name, const std::string& public_key) {
    const json body{{"name", name}, {"public_key", public_key}};
    const json data =
        m_impl->call("POST", "/api/v1/ssh-keys", &body, false, "adding SSH key " + name);
    return {str(data, "id"), str(data, "name"), str(data, "public_key")};
}

void Api::delete_ssh_key(const std::string& id) {
    m_impl->call("DELETE", "/api/v1/ssh-keys/" + id, nullptr, true, "deleting SSH key");
}

}  // namespace backends::lambda
