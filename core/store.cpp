#include "core/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "core/duration.hpp"
#include "core/errors.hpp"
#include "core/schema.hpp"
#include "core/sqlite.hpp"

namespace core {

using sqlite::exec;
using sqlite::fail;
using sqlite::Stmt;
using sqlite::WriteTx;

namespace {

// Long enough for eight processes creating and destroying at once to queue behind each other.
constexpr int k_busy_timeout_ms = 30000;

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::map<std::string, std::string> parse_labels(const std::string& text) {
    std::map<std::string, std::string> labels;
    if (text == "{}") return labels;  // most clusters have no labels: skip the parser
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object())
        for (const auto& [k, v] : j.items())
            if (v.is_string()) labels[k] = v.get<std::string>();
    return labels;
}

// The stored status of a cluster follows its instances; written in the same transaction.
void update_cluster_status(sqlite3* db, const std::string& cluster_id) {
    std::vector<State> states;
    {
        Stmt s(db, "SELECT state FROM instances WHERE cluster_id = ?");
        s.bind(1, cluster_id);
        while (s.step())
            states.push_back(parse_state(s.text(0)).value_or(State::Failed));
    }
    Stmt u(db, "UPDATE clusters SET status = ? WHERE id = ?");
    u.bind(1, to_string(cluster_status(states))).bind(2, cluster_id).run();
}

constexpr const char* k_cluster_columns =
    "id, name, provider, profile, region, type, nodes, container, grp, labels, created_at, "
    "updated_at, expires_at, ended_at, archived, end_reason, end_detail, topology, "
    "deletion_protection, idle_timeout";

Cluster read_cluster(const Stmt& s) {
    Cluster c;
    c.id = s.text(0);
    c.name = s.text(1);
    c.provider = s.text(2);
    c.profile = s.text(3);
    c.region = s.text(4);
    c.type = s.text(5);
    c.nodes = static_cast<int>(s.integer(6));
    c.container = s.text(7);
    c.group = s.text(8);
    c.labels = parse_labels(s.text(9));
    c.created_at = s.integer(10);
    c.updated_at = s.integer(11);
    c.expires_at = s.opt_integer(12);
    c.ended_at = s.opt_integer(13);
    c.archived = s.integer(14) != 0;
    c.end_reason = parse_end_reason(s.text(15)).value_or(EndReason::None);
    c.end_detail = s.text(16);
    c.topology = s.text(17) == "jumphost" ? Topology::Jumphost : Topology::Single;
    c.deletion_protection = s.integer(18) != 0;
    c.idle_timeout = s.opt_integer(19);
    return c;
}

constexpr const char* k_instance_columns =
    "id, cluster_id, role, idx, state, state_reason, provider_id, public_ip, private_ip, "
    "ssh_port, ssh_user, host_key, gpu_model, gpu_count, created_at, updated_at, price_per_hour";

Instance read_instance(const Stmt& s) {
    Instance i;
    i.id = s.text(0);
    i.cluster_id = s.text(1);
    i.role = s.text(2) == "jumphost" ? Role::Jumphost : Role::Worker;
    i.index = static_cast<int>(s.integer(3));
    i.state = parse_state(s.text(4)).value_or(State::Failed);
    i.state_reason = s.text(5);
    i.provider_id = s.text(6);
    i.public_ip = s.text(7);
    i.private_ip = s.text(8);
    i.ssh_port = static_cast<int>(s.integer(9));
    i.ssh_user = s.text(10);
    i.host_key = s.text(11);
    i.gpu_model = s.text(12);
    i.gpu_count = static_cast<int>(s.integer(13));
    i.created_at = s.integer(14);
    i.updated_at = s.integer(15);
    i.price_per_hour = s.real(16);
    return i;
}

void insert_event(sqlite3* db, const Event& e) {
    Stmt s(db,
           "INSERT INTO events(at_ms, cluster_id, instance_id, kind, from_state, to_state, "
           "message) VALUES(?,?,?,?,?,?,?)");
    s.bind(1, e.at_ms ? e.at_ms : now_ms()).bind(2, e.cluster_id).bind(3, e.instance_id);
    s.bind(4, to_string(e.kind));
    if (e.from) s.bind(5, to_string(*e.from));
    if (e.to) s.bind(6, to_string(*e.to));
    s.bind(7, e.message).run();
}

}  // namespace

struct Store::Impl {
    sqlite3* db = nullptr;
    std::filesystem::path path;
    ~Impl() {
        if (db) sqlite3_close_v2(db);
    }
};

Store::Store(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Store::~Store() = default;
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;

namespace {

// "grid.db.destroyed.k3m9x2ab.destroyed-by-user": the note a destroy leaves when it cannot
// record itself.
constexpr std::string_view k_note_marker = ".destroyed.";

std::string note_name(const std::filesystem::path& db, const std::string& cluster_id,
                      EndReason reason) {
    std::string token = to_string(reason);
    std::replace(token.begin(), token.end(), ' ', '-');
    return db.filename().string() + std::string(k_note_marker) + cluster_id + "." + token;
}

// Records the notes left beside the database `db`; a note whose record fails stays for the
// next open.
void apply_destroy_notes(Store& store, const std::filesystem::path& db) {
    const std::string prefix = db.filename().string() + std::string(k_note_marker);
    std::error_code ec;
    std::vector<std::filesystem::path> notes;
    for (const auto& entry : std::filesystem::directory_iterator(db.parent_path(), ec))
        if (entry.path().filename().string().rfind(prefix, 0) == 0) notes.push_back(entry.path());
    for (const auto& note : notes) {
        const std::string rest = note.filename().string().substr(prefix.size());
        const auto dot = rest.find('.');
        std::string token = dot == std::string::npos ? "" : rest.substr(dot + 1);
        std::replace(token.begin(), token.end(), '-', ' ');
        const std::string id = rest.substr(0, dot);
        const EndReason reason = parse_end_reason(token).value_or(EndReason::DestroyedByUser);
        try {
            if (const auto c = store.find_cluster(id)) {
                store.set_end_reason(id, reason, "");
                for (const auto& i : c->instances)
                    if (is_live(i.state) && i.state != State::Destroying)
                        store.transition(i.id, i.state, State::Destroying,
                                         "destroyed while the store could not record it");
            }
            std::filesystem::remove(note, ec);
        } catch (const Error&) {
            // Still no room: the note waits for the next open.
        }
    }
}

// The database's settings and schema, the first thing each connection does.
void prepare(sqlite3* db, const std::filesystem::path& path) {
    // journal_mode=WAL is persistent; only the first open of a new file pays for switching.
    std::string mode;
    {
        Stmt s(db, "PRAGMA journal_mode");
        if (s.step()) mode = s.text(0);
    }  // the statement must be finished before the mode can change
    if (mode != "wal") exec(db, "PRAGMA journal_mode=WAL");
    // journal_size_limit: the last connection to close truncates the (persistent) WAL, so that
    // the next one does not re-read megabytes of checkpointed frames when it opens.
    exec(db,
         "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit=4194304");
    migrate(db, path);
}

}  // namespace

Store Store::open(const std::filesystem::path& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr) != SQLITE_OK)
        fail(impl->db, path.string());
    sqlite3* db = impl->db;
    sqlite3_busy_timeout(db, k_busy_timeout_ms);
    // Keep the -wal and -shm files when the last connection closes: otherwise every grid
    // command pays for creating them again, and for a checkpoint when it exits.
    int persist = 1;
    sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    sqlite3_extended_result_codes(db, 0);
    // Several processes setting up a new store at once: the switch to WAL takes a lock that
    // SQLite does not wait for, so the loser is told busy at once; it tries again.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(k_busy_timeout_ms);
    while (true) {
        try {
            prepare(db, path);
            break;
        } catch (const StoreError& e) {
            if (e.cause() != StoreError::Cause::Busy || std::chrono::steady_clock::now() > deadline)
                throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    Store store(std::move(impl));
    apply_destroy_notes(store, path);
    return store;
}

void Store::defer_destroy(const std::string& cluster_id, EndReason reason) const {
    const auto note = m_impl->path.parent_path() / note_name(m_impl->path, cluster_id, reason);
    const int fd = ::open(note.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        throw Error(ErrorKind::Other,
                    "cannot leave a note at " + note.string() + ": " + std::strerror(errno));
    ::close(fd);
}

const std::filesystem::path& Store::path() const {
    return m_impl->path;
}

int Store::schema_version() const {
    return core::schema_version(m_impl->db);
}

namespace {

void insert_operation(sqlite3* db, const Operation& op) {
    Stmt s(db,
           "INSERT OR REPLACE INTO operations(cluster_id, kind, owner_host, owner_pid, "
           "owner_start, started_at, heartbeat_at, resumable, stop_requested) "
           "VALUES(?,?,?,?,?,?,?,?,0)");
    s.bind(1, op.cluster_id).bind(2, to_string(op.kind)).bind(3, op.owner.host);
    s.bind(4, op.owner.pid).bind(5, op.owner.start_time).bind(6, op.started_at);
    s.bind(7, op.heartbeat_at).bind(8, op.resumable ? 1 : 0).run();
}

std::optional<Operation> select_operation(sqlite3* db, const std::string& cluster_id) {
    Stmt s(db,
           "SELECT kind, owner_host, owner_pid, owner_start, started_at, heartbeat_at, "
           "resumable, stop_requested FROM operations WHERE cluster_id = ?");
    s.bind(1, cluster_id);
    if (!s.step()) return std::nullopt;
    Operation op;
    op.cluster_id = cluster_id;
    op.kind = parse_operation_kind(s.text(0)).value_or(OperationKind::Unknown);
    op.owner.host = s.text(1);
    op.owner.pid = s.integer(2);
    op.owner.start_time = s.integer(3);
    op.started_at = s.integer(4);
    op.heartbeat_at = s.integer(5);
    op.resumable = s.integer(6) != 0;
    op.stop_requested = s.integer(7) != 0;
    return op;
}

// "WHERE cluster_id = ?1 AND" the owner is ?2 (host), ?3 (pid), ?4 (start time).
constexpr const char* k_owned_by =
    " WHERE cluster_id = ?1 AND owner_host = ?2 AND owner_pid = ?3 AND owner_start = ?4";

// Runs an UPDATE or DELETE whose WHERE is k_owned_by; returns whether a row was changed.
bool run_owned(sqlite3* db, const std::string& sql, const std::string& cluster_id,
               const ProcessIdentity& owner, std::optional<std::int64_t> value = std::nullopt) {
    WriteTx tx(db);
    Stmt s(db, sql.c_str());
    s.bind(1, cluster_id).bind(2, owner.host).bind(3, owner.pid).bind(4, owner.start_time);
    if (value) s.bind(5, *value);
    s.run();
    const bool changed = s.changes() > 0;
    tx.commit();
    return changed;
}

void insert_cluster_key(sqlite3* db, const std::string& cluster_id, const ClusterKey& k) {
    Stmt s(db,
           "INSERT OR REPLACE INTO cluster_keys(cluster_id, fingerprint, public_key, name, "
           "added_at) VALUES(?,?,?,?,?)");
    s.bind(1, cluster_id).bind(2, k.fingerprint).bind(3, k.public_key).bind(4, k.name);
    s.bind(5, k.added_at).run();
}

// A name stands for one cluster: not one a cluster not archived uses, nor the start of an id.
void ensure_name_free(sqlite3* db, const std::string& name) {
    Stmt taken(db, "SELECT id, status FROM clusters WHERE name = ? AND archived = 0 LIMIT 1");
    taken.bind(1, name);
    if (taken.step()) {
        const std::string id = taken.text(0);
        const bool ended = is_final(parse_state(taken.text(1)).value_or(State::Failed));
        throw Error(
            ErrorKind::InvalidState,
            "the name '" + name + "' is taken by cluster " + id + " (" + taken.text(1) + ")",
            ended ? "pick another name, or archive the ended cluster first: grid "
                    "cluster archive " +
                        id
                  : "pick another name");
    }
    Stmt starts(db, "SELECT id FROM clusters WHERE substr(id, 1, length(?1)) = ?1 LIMIT 1");
    starts.bind(1, name);
    if (starts.step())
        throw Error(ErrorKind::InvalidState,
                    "the name '" + name + "' is the start of cluster " + starts.text(0) +
                        "'s id, so it would stand for two clusters",
                    "pick another name");
}

}  // namespace

bool Store::insert_cluster(const Cluster& c, const Operation* owner,
                           const std::vector<ClusterKey>& keys) {
    sqlite3* db = m_impl->db;
    WriteTx tx(db);
    if (!c.name.empty()) ensure_name_free(db, c.name);
    {
        Stmt shadowed(db,
                      "SELECT 1 FROM clusters WHERE name <> '' AND substr(?1, 1, length(name)) = "
                      "name LIMIT 1");
        shadowed.bind(1, c.id);
        if (shadowed.step()) return false;
    }
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : c.labels)
        labels[k] = v;
    Stmt s(db,
           "INSERT INTO clusters(id, name, provider, profile, region, type, nodes, container, grp, "
           "labels, created_at, updated_at, expires_at, gpus, topology, deletion_protection, "
           "idle_timeout) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.bind(1, c.id).bind(2, c.name).bind(3, c.provider).bind(4, c.profile).bind(5, c.region);
    s.bind(6, c.type).bind(7, c.nodes).bind(8, c.container).bind(9, c.group);
    s.bind(10, labels.dump()).bind(11, c.created_at).bind(12, c.created_at);
    int gpus = 0;
    for (const auto& i : c.instances)
        gpus += i.gpu_count;
    s.bind(13, c.expires_at).bind(14, gpus).bind(15, to_string(c.topology));
    s.bind(16, c.deletion_protection ? 1 : 0).bind(17, c.idle_timeout).run();
    for (const auto& i : c.instances) {
        Stmt si(db,
                "INSERT INTO instances(id, cluster_id, role, idx, state, gpu_model, gpu_count, "
                "created_at, updated_at, price_per_hour) VALUES(?,?,?,?,?,?,?,?,?,?)");
        si.bind(1, i.id).bind(2, c.id).bind(3, to_string(i.role)).bind(4, i.index);
        si.bind(5, to_string(i.state)).bind(6, i.gpu_model).bind(7, i.gpu_count);
        si.bind(8, c.created_at).bind(9, c.created_at).bind(10, i.price_per_hour).run();
    }
    for (const auto& k : keys)
        insert_cluster_key(db, c.id, k);
    Event e;
    e.cluster_id = c.id;
    e.kind = EventKind::Created;
    e.message = std::to_string(c.nodes) + " x " + c.type + " on " + c.provider;
    insert_event(db, e);
    update_cluster_status(db, c.id);
    if (owner) insert_operation(db, *owner);
    tx.commit();
    return true;
}

std::optional<Cluster> Store::find_cluster(const std::string& id) const {
    sqlite3* db = m_impl->db;
    const std::string sql =
        std::string("SELECT ") + k_cluster_columns + " FROM clusters WHERE id = ?";
    Stmt s(db, sql.c_str());
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    Cluster c = read_cluster(s);
    const std::string isql = std::string("SELECT ") + k_instance_columns +
                             " FROM instances WHERE cluster_id = ? ORDER BY idx";
    Stmt si(db, isql.c_str());
    si.bind(1, id);
    while (si.step())
        c.instances.push_back(read_instance(si));
    return c;
}

std::vector<Cluster> Store::list_clusters(const ClusterQuery& q) const {
    sqlite3* db = m_impl->db;
    std::string where = " WHERE 1=1";
    if (!q.include_archived) where += " AND archived = 0";
    if (!q.provider.empty()) where += " AND provider = ?1";
    const std::string sql =
        std::string("SELECT ") + k_cluster_columns + " FROM clusters" + where + " ORDER BY rowid";
    // Both reads from one snapshot, so that clusters and their instances agree.
    exec(db, "BEGIN");
    struct EndRead {
        sqlite3* db;
        ~EndRead() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
    } end_read{db};
    Stmt s(db, sql.c_str());
    if (!q.provider.empty()) s.bind(1, q.provider);
    std::vector<Cluster> out;
    std::unordered_map<std::string, std::size_t> index;
    while (s.step()) {
        out.push_back(read_cluster(s));
        index.emplace(out.back().id, out.size() - 1);
    }
    if (out.empty()) return out;
    // A plain scan of the table is cheaper than an ordered, filtered one: instances of
    // clusters not selected are skipped here, and the few per cluster are ordered below.
    const std::string isql = std::string("SELECT ") + k_instance_columns + " FROM instances";
    Stmt si(db, isql.c_str());
    while (si.step()) {
        const auto it = index.find(si.text(1));
        if (it != index.end()) out[it->second].instances.push_back(read_instance(si));
    }
    for (auto& c : out)
        std::sort(c.instances.begin(), c.instances.end(),
                  [](const Instance& a, const Instance& b) { return a.index < b.index; });
    return out;
}

std::vector<ClusterSummary> Store::list_summaries(const ClusterQuery& q) const {
    // A table needs the first nine columns only; reading fewer is most of what a list costs.
    std::string sql =
        "SELECT id, name, status, provider, type, nodes, gpus, created_at, expires_at";
    if (q.details) sql += ", profile, grp, labels, ended_at, archived, end_reason, end_detail";
    sql += " FROM clusters WHERE 1=1";
    if (!q.include_archived) sql += " AND archived = 0";
    if (!q.provider.empty()) sql += " AND provider = ?1";
    sql += " ORDER BY rowid";  // insertion order is creation order, and a plain table scan
    Stmt s(m_impl->db, sql.c_str());
    if (!q.provider.empty()) s.bind(1, q.provider);
    std::vector<ClusterSummary> out;
    out.reserve(cluster_count());  // growing a vector of a thousand copies them all, twice
    while (s.step()) {
        ClusterSummary c;
        c.id = s.text(0);
        c.name = s.text(1);
        c.status = parse_state(s.text(2)).value_or(State::Failed);
        c.provider = s.text(3);
        c.type = s.text(4);
        c.nodes = static_cast<int>(s.integer(5));
        c.gpus = static_cast<int>(s.integer(6));
        c.created_at = s.integer(7);
        c.expires_at = s.opt_integer(8);
        if (q.details) {
            c.profile = s.text(9);
            c.group = s.text(10);
            c.labels = parse_labels(s.text(11));
            c.ended_at = s.opt_integer(12);
            c.archived = s.integer(13) != 0;
            c.end_reason = parse_end_reason(s.text(14)).value_or(EndReason::None);
            c.end_detail = s.text(15);
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::size_t Store::cluster_count() const {
    Stmt s(m_impl->db, "SELECT count(*) FROM clusters");  // no WHERE: SQLite counts b-tree pages
    return s.step() ? static_cast<std::size_t>(s.integer(0)) : 0;
}

namespace {

// The ids a query with one text parameter selects.
std::vector<std::string> select_ids(sqlite3* db, const char* sql, const std::string& arg) {
    Stmt s(db, sql);
    s.bind(1, arg);
    std::vector<std::string> ids;
    while (s.step())
        ids.push_back(s.text(0));
    return ids;
}

}  // namespace

void Store::check_name_free(const std::string& name) const {
    ensure_name_free(m_impl->db, name);
}

std::vector<std::string> Store::ids_with_name(const std::string& name,
                                              bool include_archived) const {
    return select_ids(
        m_impl->db,
        include_archived
            ? "SELECT id FROM clusters WHERE name = ?1 ORDER BY rowid"
            : "SELECT id FROM clusters WHERE name = ?1 AND archived = 0 ORDER BY rowid",
        name);
}

std::vector<std::string> Store::ids_with_prefix(const std::string& prefix,
                                                bool include_archived) const {
    // substr() instead of LIKE: LIKE would treat '_' and '%' in the prefix as wildcards.
    return select_ids(
        m_impl->db,
        include_archived
            ? "SELECT id FROM clusters WHERE substr(id, 1, length(?1)) = ?1"
            : "SELECT id FROM clusters WHERE substr(id, 1, length(?1)) = ?1 AND archived = 0",
        prefix);
}

bool Store::transition(const std::string& instance_id, State from, State to,
                       const std::string& reason) {
    if (!allowed(from, to))
        throw Error(ErrorKind::InvalidState, std::string("instance ") + instance_id +
                                                 ": the lifecycle does not allow " +
                                                 to_string(from) + " -> " + to_string(to));
    sqlite3* db = m_impl->db;
    WriteTx tx(db);
    std::string cluster_id;
    {
        Stmt s(db, "SELECT state, cluster_id FROM instances WHERE id = ?");
        s.bind(1, instance_id);
        if (!s.step()) throw Error(ErrorKind::NotFound, "no instance " + instance_id);
        if (s.text(0) != to_string(from)) return false;
        cluster_id = s.text(1);
    }
    const std::int64_t now = now_unix();
    Stmt u(db, "UPDATE instances SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?");
    u.bind(1, to_string(to)).bind(2, reason).bind(3, now).bind(4, instance_id).run();
    Event e;
    e.cluster_id = cluster_id;
    e.instance_id = instance_id;
    e.kind = EventKind::Transition;
    e.from = from;
    e.to = to;
    e.message = reason;
    insert_event(db, e);
    // A cluster ends when its last live instance does.
    Stmt c(db,
           "UPDATE clusters SET updated_at = ?1, ended_at = CASE WHEN ended_at IS NULL AND NOT "
           "EXISTS (SELECT 1 FROM instances WHERE cluster_id = ?2 AND state NOT IN "
           "('DESTROYED','FAILED')) THEN ?1 ELSE ended_at END WHERE id = ?2");
    c.bind(1, now).bind(2, cluster_id).run();
    update_cluster_status(db, cluster_id);
    tx.commit();
    return true;
}

void Store::update_instance_endpoint(const Instance& i) {
    sqlite3* db = m_impl->db;
    WriteTx tx(db);
    Stmt s(db,
           "UPDATE instances SET provider_id = ?, public_ip = ?, private_ip = ?, ssh_port = ?, "
           "ssh_user = ?, host_key = ?, price_per_hour = ?, updated_at = ? WHERE id = ?");
    s.bind(1, i.provider_id).bind(2, i.public_ip).bind(3, i.private_ip).bind(4, i.ssh_port);
    s.bind(5, i.ssh_user).bind(6, i.host_key).bind(7, i.price_per_hour).bind(8, now_unix());
    s.bind(9, i.id).run();
    tx.commit();
}

void Store::record_event(const Event& e) {
    WriteTx tx(m_impl->db);
    insert_event(m_impl->db, e);
    tx.commit();
}

std::vector<Event> Store::events(const std::string& cluster_id, std::int64_t since_ms) const {
    Stmt s(m_impl->db,
           "SELECT id, at_ms, cluster_id, instance_id, kind, from_state, to_state, message FROM "
           "events WHERE cluster_id = ? AND at_ms >= ? ORDER BY id");
    s.bind(1, cluster_id).bind(2, since_ms);
    std::vector<Event> out;
    while (s.step()) {
        Event e;
        e.id = s.integer(0);
        e.at_ms = s.integer(1);
        e.cluster_id = s.text(2);
        e.instance_id = s.text(3);
        e.kind = parse_event_kind(s.text(4));
        e.from = parse_state(s.text(5));
        e.to = parse_state(s.text(6));
        e.message = s.text(7);
        out.push_back(std::move(e));
    }
    return out;
}

void Store::set_end_reason(const std::string& cluster_id, EndReason reason,
                           const std::string& detail) {
    sqlite3* db = m_impl->db;
    WriteTx tx(db);
    Stmt s(db,
           "UPDATE clusters SET end_reason = ?, end_detail = ?, updated_at = ? WHERE id = ? AND "
           "end_reason = ''");
    s.bind(1, to_string(reason)).bind(2, detail).bind(3, now_unix()).bind(4, cluster_id).run();
    tx.commit();
}

void Store::set_archived(const std::string& cluster_id) {
    sqlite3* db = m_impl->db;
    WriteTx tx(db);
    Stmt s(db, "UPDATE clusters SET archived = 1, updated_at = ? WHERE id = ?");
    s.bind(1, now_unix()).bind(2, cluster_id).run();
    Event e;
    e.cluster_id = cluster_id;
    e.kind = EventKind::Archived;
    insert_event(db, e);
    tx.commit();
}

void Store::set_expiry(const std::string& cluster_id, std::optional<std::int64_t> expires_at) {
    sqlite3* db = m_impl->db;
    WriteTx tx(db);
    Stmt s(db, "UPDATE clusters SET expires_at = ?, updated_at = ? WHERE id = ?");
    s.bind(1, expires_at).bind(2, now_unix()).bind(3, cluster_id).run();
    tx.commit();
}

std::optional<Operation> Store::operation(const std::string& cluster_id) const {
    return select_operation(m_impl->db, cluster_id);
}

Operation Store::claim(const Operation& op, const std::function<bool(const Operation&)>& gone) {
    sqlite3* db = m_impl->db;
    WriteTx tx(db);
    if (const auto held = select_operation(db, op.cluster_id);
        held && !(held->owner == op.owner) && !gone(*held))
        return *held;
    insert_operation(db, op);
    tx.commit();
    return op;
}

bool Store::heartbeat(const std::string& cluster_id, const ProcessIdentity& owner,
                      std::int64_t now) {
    return run_owned(m_impl->db,
                     std::string("UPDATE operations SET heartbeat_at = ?5") + k_owned_by,
                     cluster_id, owner, now);
}

void Store::set_resumable(const std::string& cluster_id, const ProcessIdentity& owner) {
    run_owned(m_impl->db, std::string("UPDATE operations SET resumable = 1") + k_owned_by,
              cluster_id, owner);
}

void Store::request_stop(const std::string& cluster_id) {
    sqlite3* db = m_impl->db;
    WriteTx tx(db);
    Stmt s(db, "UPDATE operations SET stop_requested = 1 WHERE cluster_id = ?");
    s.bind(1, cluster_id).run();
    tx.commit();
}

void Store::release(const std::string& cluster_id, const ProcessIdentity& owner) {
    run_owned(m_impl->db, std::string("DELETE FROM operations") + k_owned_by, cluster_id, owner);
}

void Store::add_key(const SshKey& k) {
    sqlite3* db = m_impl->db;
    WriteTx tx(db);
    {
        Stmt s(db, "SELECT name FROM keys WHERE public_key = ?");
        s.bind(1, k.public_key);
        if (s.step())
            throw Error(ErrorKind::InvalidState,
                        "this key is already registered as '" + s.text(0) + "'");
    }
    {
        Stmt s(db, "SELECT 1 FROM keys WHERE name = ?");
        s.bind(1, k.name);
        if (s.step())
            throw Error(ErrorKind::InvalidState, "a key named '" + k.name + "' already exists",
                        "give the key another comment, or list keys with: grid me sshkey");
    }
    Stmt s(db, "INSERT INTO keys(name, public_key, fingerprint, created_at) VALUES(?,?,?,?)");
    s.bind(1, k.name).bind(2, k.public_key).bind(3, k.fingerprint).bind(4, k.created_at).run();
    tx.commit();
}

std::vector<SshKey> Store::keys() const {
    Stmt s(m_impl->db, "SELECT name, public_key, fingerprint, created_at FROM keys ORDER BY name");
    std::vector<SshKey> out;
    while (s.step())
        out.push_back({s.text(0), s.text(1), s.text(2), s.integer(3)});
    return out;
}

}  // namespace core
