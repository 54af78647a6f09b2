#pragma once

// The last job list fetched from a Slurm cluster, kept so that a look at an unchanged queue
// costs a 304 (GET /jobs?update_time=T) and a small file instead of megabytes of JSON.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/scheduler.hpp"

namespace backends::slurm {

struct CachedJobs {
    std::int64_t update_time = 0;  // Slurm had no change newer than this when they were read
    std::vector<core::Job> jobs;
};

// nullopt when the file is missing, of another format, or for another cluster (`key`).
std::optional<CachedJobs> read_job_cache(const std::filesystem::path& file, const std::string& key);
// Its update_time alone, from the first lines: what the question to slurmrestd needs, so that
// the rest can be read while it is asked.
std::optional<std::int64_t> read_job_cache_time(const std::filesystem::path& file,
                                                const std::string& key);
// Written whole, then renamed into place (core::write_file): a reader never sees half of it.
// The jobs are not copied: thousands of them are read once and kept as they are shown.
void write_job_cache(const std::filesystem::path& file, const std::string& key,
                     std::int64_t update_time, const std::vector<core::Job>& jobs);

}  // namespace backends::slurm
