// The dfs command line as a user runs it: a real binary, a real data
// directory (chunk files + SQLite), real files. Covers round trips at every
// size boundary and each bad input the Foundation issue names: each must
// exit non-zero with one line saying what and why, and leave the store and
// the index consistent.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "../common/chunk_on_disk.hpp"
#include "../common/temp_dir.hpp"
#include "run_process.hpp"

namespace dfs::testing {
namespace {

namespace fs = std::filesystem;

class DfsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    dir_ = tmp_.path();
    data_ = dir_ + "/data";
  }

  ProcessResult dfs(std::vector<std::string> args, const ProcessOptions& options = {}) {
    args.insert(args.begin(), {"--data", data_});
    return run_process(binary_from_env("DFS_BIN"), args, options);
  }

  std::string write_file(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  static std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // The File ID printed by a successful put of `path`.
  std::string put(const std::string& path) {
    auto r = dfs({"put", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.size(), 109u) << r.out;  // 108 characters and a newline
    return r.out.substr(0, r.out.find('\n'));
  }

  // Chunk files and packed chunks alike.
  std::vector<fs::path> chunk_files() {
    std::vector<fs::path> out;
    for (const auto& [id, where] : dfs::testing::chunks_on_disk(data_ + "/store")) out.push_back(where.path);
    return out;
  }

  // Consistent: every chunk stored is referenced by a recorded file and the
  // other way round, as `dfs status` reports them.
  void expect_consistent(std::size_t files) {
    auto r = dfs({"status"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("files:           " + std::to_string(files) + "\n"), std::string::npos) << r.out;
    std::string stored = "chunks stored:   " + std::to_string(chunk_files().size()) + " ";
    EXPECT_NE(r.out.find(stored), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("chunks in use:   " + std::to_string(chunk_files().size()) + "\n"), std::string::npos)
        << r.out;
    auto ls = dfs({"ls"});
    EXPECT_EQ(static_cast<std::size_t>(std::count(ls.out.begin(), ls.out.end(), '\n')), files);
  }

  // Exactly one error line, besides the note that a command working
  // without a running peer prints ("dfs: note: no peer is running...").
  static void expect_one_line_error(const ProcessResult& r, const std::string& fragment) {
    EXPECT_NE(r.exit_code, 0);
    std::string errors;
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("dfs: note: ", 0) != 0) errors += line + "\n";
    }
    EXPECT_EQ(std::count(errors.begin(), errors.end(), '\n'), 1) << r.err;
    EXPECT_EQ(errors.rfind("dfs: ", 0), 0u) << r.err;
    EXPECT_NE(errors.find(fragment), std::string::npos) << r.err;
  }

  dfs::testing::TempDir tmp_{"dfs-cli-test"};
  std::string dir_;
  std::string data_;
};

std::string random_text(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

TEST_F(DfsCli, RoundTripsAreBitExactAtEveryChunkBoundary) {
  const std::size_t mib = 1 << 20;
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, mib, mib + 1, 3 * mib - 1}) {
    std::string content = random_text(size, static_cast<unsigned>(size));
    std::string id = put(write_file("in", content));
    auto got = dfs({"get", id, "-o", dir_ + "/out"});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_EQ(read_file(dir_ + "/out"), content) << "size " << size;
  }
}

TEST_F(DfsCli, GetWritesToStdoutWithDashAndPutReadsStdinWithDash) {
  std::string content = random_text(100000, 7);
  std::string path = write_file("in", content);
  ProcessOptions from_file;
  from_file.stdin_path = path;
  auto put = dfs({"put", "-"}, from_file);
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto got = dfs({"get", put.out.substr(0, 108), "-o", "-"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, content);
}

TEST_F(DfsCli, PutOfSeveralFilesPrintsIdAndNameLinesThatMatchTheArgumentsEvenWhenOneFails) {
  std::string a = write_file("a", "alpha"), b = write_file("b", "beta");
  auto r = dfs({"put", a, dir_ + "/missing", b});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing"), std::string::npos) << r.err;
  std::istringstream lines(r.out);
  std::string first, second, extra;
  ASSERT_TRUE(std::getline(lines, first) && std::getline(lines, second)) << r.out;
  EXPECT_FALSE(std::getline(lines, extra)) << r.out;
  EXPECT_EQ(first.substr(108), "  " + a);
  EXPECT_EQ(second.substr(108), "  " + b);
  EXPECT_EQ(dfs({"get", first.substr(0, 108)}).out, "alpha");
  EXPECT_EQ(dfs({"get", second.substr(0, 108)}).out, "beta");
}

// where --chunks lists a chunk per line, but not a million: at most 1000
// per ID. (-v is the global --verbose wherever it stands.)
TEST_F(DfsCli, WhereChunksListsAtMostAThousandChunksAndSaysHowManyMore) {
  std::string content(1200 * 4096, '\0');
  std::mt19937 rng(14);
  for (auto& c : content) c = static_cast<char>(rng());
  auto put = dfs({"put", "--chunk-size", "4K", write_file("f", content)});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string id = put.out.substr(0, put.out.find('\n'));
  auto where = dfs({"where", "--chunks", id});
  ASSERT_EQ(where.exit_code, 0) << where.err;
  std::size_t chunk_lines = 0;
  for (std::size_t at = where.out.find("\n  chunk "); at != std::string::npos; at = where.out.find("\n  chunk ", at + 1)) {
    ++chunk_lines;
  }
  EXPECT_EQ(chunk_lines, 1000u);
  // 1200 data chunks and the manifest's segments, each once.
  EXPECT_NE(where.out.find("  ... and "), std::string::npos) << where.out;
  EXPECT_NE(where.out.find(" more chunks (--json lists them all)"), std::string::npos);
  EXPECT_EQ(dfs({"check", id}).exit_code, 0) << "a lone peer holds them all";
}

TEST_F(DfsCli, StatusJsonCarriesTheSameFiguresAsTheText) {
  put(write_file("f", std::string(5000, 'j')));
  auto r = dfs({"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{\"data_dir\":\"" + data_ + "\",\"verdict\":\"alone: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\"networked\":false,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"files\":1,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"chunks_in_use\":" + std::to_string(chunk_files().size()) + ","), std::string::npos) << r.out;
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST_F(DfsCli, RecoveryKeyIsMadeOnceShownTheSameAndExportedReadableByTheOwnerOnly) {
  auto first = dfs({"recovery-key", "--export", dir_ + "/key"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out.rfind("dfsr1-", 0), 0u) << first.out;
  auto again = dfs({"recovery-key"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, first.out);
  EXPECT_NE(read_file(dir_ + "/key").find(first.out), std::string::npos);
  struct stat st{};
  ASSERT_EQ(::stat((dir_ + "/key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((data_ + "/recovery.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // An export never replaces a file.
  EXPECT_EQ(dfs({"recovery-key", "--export", dir_ + "/key"}).exit_code, 1);
}

TEST_F(DfsCli, IdsParseInAnyCaseAsDocumented) {
  std::string id = put(write_file("f", "case"));
  for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto got = dfs({"get", id});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, "case");
}

// On a terminal, the progress line is cleared before the ID is printed,
// and -q draws none; on a pipe there is never one.
TEST_F(DfsCli, TheProgressLineIsClearedBeforeTheIdAndNeverDrawnWithQuietOrOnAPipe) {
  const std::string big = write_file("big", random_text(48 << 20, 9));
  ProcessOptions terminal;
  terminal.terminal = true;
  auto shown = dfs({"put", big}, terminal);
  ASSERT_EQ(shown.exit_code, 0) << shown.out;
  const auto at = shown.out.find("dfs1");
  ASSERT_NE(at, std::string::npos) << shown.out;
  const std::string before = shown.out.substr(0, at);
  const std::string clear = "\r\033[K";
  // The ID starts a line: after a whole line (the note) or a cleared progress line.
  const bool cleared = before.size() >= clear.size() && before.compare(before.size() - clear.size(), clear.size(), clear) == 0;
  EXPECT_TRUE(before.empty() || before.back() == '\n' || cleared) << before;
  auto quiet = dfs({"-q", "put", big}, terminal);
  ASSERT_EQ(quiet.exit_code, 0) << quiet.out;
  EXPECT_EQ(quiet.out.rfind("dfs1", 0), 0u) << "nothing before the ID: " << quiet.out;
  EXPECT_EQ(quiet.out.find('\033'), std::string::npos) << quiet.out;
  auto piped = dfs({"put", big});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(piped.err.find('\r'), std::string::npos) << piped.err;
  EXPECT_EQ(piped.err.find('\033'), std::string::npos) << piped.err;
}

TEST_F(DfsCli, AnUnknownKeyInTheConfigFileIsRefusedWithItsLineNumber) {
  put(write_file("f", "x"));
  std::ofstream(data_ + "/dfs.conf") << "# peers\n\nreplicas = 2\nbootstrapp = 127.0.0.1:4001\n";
  for (const char* command : {"status", "ls", "node"}) {
    auto r = dfs({command});
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
    EXPECT_NE(r.err.find("dfs.conf line 4: unknown setting \"bootstrapp\""), std::string::npos) << r.err;
  }
  std::ofstream(data_ + "/dfs.conf") << "replicas = 2\nquota = 1G\n";
  EXPECT_EQ(dfs({"status"}).exit_code, 0);
}

TEST_F(DfsCli, AMistypedDataDirectoryIsRefusedByWhatReadsAndCreatedOnlyByWhatStores) {
  const std::string typo = dir_ + "/typo";
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"ls"}, {"status"}, {"gc"}, {"peers"}, {"get", put(write_file("f", "x"))}}) {
    args.insert(args.begin(), {"--data", typo});
    auto r = run_process(binary_from_env("DFS_BIN"), args);
    EXPECT_EQ(r.exit_code, 1) << args[2];
    EXPECT_NE(r.err.find("no data directory " + typo), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(typo)) << args[2];
  }
  auto stored = run_process(binary_from_env("DFS_BIN"), {"--data", typo, "put", write_file("g", "y")});
  EXPECT_EQ(stored.exit_code, 0) << stored.err;
  EXPECT_TRUE(fs::is_directory(typo));
}

TEST_F(DfsCli, LsListsWhatWasPutWithItsIdSizeAndName) {
  std::string id = put(write_file("report.pdf", std::string(3000, 'x')));
  auto ls = dfs({"ls"});
  ASSERT_EQ(ls.exit_code, 0);
  EXPECT_NE(ls.out.find(id), std::string::npos);
  EXPECT_NE(ls.out.find("report.pdf"), std::string::npos);
  EXPECT_NE(ls.out.find("2.9 KiB"), std::string::npos);
}

TEST_F(DfsCli, AMissingFileFailsWithOneLineAndStoresNothing) {
  auto r = dfs({"put", dir_ + "/no-such-file"});
  expect_one_line_error(r, "No such file or directory");
  EXPECT_NE(r.err.find("no-such-file"), std::string::npos);
  expect_consistent(0);
}

TEST_F(DfsCli, AnUnreadableFileFailsWithOneLineAndStoresNothing) {
  std::string path = write_file("secret", "top secret");
  ::chmod(path.c_str(), 0);
  fs::create_directories(data_);
  ::chmod(dir_.c_str(), 0777);
  ::chown(data_.c_str(), 65534, 65534);
  // As root every file is readable: run as the unprivileged user "nobody",
  // from a copy of the binary that nobody can reach (the build tree may sit
  // under a directory only root may enter, such as /root).
  const std::string binary = dir_ + "/dfs";
  fs::copy_file(binary_from_env("DFS_BIN"), binary);
  ::chmod(binary.c_str(), 0755);
  ProcessOptions as_nobody;
  as_nobody.uid = 65534u;
  auto r = run_process(binary, {"--data", data_, "put", path}, as_nobody);
  expect_one_line_error(r, "Permission denied");
  auto status = run_process(binary, {"--data", data_, "status"}, as_nobody);
  EXPECT_NE(status.out.find("files:           0"), std::string::npos) << status.out << status.err;
  EXPECT_TRUE(chunk_files().empty());
}

TEST_F(DfsCli, ADirectoryIsRefusedWithOneLine) {
  expect_one_line_error(dfs({"put", dir_}), "is a directory");
  expect_consistent(0);
}

TEST_F(DfsCli, AMalformedIdFailsWithOneLineSayingWhatIsWrong) {
  expect_one_line_error(dfs({"get", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"}), "should start with \"dfs1\"");
  expect_one_line_error(dfs({"get", "dfs1abcdef"}), "cut short");
  std::string id = put(write_file("f", "x"));
  id[20] = '!';
  expect_one_line_error(dfs({"get", id}), "invalid base32 character");
  expect_consistent(1);
}

TEST_F(DfsCli, AnIdWhoseManifestIsAbsentFailsWithOneLine) {
  std::string id = put(write_file("f", "hello"));
  fs::remove_all(data_);
  fs::create_directories(data_);  // a data directory that never held it
  auto r = dfs({"get", id, "-o", dir_ + "/out"});
  expect_one_line_error(r, "this peer holds a file with that ID");
  EXPECT_FALSE(fs::exists(dir_ + "/out"));
  expect_consistent(0);
}

TEST_F(DfsCli, ACorruptChunkIsReportedQuarantinedAndNoOutputFileIsLeft) {
  std::string id = put(write_file("f", random_text(3 << 20, 3)));
  for (const auto& path : chunk_files()) {
    if (fs::file_size(path) < (1 << 20)) continue;  // leave the manifest intact
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x42');
    break;
  }
  auto r = dfs({"get", id, "-o", dir_ + "/out"});
  expect_one_line_error(r, "does not match its ID");
  EXPECT_FALSE(fs::exists(dir_ + "/out"));
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".dfs-partial"), std::string::npos) << e.path();
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(data_ + "/store/quarantine"), fs::directory_iterator()), 1);
  // The second read fails too, now because the chunk is gone, not served.
  auto again = dfs({"get", id, "-o", dir_ + "/out"});
  expect_one_line_error(again, "of the file: chunk");
  EXPECT_NE(again.err.find("not found"), std::string::npos) << again.err;
}

TEST_F(DfsCli, AFullStoreFailsWithOneLineAndLeavesNothingHalfWritten) {
  std::string first = put(write_file("small", "fits"));
  auto r = dfs({"--quota", "2M", "put", write_file("big", random_text(5 << 20, 4))});
  expect_one_line_error(r, "quota");
  expect_consistent(1);
  EXPECT_EQ(dfs({"get", first}).out, "fits");
}

TEST_F(DfsCli, WithoutARunningPeerPutAndGetSaySoOnStderr) {
  auto r = dfs({"put", write_file("f", "x")});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("dfs: note: no peer is running on " + data_), std::string::npos) << r.err;
  EXPECT_EQ(dfs({"-q", "put", write_file("g", "y")}).err, "") << "--quiet drops the note";
}

TEST_F(DfsCli, GcCollectsAChunkNoFileReferencesAndKeepsEveryFile) {
  const std::string content(2'500'000, 'g');
  const std::string id = put(write_file("kept", content));
  // A chunk nothing references, as a crash between a put's chunks and its
  // index record leaves one: the bytes "orphan" under their SHA-256.
  const std::string orphan_hex = "88f6811ab5d8fc6d3177f9b7609ae0fcebfda187e5046b62d38bb539e88b74d7";
  std::ofstream(data_ + "/store/chunks/88/" + orphan_hex, std::ios::binary) << "orphan";
  const std::size_t before = chunk_files().size();
  auto dry = dfs({"gc", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would collect:      1 from the store"), std::string::npos) << dry.out;
  EXPECT_EQ(chunk_files().size(), before);
  auto gc = dfs({"gc"});
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_NE(gc.out.find("chunks collected:   1 from the store"), std::string::npos) << gc.out;
  EXPECT_FALSE(fs::exists(data_ + "/store/chunks/88/" + orphan_hex));
  EXPECT_EQ(chunk_files().size(), before - 1);
  auto got = dfs({"get", id, "-o", dir_ + "/back"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(read_file(dir_ + "/back"), content);
  expect_consistent(1);
}

TEST_F(DfsCli, HelpAndVersionAnswerAndUnknownCommandsAreUsageErrors) {
  auto help = dfs({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("put [-r] FILE|DIR..."), std::string::npos);
  EXPECT_NE(help.out.find("gc [--dry-run]"), std::string::npos);
  EXPECT_NE(dfs({"gc", "--help"}).out.find("--dry-run"), std::string::npos);
  EXPECT_EQ(dfs({"--version"}).out.rfind("dfs ", 0), 0u);
  EXPECT_NE(dfs({"get", "--help"}).out.find("-o [ --output ] OUT"), std::string::npos);
  EXPECT_EQ(dfs({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(dfs({"put", "--no-such-option", "x"}).exit_code, 2);
}

TEST_F(DfsCli, PutRStoresATreeThatLsListsAndGetRecreatesAndRmDrops) {
  fs::create_directories(dir_ + "/tree/sub");
  write_file("tree/file one", "one");
  write_file("tree/sub/two", "two");
  fs::create_directories(dir_ + "/tree/empty");
  EXPECT_NE(dfs({"put", dir_ + "/tree"}).err.find("put -r"), std::string::npos);
  auto tree_put = dfs({"put", "-r", dir_ + "/tree/"});
  ASSERT_EQ(tree_put.exit_code, 0) << tree_put.err;
  ASSERT_EQ(tree_put.out.size(), 109u) << tree_put.out;
  const std::string id = tree_put.out.substr(0, 108);
  EXPECT_EQ(id.rfind("dfs1d", 0), 0u);

  auto ls = dfs({"ls", id});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_EQ(ls.out, "empty/\nfile one\nsub/\n");
  auto long_ls = dfs({"ls", "-l", id + "/sub"});
  ASSERT_EQ(long_ls.exit_code, 0) << long_ls.err;
  EXPECT_EQ(long_ls.out.rfind("-rw", 0), 0u) << long_ls.out;
  EXPECT_NE(long_ls.out.find(" two\n"), std::string::npos) << long_ls.out;

  auto one = dfs({"get", id + "/sub/two"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, "two");
  ASSERT_EQ(dfs({"get", id, "-o", dir_ + "/copy"}).exit_code, 0);
  EXPECT_EQ(read_file(dir_ + "/copy/file one"), "one");
  EXPECT_EQ(read_file(dir_ + "/copy/sub/two"), "two");
  EXPECT_TRUE(fs::is_directory(dir_ + "/copy/empty"));
  auto again = dfs({"get", id, "-o", dir_ + "/copy"});
  expect_one_line_error(again, "exists");
  expect_one_line_error(dfs({"get", id + "/nope"}), "no \"nope\"");
  expect_one_line_error(dfs({"get", id + "/../x"}), "cannot name an entry");

  const std::string file_id = put(write_file("plain", "p"));
  auto kept = dfs({"ls"});
  EXPECT_NE(kept.out.find(id + "  dir "), std::string::npos) << kept.out;
  EXPECT_NE(kept.out.find("  put    tree\n"), std::string::npos) << kept.out;
  EXPECT_NE(kept.out.find(file_id + "  file"), std::string::npos) << kept.out;

  auto rm = dfs({"rm", id, file_id});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(dfs({"ls"}).out, "");
  EXPECT_NE(dfs({"status"}).out.find("chunks in use:   0\n"), std::string::npos);
  expect_one_line_error(dfs({"rm", id}), "keeps nothing put with that ID");
}

}  // namespace
}  // namespace dfs::testing
