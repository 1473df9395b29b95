// Schema versions and migrations, on real files.
#include "dfs/index/schema.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "dfs/index/index.hpp"
#include "dfs/index/sqlite.hpp"
#include "index_test_util.hpp"

namespace dfs::index {
namespace {

using testing::IndexTest;

std::set<std::string> table_names(Database& db) {
  std::set<std::string> names;
  auto stmt = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'");
  EXPECT_OK(stmt);
  while (stmt.ok() && *stmt->step()) names.insert(stmt->column_text(0));
  return names;
}

TEST_F(IndexTest, OpeningAnEmptyFileMigratesItToTheCurrentVersion) {
  ASSERT_NE(open_index(), nullptr);
  Database db = open_raw();
  EXPECT_EQ(*schema_version(db), kSchemaVersion);
  std::set<std::string> tables = table_names(db);
  for (const char* table : {"files", "chunk_refs", "pins", "inodes", "entries", "xattrs", "peers", "leases"}) {
    EXPECT_TRUE(tables.count(table)) << "missing table " << table;
  }
}

TEST_F(IndexTest, TheSchemaHasAnIndexForLookingUpRefsByManifest) {
  ASSERT_NE(open_index(), nullptr);
  Database db = open_raw();
  // Column 3 of a query plan row is its text, e.g. "SEARCH ... USING INDEX".
  auto stmt = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM chunk_refs WHERE manifest_id = x'00'");
  ASSERT_OK(stmt);
  ASSERT_TRUE(*stmt->step());
  EXPECT_NE(stmt->column_text(3).find("chunk_refs_by_manifest"), std::string::npos) << stmt->column_text(3);
}

TEST_F(IndexTest, ReopeningAMigratedIndexKeepsItsDataAndVersion) {
  {
    auto index = open_index();
    ASSERT_NE(index, nullptr);
    ASSERT_OK(index->record_file(testing::file(1), {testing::id(10)}));
  }
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  auto files = index->list_files();
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front(), testing::file(1));
  Database db = open_raw();
  EXPECT_EQ(*schema_version(db), kSchemaVersion);
}

TEST_F(IndexTest, AnIndexFromANewerDfsIsRefusedWithBadVersion) {
  {
    Database db = open_raw();
    ASSERT_OK(db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1)));
  }
  auto index = Index::open(path());
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.error().code, Errc::bad_version);
  const std::string& message = index.error().message;
  EXPECT_NE(message.find(path()), std::string::npos) << message;
  EXPECT_NE(message.find("schema version " + std::to_string(kSchemaVersion + 1)), std::string::npos) << message;
  EXPECT_NE(message.find("newer"), std::string::npos) << message;
}

TEST_F(IndexTest, ANewerIndexIsLeftUntouchedWhenRefused) {
  {
    Database db = open_raw();
    ASSERT_OK(db.exec("PRAGMA user_version = 99"));
  }
  ASSERT_FALSE(Index::open(path()).ok());
  Database db = open_raw();
  EXPECT_EQ(*schema_version(db), 99);
  EXPECT_TRUE(table_names(db).empty());
}

TEST_F(IndexTest, TheIndexFileIsCreatedReadableOnlyByItsOwner) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  ASSERT_OK(index->record_file(testing::file(1), {}));  // makes the -wal file exist
  for (const std::string& file : {path(), path() + "-wal"}) {
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
  }
}

TEST_F(IndexTest, OpeningAnIndexInAMissingDirectoryFailsAndNamesThePath) {
  const std::string missing = dir_.file("no/such/dir/index.db");
  auto index = Index::open(missing);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.error().code, Errc::not_found);
  EXPECT_NE(index.error().message.find(missing), std::string::npos) << index.error().message;
}

TEST_F(IndexTest, TheMigrationCreatesTheRootDirectory) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  auto root = index->get_inode(kRootIno);
  ASSERT_OK(root);
  EXPECT_TRUE(S_ISDIR(root->mode));
  EXPECT_EQ(root->mode & 07777, 0755u);
  EXPECT_EQ(root->uid, ::getuid());
  EXPECT_EQ(root->gid, ::getgid());
  EXPECT_EQ(root->nlink, 2u);
  EXPECT_GT(root->mtime_ns, 0);
}

TEST_F(IndexTest, AVersion5IndexKeepsItsFilesAsFilesAfterTheTreesMigration) {
  {
    Database db = open_raw();
    ASSERT_OK(migrate(db, index_migrations().first(5)));
    ASSERT_OK(db.exec("INSERT INTO files (manifest_id, file_key, name, size, chunk_size, chunk_count, added_at) "
                      "VALUES (x'" + std::string(64, '1') + "', x'" + std::string(64, '2') + "', 'old', 5, 4096, 1, 7)"));
  }
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  auto files = index->list_files();
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().name, "old");
  EXPECT_FALSE(files->front().is_directory);
  EXPECT_FALSE(files->front().from_mount);
}

// Version 10 kept the mount's versions in fs_versions and numbered
// unsynced notes with AUTOINCREMENT; v11 marks them in files and keeps
// the notes (and their order) as they were.
TEST_F(IndexTest, AVersion10IndexKeepsItsMountVersionsAndUnsyncedNotesAfterMigration) {
  const std::string mount_version(64, 'a'), put(64, 'b'), data(64, 'c'), earlier(64, 'd');
  {
    Database db = open_raw();
    ASSERT_OK(migrate(db, index_migrations().first(10)));
    for (const std::string& manifest : {mount_version, put}) {
      ASSERT_OK(db.exec("INSERT INTO files (manifest_id, file_key, name, size, chunk_size, chunk_count, added_at) "
                        "VALUES (x'" + manifest + "', x'" + std::string(64, '2') + "', 'f', 5, 4096, 1, 7)"));
      ASSERT_OK(db.exec("INSERT INTO chunk_refs VALUES (x'" + manifest + "', x'" + manifest + "'), (x'" + data +
                        "', x'" + manifest + "')"));
    }
    ASSERT_OK(db.exec("INSERT INTO fs_versions VALUES (x'" + mount_version + "')"));
    ASSERT_OK(db.exec("INSERT INTO unsynced_versions (ino, manifest_id, previous_manifest, previous_key, "
                      "previous_size, previous_mtime_ns) VALUES (5, x'" + earlier + "', NULL, NULL, 0, 1), "
                      "(5, x'" + mount_version + "', x'" + earlier + "', x'" + std::string(64, '2') + "', 3, 2)"));
  }
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  {
    Database db = open_raw();
    EXPECT_FALSE(table_names(db).count("fs_versions"));
  }
  const auto mount_id = ChunkId::from_hex(mount_version), put_id = ChunkId::from_hex(put);
  ASSERT_TRUE(mount_id.ok() && put_id.ok());
  EXPECT_TRUE((*index->find_file(*mount_id))->from_mount);
  EXPECT_FALSE((*index->find_file(*put_id))->from_mount);
  auto notes = index->unsynced_versions();
  ASSERT_OK(notes);
  ASSERT_EQ(notes->size(), 2u);
  EXPECT_EQ(notes->at(1).manifest, *mount_id);
  EXPECT_EQ(notes->at(1).previous_size, 3u);
  // A note made now comes after them; settling them forgets the mount's
  // version (nothing points at it) and keeps the put.
  {
    NamespaceTxn txn = std::move(index->begin_namespace()).value();
    ASSERT_OK(txn.record_unsynced_version(UnsyncedVersion{0, 6, *put_id, std::nullopt, std::nullopt, 0, 0}));
    ASSERT_OK(txn.commit());
  }
  notes = index->unsynced_versions();
  ASSERT_OK(notes);
  ASSERT_EQ(notes->size(), 3u);
  EXPECT_LT(notes->at(1).seq, notes->at(2).seq);
  ASSERT_OK(index->make_durable({}));
  EXPECT_FALSE(index->find_file(*mount_id)->has_value());
  EXPECT_TRUE(index->find_file(*put_id)->has_value());
  EXPECT_TRUE(*index->is_referenced(*put_id));
  EXPECT_FALSE(*index->is_referenced(*mount_id));
}

TEST_F(IndexTest, ATreeIsRecordedAsADirectoryAndAMountVersionSaysSo) {
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  FileRecord tree = testing::file(1);
  tree.is_directory = true;
  ASSERT_OK(index->record_file(tree, {testing::id(10)}));
  auto txn = index->begin_namespace();
  ASSERT_OK(txn);
  ASSERT_OK(txn->record_version(testing::file(2), {testing::id(11)}));
  ASSERT_OK(txn->commit());
  auto files = index->list_files();
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ(index->find_file(tree.manifest)->value(), tree);
  for (const FileRecord& f : *files) {
    EXPECT_EQ(f.is_directory, f.manifest == tree.manifest);
    EXPECT_EQ(f.from_mount, f.manifest == testing::file(2).manifest);
  }
}

// --- migrate() with made-up migration lists -----------------------------

Status create_a(Database& db) { return db.exec("CREATE TABLE a (x)"); }
Status create_b_then_fail(Database& db) {
  DFS_TRY(db.exec("CREATE TABLE b (x)"));
  return db.exec("INSERT INTO no_such_table VALUES (1)");
}
Status create_b(Database& db) { return db.exec("CREATE TABLE b (x)"); }

TEST_F(IndexTest, MigrationsRunInOrderAndOnlyOnce) {
  Database db = open_raw();
  const Migration first[] = {{1, "a", &create_a}};
  ASSERT_OK(migrate(db, first));
  EXPECT_EQ(*schema_version(db), 1);
  const Migration both[] = {{1, "a", &create_a}, {2, "b", &create_b}};
  ASSERT_OK(migrate(db, both));  // would fail if "a" ran again
  EXPECT_EQ(*schema_version(db), 2);
  EXPECT_EQ(table_names(db), (std::set<std::string>{"a", "b"}));
}

TEST_F(IndexTest, AFailingMigrationLeavesTheFileAtThePreviousVersion) {
  Database db = open_raw();
  const Migration migrations[] = {{1, "a", &create_a}, {2, "b fails", &create_b_then_fail}};
  Status status = migrate(db, migrations);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("schema version 2"), std::string::npos) << status.error().message;
  EXPECT_NE(status.error().message.find("no such table"), std::string::npos) << status.error().message;
  EXPECT_EQ(*schema_version(db), 1);
  EXPECT_EQ(table_names(db), std::set<std::string>{"a"});  // b's CREATE was rolled back too
}

TEST_F(IndexTest, MigrationsThatAreNotNumberedOneTwoThreeAreABug) {
  Database db = open_raw();
  const Migration gap[] = {{1, "a", &create_a}, {3, "b", &create_b}};
  Status status = migrate(db, gap);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::internal);
  EXPECT_EQ(*schema_version(db), 0);
}

}  // namespace
}  // namespace dfs::index
