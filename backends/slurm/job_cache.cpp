#include "backends/slurm/job_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>

#include "core/files.hpp"
#include "core/memory.hpp"

namespace backends::slurm {

namespace {

constexpr const char* k_magic = "grid-slurm-jobs 1";

// One field: tabs, newlines and backslashes escaped, so that a record is one line.
void put(std::string& out, const std::string& s) {
    for (char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\t')
            out += "\\t";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    out += '\t';
}

void put(std::string& out, std::int64_t v) {
    out += std::to_string(v);
    out += '\t';
}

struct Reader {
    std::string_view line;
    std::size_t at = 0;
    bool ok = true;

    std::string text() {
        std::string out;
        while (at < line.size() && line[at] != '\t') {
            char c = line[at++];
            if (c == '\\' && at < line.size()) {
                const char e = line[at++];
                c = e == 't' ? '\t' : e == 'n' ? '\n' : e;
            }
            out += c;
        }
        if (at >= line.size()) ok = false;
        ++at;
        return out;
    }

    std::int64_t number() {
        const auto end = line.find('\t', at);
        if (end == std::string_view::npos) {
            ok = false;
            return 0;
        }
        std::int64_t v = 0;
        if (std::from_chars(line.data() + at, line.data() + end, v).ec != std::errc()) ok = false;
        at = end + 1;
        return v;
    }
};

// The next whole line of `rest`, taken off it; none when no newline ends one (cut short).
std::optional<std::string_view> next_line(std::string_view& rest) {
    const auto nl = rest.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    const auto line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    return line;
}

struct Header {
    std::int64_t update_time = 0;
    std::int64_t count = 0;
};

// The first three lines: the format, the owner, then the time and the number of jobs.
std::optional<Header> read_header(std::string_view& rest, const std::string& key) {
    const auto magic = next_line(rest);
    const auto owner = next_line(rest);
    const auto line = next_line(rest);
    if (!magic || *magic != k_magic || !owner || *owner != key || !line) return std::nullopt;
    Reader h{*line};
    Header out{h.number(), h.number()};
    if (!h.ok || out.count < 0) return std::nullopt;
    return out;
}

}  // namespace

std::optional<std::int64_t> read_job_cache_time(const std::filesystem::path& file,
                                                const std::string& key) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char start[4096];
    const ssize_t n = ::read(fd, start, sizeof start);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    std::string_view rest(start, static_cast<std::size_t>(n));
    const auto header = read_header(rest, key);
    if (!header) return std::nullopt;
    return header->update_time;
}

std::optional<CachedJobs> read_job_cache(const std::filesystem::path& file,
                                         const std::string& key) {
    const auto text = core::read_file(file);
    if (!text) return std::nullopt;
    std::string_view rest(*text);
    const auto header = read_header(rest, key);
    if (!header) return std::nullopt;
    CachedJobs c;
    c.update_time = header->update_time;
    const auto count = header->count;
    // The jobs and their longer strings (about the file's size), in memory made ready at once.
    core::prepare_heap(static_cast<std::size_t>(count) * sizeof(core::Job) + text->size());
    c.jobs.reserve(static_cast<std::size_t>(count));
    for (std::int64_t k = 0; k < count; ++k) {
        const auto line = next_line(rest);
        if (!line) return std::nullopt;
        Reader r{*line};
        core::Job& j = c.jobs.emplace_back();  // filled in place: no move of 5,000 jobs
        j.id = r.text();
        j.name = r.text();
        j.user = r.text();
        j.partition = r.text();
        j.state = r.text();
        j.reason = r.text();
        j.nodes = static_cast<int>(r.number());
        j.gpus = static_cast<int>(r.number());
        j.node_list = r.text();
        j.submit_time = r.number();
        j.start_time = r.number();
        j.end_time = r.number();
        const auto limit = r.number();
        if (limit >= 0) j.time_limit = limit;
        j.priority = r.number();
        j.exit_code = static_cast<int>(r.number());
        j.command = r.text();
        j.work_dir = r.text();
        j.stdout_path = r.text();
        if (!r.ok) return std::nullopt;
    }
    return c;
}

void write_job_cache(const std::filesystem::path& file, const std::string& key,
                     std::int64_t update_time, const std::vector<core::Job>& jobs) {
    std::string out = std::string(k_magic) + "\n" + key + "\n";
    put(out, update_time);
    put(out, static_cast<std::int64_t>(jobs.size()));
    out += '\n';
    for (const auto& j : jobs) {
        put(out, j.id);
        put(out, j.name);
        put(out, j.user);
        put(out, j.partition);
        put(out, j.state);
        put(out, j.reason);
        put(out, j.nodes);
        put(out, j.gpus);
        put(out, j.node_list);
        put(out, j.submit_time);
        put(out, j.start_time);
        put(out, j.end_time);
        put(out, j.time_limit.value_or(-1));
        put(out, j.priority);
        put(out, j.exit_code);
        put(out, j.command);
        put(out, j.work_dir);
        put(out, j.stdout_path);
        out += '\n';
    }
    core::ensure_dir(file.parent_path());
    core::write_file(file, out, 0600);
}

}  // namespace backends::slurm
