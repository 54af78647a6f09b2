#include "tests/support/prism.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/files.hpp"
#include "core/process.hpp"
#include "tests/support/support.hpp"

namespace test {

namespace fs = std::filesystem;

std::string prism_binary(std::string& why) {
    const fs::path dir = fs::path(GRID_BUILD_DIR) / "tests" / "prism";
    const fs::path bin = dir / "node_modules" / ".bin" / "prism";
    if (fs::exists(bin)) return bin.string();
    why = core::read_file(dir / "unavailable")
              .value_or("Prism is not installed in " + dir.string() +
                        " (the ctest fixture prism_install puts it there)");
    while (!why.empty() && why.back() == '\n')
        why.pop_back();
    return {};
}

Prism::Prism(const std::string& upstream) {
    std::string why;
    const std::string bin = prism_binary(why);
    if (bin.empty()) skip("Prism is not available: " + why);
    const fs::path spec =
        fs::path(GRID_SOURCE_DIR) / "tests" / "data" / "lambda-cloud-api-v1.10.0.openapi.json";
    m_log = fs::temp_directory_path() /
            ("grid-prism-" + std::to_string(::getpid()) + "-" +
             std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".log");
    // A port can be taken between the probe and Prism's bind: try a few.
    for (int attempt = 0; attempt < 3 && m_pid == 0; ++attempt) {
        m_port = test::free_loopback_port();
        std::error_code ec;
        fs::remove(m_log, ec);
        const pid_t pid = core::spawn_detached({bin, "proxy", "--errors", "-h", "127.0.0.1", "-p",
                                                std::to_string(m_port), spec.string(), upstream},
                                               {}, m_log);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline && core::process_alive(pid)) {
            if (test::accepts(m_port)) {
                m_pid = pid;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (m_pid == 0) core::stop_process(pid, std::chrono::seconds(2));
    }
    if (m_pid == 0) throw std::runtime_error("Prism did not start: " + log());
}

Prism::~Prism() {
    if (m_pid) core::stop_process(m_pid, std::chrono::seconds(5));
    std::error_code ec;
    fs::remove(m_log, ec);
}

std::string Prism::log() const {
    return core::read_file(m_log).value_or("");
}

std::vector<std::string> Prism::violations(bool allow_undocumented_status) const {
    // Prism writes its log a moment after it replies: wait until the log stops growing.
    std::string text = log();
    for (int i = 0; i < 40; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::string now = log();
        if (now == text && i >= 2) break;
        text = std::move(now);
    }
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        const bool validator = line.find("[VALIDATOR]") != std::string::npos;
        const bool error =
            line.find("✖") != std::string::npos || line.find("VIOLATIONS") != std::string::npos;
        const bool undocumented =
            line.find("Unable to match the returned status code") != std::string::npos;
        if (undocumented && allow_undocumented_status) continue;
        if (error || (validator && line.find("Violation") != std::string::npos))
            out.push_back(line);
    }
    return out;
}

}  // namespace test
