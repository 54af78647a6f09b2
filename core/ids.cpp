#include "core/ids.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <random>

#include "core/errors.hpp"
#include "core/text.hpp"

namespace core {

namespace {

constexpr std::string_view k_alphabet = "0123456789abcdefghjkmnpqrstvwxyz";  // no i, l, o, u
constexpr std::size_t k_id_length = 8;

std::array<unsigned char, k_id_length> random_bytes() {
    std::array<unsigned char, k_id_length> bytes{};
    const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    bool ok = false;
    if (fd >= 0) {
        ok = ::read(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
        ::close(fd);
    }
    if (!ok) {
        std::random_device rd;
        for (auto& b : bytes)
            b = static_cast<unsigned char>(rd());
    }
    return bytes;
}

}  // namespace

std::string new_cluster_id() {
    const auto bytes = random_bytes();
    std::string id;
    id.reserve(k_id_length);
    // The first character comes from the letters only (alphabet positions 10..31).
    id += k_alphabet[10 + bytes[0] % 22];
    for (std::size_t i = 1; i < k_id_length; ++i)
        id += k_alphabet[bytes[i] % k_alphabet.size()];
    return id;
}

bool is_cluster_id(std::string_view text) {
    if (text.size() != k_id_length) return false;
    if (k_alphabet.find(text[0]) < 10) return false;
    for (char c : text)
        if (k_alphabet.find(c) == std::string_view::npos) return false;
    return true;
}

const char* to_string(Role role) {
    return role == Role::Jumphost ? "jumphost" : "worker";
}

std::string instance_name(std::string_view cluster_id, Role role, int index) {
    std::string name(cluster_id);
    name += '-';
    name += role == Role::Jumphost ? std::string("jumphost") : std::to_string(index);
    return name;
}

std::optional<InstanceName> parse_instance_name(std::string_view text) {
    const auto dash = text.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) return std::nullopt;
    const std::string_view cluster = text.substr(0, dash);
    if (cluster.back() == '-') return std::nullopt;
    const std::string_view tail = text.substr(dash + 1);
    if (tail == "jumphost") return InstanceName{std::string(cluster), Role::Jumphost, -1};
    int index = 0;
    const auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), index);
    if (ec != std::errc{} || end != tail.data() + tail.size() || index < 0) return std::nullopt;
    if (tail.size() > 1 && tail[0] == '0') return std::nullopt;  // "-01" is not an instance
    return InstanceName{std::string(cluster), Role::Worker, index};
}

void check_cluster_name(std::string_view text) {
    const std::string name(text);
    if (text.empty())
        throw Error(ErrorKind::Usage, "a cluster name cannot be empty",
                    "drop --name, or give one such as --name train");
    if (text.size() > k_max_name_length)
        throw Error(ErrorKind::Usage, "the name " + quoted_input(text) + " is too long",
                    "use at most " + std::to_string(k_max_name_length) + " characters");
    if (!is_valid_name(text))
        throw Error(ErrorKind::Usage, "invalid name " + quoted_input(text),
                    "use letters, digits, '.', '_' or '-', starting with a letter or digit");
    if (is_cluster_id(text))
        throw Error(ErrorKind::Usage, "the name '" + name + "' reads as a cluster id",
                    "pick a name that is not 8 letters and digits like an id");
    if (const auto i = parse_instance_name(text))
        throw Error(
            ErrorKind::Usage,
            "the name '" + name + "' reads as instance " +
                (i->role == Role::Jumphost ? std::string("jumphost") : std::to_string(i->index)) +
                " of a cluster '" + i->cluster + "'",
            "end it otherwise than -N or -jumphost, such as " + i->cluster + "-" +
                (i->role == Role::Jumphost ? std::string("jh") : std::to_string(i->index) + "x"));
}

bool is_valid_name(std::string_view text) {
    if (text.empty() || text.size() > k_max_name_length) return false;
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (!alnum(text[0])) return false;
    for (char c : text)
        if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
    return true;
}

}  // namespace core
