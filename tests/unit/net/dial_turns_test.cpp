#include "dial_turns.hpp"

#include <gtest/gtest.h>

namespace dfs::net {
namespace {

TEST(DialTurnsTest, AddressesAreDialledInTurn) {
  DialTurns turns(3);
  std::vector<std::size_t> order;
  for (int i = 0; i < 5; ++i) {
    turns.next();
    order.push_back(turns.index());
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 0, 1}));
  EXPECT_EQ(turns.attempt(), 5u);
}

TEST(DialTurnsTest, EveryAddressRefusingInARowGivesUp) {
  DialTurns turns(2);
  turns.next();
  EXPECT_FALSE(turns.refused());
  turns.next();
  EXPECT_TRUE(turns.refused());
}

TEST(DialTurnsTest, ALoneAddressRefusingGivesUpAtOnce) {
  DialTurns turns(1);
  turns.next();
  EXPECT_TRUE(turns.refused());
}

// One address refuses, the other is silent (a cut link): each silent turn
// breaks the row, so only the set-up deadline ends the dial, however many
// rounds it takes for the silent one to answer.
TEST(DialTurnsTest, ASilentAddressKeepsTheDialGoingBesideARefusingOne) {
  DialTurns turns(2);
  for (int round = 0; round < 10; ++round) {
    turns.next();  // the silent address: its turn runs out
    turns.unanswered();
    turns.next();  // the refusing one
    EXPECT_FALSE(turns.refused()) << "round " << round;
  }
}

}  // namespace
}  // namespace dfs::net
