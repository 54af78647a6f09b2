// fake_lambda: the fake Lambda Cloud API as a program, for tests driven from a shell.
//   fake_lambda --port-file FILE --state-dir DIR [--api-key K] [--no-ssh] [--boot-delay-ms N]
//               [--terminate-delay-ms N] [--launch-interval-ms N] [--request-interval-ms N]
//               [--ssh-user U] [--seed N] [--fault-rate-limited P] [--fault-server-error P]
//               [--fault-reset P] [--fault-stall P] [--stall-ms N] [--faults-after-acting]
// Writes its URL ("http://127.0.0.1:PORT") to FILE once it serves, then serves until SIGTERM
// or SIGINT, and then removes every instance it started.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "tests/fakes/lambda/fake_lambda.hpp"

namespace {

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "fake_lambda: " << why << "\n"
              << "usage: fake_lambda --port-file FILE --state-dir DIR [--api-key K] [--no-ssh]\n"
                 "                   [--boot-delay-ms N] [--terminate-delay-ms N]\n"
                 "                   [--launch-interval-ms N] [--request-interval-ms N]\n"
                 "                   [--ssh-user U] [--seed N] [--fault-rate-limited P]\n"
                 "                   [--fault-server-error P] [--fault-reset P] [--fault-stall P]\n"
                 "                   [--stall-ms N] [--faults-after-acting]\n";
    std::exit(2);
}

long long number(const std::string& flag, const std::string& text) {
    try {
        std::size_t end = 0;
        const long long v = std::stoll(text, &end);
        if (end != text.size() || v < 0) throw std::invalid_argument(text);
        return v;
    } catch (const std::exception&) {
        usage(flag + " takes a number of milliseconds (or a seed), not '" + text + "'");
    }
}

double probability(const std::string& flag, const std::string& text) {
    try {
        std::size_t end = 0;
        const double v = std::stod(text, &end);
        if (end != text.size() || v < 0 || v > 1) throw std::invalid_argument(text);
        return v;
    } catch (const std::exception&) {
        usage(flag + " takes a probability from 0 to 1, not '" + text + "'");
    }
}

}  // namespace

int main(int argc, char** argv) {
    fakes::FakeLambdaOptions o;
    fakes::Faults faults;
    std::filesystem::path port_file;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        if (a == "--port-file")
            port_file = value();
        else if (a == "--state-dir")
            o.state_dir = value();
        else if (a == "--api-key")
            o.api_key = value();
        else if (a == "--no-ssh")
            o.ssh = false;
        else if (a == "--ssh-user")
            o.ssh_user = value();
        else if (a == "--boot-delay-ms")
            o.boot_delay = std::chrono::milliseconds(number(a, value()));
        else if (a == "--terminate-delay-ms")
            o.terminate_delay = std::chrono::milliseconds(number(a, value()));
        else if (a == "--launch-interval-ms")
            o.launch_interval = std::chrono::milliseconds(number(a, value()));
        else if (a == "--request-interval-ms")
            o.request_interval = std::chrono::milliseconds(number(a, value()));
        else if (a == "--seed")
            o.seed = static_cast<unsigned>(number(a, value()));
        else if (a == "--fault-rate-limited")
            faults.rate_limited = probability(a, value());
        else if (a == "--fault-server-error")
            faults.server_error = probability(a, value());
        else if (a == "--fault-reset")
            faults.reset = probability(a, value());
        else if (a == "--fault-stall")
            faults.stall = probability(a, value());
        else if (a == "--stall-ms")
            faults.stall_for = std::chrono::milliseconds(number(a, value()));
        else if (a == "--faults-after-acting")
            faults.faults_after_acting = true;
        else if (a == "-h" || a == "--help")
            usage("a fake of the Lambda Cloud API v1");
        else
            usage("unknown argument '" + a + "'");
    }
    if (port_file.empty()) usage("--port-file is required");
    if (o.state_dir.empty()) usage("--state-dir is required");

    // The signals are taken by sigwait below; every thread started from here inherits the mask.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);

    try {
        fakes::FakeLambda fake(o);
        fake.set_faults(faults);
        fake.start();
        {
            // Written whole, then renamed: a reader never sees half a URL.
            const auto tmp = port_file.string() + ".tmp";
            std::ofstream out(tmp, std::ios::trunc);
            out << fake.url() << "\n";
            out.close();
            if (!out) throw std::runtime_error("cannot write " + tmp);
            std::filesystem::rename(tmp, port_file);
        }
        std::cerr << "fake_lambda: serving on " << fake.url() << std::endl;
        int sig = 0;
        sigwait(&stop, &sig);
        std::cerr << "fake_lambda: stopping (signal " << sig << ")" << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "fake_lambda: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
