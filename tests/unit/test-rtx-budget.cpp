// Unit tests of the retransmission budget: a burst is answered at once, after that a share of
// the media packets, and refusals are counted.
#include "media/rtx-budget.hpp"

#include <gtest/gtest.h>

using callbox::media::RtxBudget;

TEST(RtxBudget, AnswersABurstThenAShareOfTheMediaPackets)
{
    RtxBudget b;
    int answered = 0;
    for (int i = 0; i < 500; ++i)
        answered += b.take();
    EXPECT_EQ(answered, static_cast<int>(RtxBudget::kBurst));
    EXPECT_EQ(b.refused(), 400u);
    // 1000 media packets earn 500 retransmissions, asked for one per packet: half are answered.
    answered = 0;
    for (int i = 0; i < 1000; ++i) {
        b.on_media_packets(1);
        answered += b.take();
    }
    EXPECT_EQ(answered, 500);
}

TEST(RtxBudget, SavesNoMoreThanABurst)
{
    RtxBudget b;
    b.on_media_packets(100000);
    int answered = 0;
    for (int i = 0; i < 1000; ++i)
        answered += b.take();
    EXPECT_EQ(answered, static_cast<int>(RtxBudget::kBurst));
}
