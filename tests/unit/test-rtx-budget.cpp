// Unit tests of the retransmission budget: a burst is answered at once, after that a share of
// each stream's packets, and refusals are counted.
#include "media/rtx-budget.hpp"

#include <gtest/gtest.h>

using callbox::media::RtxBudget;

namespace {
constexpr std::uint32_t kVideo = 0x1234;
constexpr std::uint32_t kSound = 0x5678;

// A packet not asked for before.
std::uint16_t next_seqnum()
{
    static std::uint16_t n = 0;
    return n++;
}
} // namespace

TEST(RtxBudget, AnswersABurstThenAShareOfTheMediaPackets)
{
    RtxBudget b;
    int answered = 0;
    for (int i = 0; i < 500; ++i)
        answered += b.take(kVideo, next_seqnum());
    EXPECT_EQ(answered, static_cast<int>(RtxBudget::kBurst));
    EXPECT_EQ(b.refused(), 400u);
    // 1000 media packets earn 500 retransmissions, asked for one per packet: half are answered.
    answered = 0;
    for (int i = 0; i < 1000; ++i) {
        b.on_media_packets(kVideo, 1);
        answered += b.take(kVideo, next_seqnum());
    }
    EXPECT_EQ(answered, 500);
}

TEST(RtxBudget, SavesNoMoreThanABurst)
{
    RtxBudget b;
    b.on_media_packets(kVideo, 100000);
    int answered = 0;
    for (int i = 0; i < 1000; ++i)
        answered += b.take(kVideo, next_seqnum());
    EXPECT_EQ(answered, static_cast<int>(RtxBudget::kBurst));
}

TEST(RtxBudget, TheSoundsPacketsEarnNoRetransmissionsOfVideo)
{
    RtxBudget b;
    while (b.take(kVideo, next_seqnum())) // spend the video's burst
        ;
    // A second of the low layer behind a cap: 50 sound packets, 17 video packets.
    b.on_media_packets(kSound, 50);
    b.on_media_packets(kVideo, 17);
    int answered = 0;
    for (int i = 0; i < 60; ++i)
        answered += b.take(kVideo, next_seqnum());
    EXPECT_EQ(answered, 8); // half of 17
    EXPECT_EQ(b.packets(), 67u);
    EXPECT_EQ(b.requests(), 101u + 60u);
}

TEST(RtxBudget, ASmallerShareWhileThePathQueues)
{
    RtxBudget b;
    while (b.take(kVideo, next_seqnum()))
        ;
    b.set_share(RtxBudget::kShareQueueing);
    b.on_media_packets(kVideo, 100);
    int answered = 0;
    for (int i = 0; i < 100; ++i)
        answered += b.take(kVideo, next_seqnum());
    EXPECT_EQ(answered, 10);
    b.set_share(RtxBudget::kShare);
    b.on_media_packets(kVideo, 100);
    answered = 0;
    for (int i = 0; i < 100; ++i)
        answered += b.take(kVideo, next_seqnum());
    EXPECT_EQ(answered, 50);
}

TEST(RtxBudget, ALoweredShareKeepsLittleSaved)
{
    RtxBudget b;
    b.on_media_packets(kVideo, 1000); // a full burst saved
    b.set_share(RtxBudget::kShareQueueing);
    int answered = 0;
    for (int i = 0; i < 100; ++i)
        answered += b.take(kVideo, next_seqnum());
    EXPECT_EQ(answered, static_cast<int>(RtxBudget::kBurstQueueing));
}

TEST(RtxBudget, CountsEachPacketAskedForOnceHoweverOftenItIsAskedFor)
{
    RtxBudget b;
    for (int round = 0; round < 5; ++round)
        for (std::uint16_t n = 100; n < 110; ++n)
            b.take(kVideo, n);
    b.take(kSound, 100); // another stream's packet 100
    EXPECT_EQ(b.requests(), 51u);
    EXPECT_EQ(b.first_requests(), 11u);
    // Sequence numbers wrap; one a window later is another packet.
    b.take(kVideo, 65535);
    b.take(kVideo, 0);
    b.take(kVideo, 100 + RtxBudget::kAskedWindow);
    EXPECT_EQ(b.first_requests(), 14u);
    b.take(kVideo, 100); // pushed out of the window by the one before: counted again
    EXPECT_EQ(b.first_requests(), 15u);
}
