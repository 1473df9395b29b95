#include "dfs/util/log.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <string>

namespace dfs::log {
namespace {

// The line write() puts on stderr, captured.
std::string logged(Style style, Level level, const std::string& message) {
  set_style(style);
  ::testing::internal::CaptureStderr();
  write(level, message);
  std::string line = ::testing::internal::GetCapturedStderr();
  set_style(Style::plain);
  return line;
}

TEST(Log, TimestampedLinesStartWithTheUtcTimeToTheMillisecond) {
  const std::string line = logged(Style::timestamped, Level::warn, "disk nearly full");
  EXPECT_TRUE(std::regex_match(line, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z dfs: warning: disk nearly full\n)")))
      << line;
}

TEST(Log, JournalLinesCarryTheSyslogPriorityAndNoTime) {
  EXPECT_EQ(logged(Style::journal, Level::error, "boom"), "<3>dfs: error: boom\n");
  EXPECT_EQ(logged(Style::journal, Level::warn, "hm"), "<4>dfs: warning: hm\n");
  EXPECT_EQ(logged(Style::plain, Level::error, "boom"), "dfs: error: boom\n");
}

TEST(Log, ThePeerLogsToTheJournalOnlyWhenStderrIsTheStreamSystemdNamed) {
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_EQ(daemon_style(), Style::timestamped);
  struct stat st {};
  ASSERT_EQ(::fstat(STDERR_FILENO, &st), 0);
  const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_EQ(daemon_style(), Style::journal);
  // Inherited by a process whose stderr was redirected elsewhere: not the journal.
  ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
  EXPECT_EQ(daemon_style(), Style::timestamped);
  ::unsetenv("JOURNAL_STREAM");
}

// Issue 10: no log line holds a whole ID (a read capability).
TEST(Log, ALineKeepsTwelveCharactersOfAnIdAndNoneOfItsKey) {
  const std::string id = "dfs1" + std::string(104, 'q');
  const std::string v1 = "DFS1" + std::string(103, '7');
  EXPECT_EQ(logged(Style::plain, Level::error, "cannot open " + id + ": gone"),
            "dfs: error: cannot open dfs1qqqqqqqq\u2026: gone\n");
  EXPECT_EQ(redact_ids(id + "/" + v1), "dfs1qqqqqqqq\u2026/DFS177777777\u2026");
  EXPECT_EQ(redact_ids("ddfs1" + id.substr(4)), "ddfs1qqqqqqqq\u2026");
  // Short runs, paths and hex chunk IDs are no capability: left alone.
  EXPECT_EQ(redact_ids("dfs1abc /data/dfs1/store dd d"), "dfs1abc /data/dfs1/store dd d");
  EXPECT_EQ(redact_ids("chunk 0123456789abcdef0123456789abcdef"), "chunk 0123456789abcdef0123456789abcdef");
  EXPECT_EQ(redact_ids(""), "");
  EXPECT_EQ(redact_ids("dfs1"), "dfs1");
}

}  // namespace
}  // namespace dfs::log
