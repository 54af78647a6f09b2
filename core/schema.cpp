#include "core/schema.hpp"

#include <iterator>

#include "core/errors.hpp"
#include "core/sqlite.hpp"

namespace core {

namespace {

// Each entry moves the schema one version up. Never edit an entry that has shipped: add one.
constexpr const char* k_migrations[] = {
    // 1: clusters, instances, events, keys
    R"sql(
CREATE TABLE clusters(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  provider TEXT NOT NULL,
  profile TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL,
  nodes INTEGER NOT NULL,
  container TEXT NOT NULL DEFAULT '',
  grp TEXT NOT NULL DEFAULT '',
  labels TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER,
  ended_at INTEGER,
  archived INTEGER NOT NULL DEFAULT 0,
  end_reason TEXT NOT NULL DEFAULT '',
  end_detail TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'PENDING',
  gpus INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX clusters_name ON clusters(name);
CREATE TABLE instances(
  id TEXT PRIMARY KEY,
  cluster_id TEXT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  idx INTEGER NOT NULL,
  state TEXT NOT NULL,
  state_reason TEXT NOT NULL DEFAULT '',
  provider_id TEXT NOT NULL DEFAULT '',
  public_ip TEXT NOT NULL DEFAULT '',
  private_ip TEXT NOT NULL DEFAULT '',
  ssh_port INTEGER NOT NULL DEFAULT 22,
  ssh_user TEXT NOT NULL DEFAULT '',
  host_key TEXT NOT NULL DEFAULT '',
  gpu_model TEXT NOT NULL DEFAULT '',
  gpu_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX instances_cluster ON instances(cluster_id, idx);
CREATE TABLE events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  cluster_id TEXT NOT NULL,
  instance_id TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_cluster ON events(cluster_id, id);
CREATE TABLE keys(
  name TEXT PRIMARY KEY,
  public_key TEXT NOT NULL UNIQUE,
  fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
)sql",
    // 2: the operation that owns a cluster, and the process that runs it
    R"sql(
CREATE TABLE operations(
  cluster_id TEXT PRIMARY KEY REFERENCES clusters(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  owner_host TEXT NOT NULL,
  owner_pid INTEGER NOT NULL,
  owner_start INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  resumable INTEGER NOT NULL DEFAULT 0,
  stop_requested INTEGER NOT NULL DEFAULT 0
);
)sql",
    // 3: a cluster's topology, deletion protection, idle timeout and keys; what each instance
    // costs an hour, as priced at launch; volumes and where they are attached
    R"sql(
ALTER TABLE clusters ADD COLUMN topology TEXT NOT NULL DEFAULT 'single';
UPDATE clusters SET topology = 'jumphost' WHERE nodes >= 2;
ALTER TABLE clusters ADD COLUMN deletion_protection INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clusters ADD COLUMN idle_timeout INTEGER;
ALTER TABLE instances ADD COLUMN price_per_hour REAL NOT NULL DEFAULT 0;
CREATE TABLE cluster_keys(
  cluster_id TEXT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  public_key TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL,
  PRIMARY KEY(cluster_id, fingerprint)
);
CREATE TABLE volumes(
  name TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  profile TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  size_gb INTEGER NOT NULL,
  provider_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE attachments(
  volume TEXT NOT NULL REFERENCES volumes(name),
  cluster_id TEXT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
  attached_at INTEGER NOT NULL,
  PRIMARY KEY(volume, cluster_id)
);
CREATE INDEX attachments_cluster ON attachments(cluster_id);
)sql",
};

}  // namespace

int schema_version(sqlite3* db) {
    sqlite::Stmt s(db, "PRAGMA user_version");
    return s.step() ? static_cast<int>(s.integer(0)) : 0;
}

void migrate(sqlite3* db, const std::filesystem::path& path) {
    static_assert(std::size(k_migrations) == k_latest_schema_version);
    int version = schema_version(db);
    if (version > k_latest_schema_version)
        throw Error(ErrorKind::Other,
                    "state store " + path.string() + " has schema version " +
                        std::to_string(version) + ", newer than this grid understands (" +
                        std::to_string(k_latest_schema_version) + ")",
                    "upgrade grid, or point GRID_STATE_DIR at another directory");
    if (version == k_latest_schema_version) return;
    sqlite::WriteTx tx(db);
    version = schema_version(db);  // another process may have migrated meanwhile
    for (int v = version; v < k_latest_schema_version; ++v)
        sqlite::exec(db, k_migrations[v]);
    if (version < k_latest_schema_version)
        sqlite::exec(db,
                     ("PRAGMA user_version=" + std::to_string(k_latest_schema_version)).c_str());
    tx.commit();
}

}  // namespace core
