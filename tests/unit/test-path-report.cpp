// Unit tests of a call's path report over an interval: loss from the report blocks' counts, the
// round trip from the blocks that are new, what was sent and asked for again.
#include "media/path-report.hpp"

#include <gtest/gtest.h>

using callbox::media::PathReport;

namespace {

constexpr guint kVideo = 1, kSound = 2;

PathReport at(gint64 us, std::uint64_t bytes)
{
    PathReport r;
    r.at_us = us;
    r.bytes_sent = bytes;
    return r;
}

} // namespace

TEST(PathReport, LossIsWhatTheBlocksCountedOverWhatTheyExpectedMeanwhile)
{
    PathReport a = at(1'000'000, 0);
    a.streams[kVideo] = {1000, 10, 1, 1, 5};
    a.streams[kSound] = {500, 0, 1, 1, 5};
    PathReport b = at(2'000'000, 125'000);
    b.streams[kVideo] = {1090, 16, 2, 2, 5}; // 90 expected, 6 lost
    b.streams[kSound] = {510, 0, 1, 1, 5};   // 10 expected (an older block), none lost
    b.follow(a);
    EXPECT_DOUBLE_EQ(b.fraction_lost, 0.06);
    EXPECT_DOUBLE_EQ(b.sent_kbps, 1000);
    // No new block: what the last interval said.
    PathReport c = at(3'000'000, 250'000);
    c.streams = b.streams;
    c.follow(b);
    EXPECT_DOUBLE_EQ(c.fraction_lost, 0.06);
}

TEST(PathReport, TheRoundTripIsTheNewBlocks)
{
    // The sound's last block (every 5 s) still says 500 ms; the video's new one says 4 ms.
    PathReport a = at(1'000'000, 0);
    a.streams[kVideo] = {1000, 0, 10, 100, 480};
    a.streams[kSound] = {500, 0, 10, 200, 500};
    a.rtt_ms = 500;
    PathReport b = at(2'000'000, 0);
    b.streams[kVideo] = {1090, 0, 11, 300, 4};
    b.streams[kSound] = a.streams[kSound];
    b.follow(a);
    EXPECT_DOUBLE_EQ(b.rtt_ms, 4);
    EXPECT_TRUE(b.rtt_fresh);
    // Nothing new: the last reading stands, and says so.
    PathReport c = at(3'000'000, 0);
    c.streams = b.streams;
    c.follow(b);
    EXPECT_DOUBLE_EQ(c.rtt_ms, 4);
    EXPECT_FALSE(c.rtt_fresh);
    // Both new: the larger (a queue shows on whichever stream crossed it last).
    PathReport d = at(4'000'000, 0);
    d.streams[kVideo] = {1180, 0, 12, 100, 30};
    d.streams[kSound] = {550, 0, 12, 50, 250};
    d.follow(c);
    EXPECT_DOUBLE_EQ(d.rtt_ms, 250);
}

TEST(PathReport, PacketsAskedForPerPacketSent)
{
    PathReport a = at(1'000'000, 0);
    a.rtx = {100, 5, 5, 0};
    PathReport b = at(2'000'000, 0);
    b.rtx = {200, 65, 25, 0}; // 60 requests meanwhile, for 20 packets not asked for before
    b.follow(a);
    EXPECT_DOUBLE_EQ(b.nack_ratio, 0.2);
    EXPECT_DOUBLE_EQ(b.loss(), 0.2);
    EXPECT_DOUBLE_EQ(b.delivered_kbps(), 0); // sent 0 bytes meanwhile
}
