#include "core/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"

namespace core {

namespace fs = std::filesystem;

namespace {

Error io_error(const std::string& what, const fs::path& path) {
    return Error(ErrorKind::Other, what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

void write_file(const fs::path& path, const std::string& content, int mode) {
    const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw io_error("cannot write", tmp);
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            ::unlink(tmp.c_str());
            throw io_error("cannot write", tmp);
        }
        done += static_cast<std::size_t>(n);
    }
    ::fchmod(fd, static_cast<mode_t>(mode));  // the umask must not widen or narrow it
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw io_error("cannot write", path);
    }
}

std::optional<std::string> read_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    // Read straight into a string of the file's size: a kept job list is half a megabyte, and
    // copying it through a stream costs more than reading it. Files that give no size (/proc)
    // or grow meanwhile are read on through a small buffer.
    struct stat st {};
    std::string out;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t used = 0;
    char spare[4096];
    while (true) {
        const bool in_place = used < out.size();
        char* into = in_place ? out.data() + used : spare;
        const ssize_t n = ::read(fd, into, in_place ? out.size() - used : sizeof spare);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        if (!in_place) out.append(spare, static_cast<std::size_t>(n));
        used += static_cast<std::size_t>(n);
    }
    ::close(fd);
    out.resize(used);
    return out;
}

void ensure_dir(const fs::path& path, int mode) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return;
    fs::create_directories(path, ec);
    if (ec && !fs::is_directory(path))
        throw Error(ErrorKind::Other,
                    "cannot create directory " + path.string() + ": " + ec.message());
    ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

FileLock::FileLock(const fs::path& path) {
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m_fd < 0) throw io_error("cannot open lock", path);
    while (::flock(m_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ::close(m_fd);
            throw io_error("cannot lock", path);
        }
    }
}

FileLock::~FileLock() {
    if (m_fd >= 0) ::close(m_fd);
}

}  // namespace core
