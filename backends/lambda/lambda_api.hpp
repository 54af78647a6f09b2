#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace backends::lambda {

// The parts of the Lambda Cloud API v1 that grid uses, as plain structs. Every call maps the
// API's errors onto grid's: 401/403 -> Auth (exit 6), insufficient capacity -> CapacityError,
// anything else -> Provider (exit 5), with the API's own code and message.

struct ApiInstanceType {
    std::string name;  // "gpu_8x_h100_sxm5"
    std::string description;
    std::string gpu_description;
    int price_cents_per_hour = 0;
    int vcpus = 0;
    int memory_gib = 0;
    int gpus = 0;
    std::vector<std::string> regions_with_capacity;
};

struct ApiInstance {
    std::string id;
    std::string name;
    std::string status;  // booting, active, unhealthy, terminating, terminated, preempted
    std::string ip;
    std::string private_ip;
    std::string type;
    std::string region;
};

struct ApiSshKey {
    std::string id;
    std::string name;
    std::string public_key;
};

struct LaunchSpec {
    std::string name;
    std::string type;
    std::string region;
    std::string ssh_key_name;
    std::vector<std::string> file_systems;
    std::string user_data;
};

struct ApiSettings {
    std::string url = "https://cloud.lambda.ai";
    std::string profile;  // for messages: where the key comes from
    std::string key_env = "LAMBDA_API_KEY";
    std::string key_cmd;
    std::chrono::milliseconds request_interval{1000};  // "generally one request per second"
    std::chrono::milliseconds launch_interval{12000};  // "one launch per 12 seconds"
    std::chrono::milliseconds timeout{60'000};
    std::filesystem::path state_dir;  // for the pacing files shared by grid processes
    std::function<void(const std::string&)> trace;
};
ApiSettings read_api_settings(const core::Settings& s, const std::filesystem::path& state_dir);

class Api {
  public:
    explicit Api(ApiSettings settings);
    ~Api();

    std::vector<ApiInstanceType> instance_types();
    std::vector<ApiInstance> instances();
    // One instance; throws http::UncertainError when the outcome is unknown.
    std::string launch(const LaunchSpec& spec);
    void terminate(const std::vector<std::string>& ids);  // throws NotFound for unknown ids
    std::vector<ApiSshKey> ssh_keys();
    ApiSshKey add_ssh_key(const std::string& name, const std::string& public_key);
    void delete_ssh_key(const std::string& id);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace backends::lambda
