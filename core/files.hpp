#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace core {

// Writes through a temporary file and rename(), so readers never see half a file, and
// creates the file with `mode` from the start (a key is never briefly world-readable).
void write_file(const std::filesystem::path& path, const std::string& content, int mode = 0644);
std::optional<std::string> read_file(const std::filesystem::path& path);
void ensure_dir(const std::filesystem::path& path, int mode = 0700);

// An exclusive advisory lock (flock) held for the object's lifetime. The descriptor is
// close-on-exec so that daemons started while it is held do not keep it.
class FileLock {
  public:
    explicit FileLock(const std::filesystem::path& path);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

  private:
    int m_fd = -1;
};

}  // namespace core
