// Unit tests of the shared encoder's bitrate controller: when it lowers, when it raises, and that
// one caller's bad path alone changes nothing.
#include "media/bitrate-controller.hpp"

#include <gtest/gtest.h>

using callbox::media::BitrateController;
using Report = BitrateController::PathReport;

namespace {

const Report kClean{0.0, 5};
const Report kLossy{0.2, 5};

unsigned run(BitrateController &c, const std::map<std::uint64_t, Report> &calls, int samples)
{
    unsigned target = c.target_kbps();
    for (int i = 0; i < samples; ++i)
        target = c.update(calls);
    return target;
}

} // namespace

TEST(BitrateController, LowersWhenTheOnlyCallerIsConstrainedDownToTheMinimum)
{
    BitrateController c(1500, 150);
    EXPECT_EQ(c.update({{1, kLossy}}), 1500u); // one bad sample: hysteresis
    EXPECT_EQ(c.update({{1, kLossy}}), 1050u);
    EXPECT_TRUE(c.constrained(1));
    EXPECT_EQ(run(c, {{1, kLossy}}, 40), 150u);
}

TEST(BitrateController, OneBadPathAmongGoodOnesLowersNothing)
{
    BitrateController c(1500, 150);
    EXPECT_EQ(run(c, {{1, kLossy}, {2, kClean}}, 20), 1500u);
    EXPECT_TRUE(c.constrained(1));
    EXPECT_FALSE(c.constrained(2));
}

TEST(BitrateController, ACallOnTheLowLayerNeitherHoldsTheTopDownNorKeepsItFromRising)
{
    BitrateController c(1500, 150);
    const Report low_and_lossy{0.2, 5, false};
    // Both lossy: lowered; then only the low-layer call stays lossy: the top rises again.
    EXPECT_EQ(run(c, {{1, kLossy}, {2, kLossy}}, 2), 1050u);
    EXPECT_EQ(run(c, {{1, low_and_lossy}, {2, kClean}}, 2), 1470u);
    EXPECT_TRUE(c.constrained(1)); // still judged, for its own layer choice
    EXPECT_EQ(run(c, {{1, low_and_lossy}, {2, kClean}}, 20), 1500u);
    // The top-layer caller alone constrained: that is every caller on the top.
    EXPECT_EQ(run(c, {{1, low_and_lossy}, {2, kLossy}}, 2), 1050u);
    // Nobody on the top layer: nothing to lower.
    EXPECT_EQ(run(c, {{1, low_and_lossy}}, 10), 1500u);
}

TEST(BitrateController, RaisesBackToTheMaximumWhenPathsClear)
{
    BitrateController c(1500, 150);
    run(c, {{1, kLossy}, {2, kLossy}}, 40);
    EXPECT_EQ(c.target_kbps(), 150u);
    // 150 → 1500 at ×1.4 every two clean samples: 7 steps, 14 samples (about 14 s).
    EXPECT_EQ(run(c, {{1, kClean}, {2, kClean}}, 14), 1500u);
    EXPECT_EQ(run(c, {{1, kClean}, {2, kClean}}, 4), 1500u);
}

TEST(BitrateController, QueueingDelayCountsAsConstrained)
{
    BitrateController c(1000, 100);
    c.update({{1, {0.0, 20}}});
    EXPECT_FALSE(c.constrained(1));
    // 380 ms of queueing with a packet lost; then with a retransmission asked for (its share).
    c.update({{1, {0.01, 400}}});
    EXPECT_TRUE(c.constrained(1));
    EXPECT_EQ(c.target_kbps(), 1000u);
    EXPECT_EQ(c.update({{1, {0.002, 400}}}), 700u);
}

TEST(BitrateController, AGrownRoundTripWithNothingLostCountsOnlyWhenLong)
{
    BitrateController c(1000, 100);
    c.update({{1, {0.0, 5}}});
    // A busy machine: hundreds of milliseconds more, nothing lost.
    for (double rtt : {300.0, 480.0, 250.0}) {
        c.update({{1, {0.0, rtt}}});
        EXPECT_FALSE(c.constrained(1)) << rtt;
    }
    c.update({{1, {0.0, 600}}});
    EXPECT_TRUE(c.constrained(1));
    EXPECT_EQ(c.target_kbps(), 1000u);
}

TEST(BitrateController, AGoneCallIsForgotten)
{
    BitrateController c(1000, 100);
    c.update({{1, kLossy}});
    c.update({{2, kClean}});
    EXPECT_FALSE(c.constrained(1));
}

TEST(BitrateController, LowersToBelowWhatTheConstrainedPathsCarriedInOneStep)
{
    BitrateController c(1500, 150);
    // Sent 1500, 80 % lost: the path carried 300; one step to 85 % of that, not 1050.
    const Report capped{0.8, 5, true, 300};
    EXPECT_EQ(run(c, {{1, capped}}, 2), 255u);
    // Where 30 % less is already below what the path carried, 30 % less it is.
    BitrateController d(1500, 150);
    EXPECT_EQ(run(d, {{1, Report{0.1, 5, true, 1350}}}, 2), 1050u);
    // The least of the constrained paths on the layer counts; one on the other layer does not.
    BitrateController e(1500, 150);
    const Report elsewhere{0.9, 5, false, 100};
    EXPECT_EQ(run(e, {{1, capped}, {2, Report{0.5, 5, true, 600}}, {3, elsewhere}}, 2), 255u);
    // Never below the minimum.
    BitrateController f(1500, 150);
    EXPECT_EQ(run(f, {{1, Report{0.95, 5, true, 75}}}, 2), 150u);
}

TEST(BitrateController, RestartsWithinItsLimits)
{
    BitrateController c(300, 150);
    c.restart(255);
    EXPECT_EQ(c.target_kbps(), 255u);
    EXPECT_EQ(c.update({{1, kClean}}), 255u); // the raise waits for its two clear samples again
    EXPECT_EQ(c.update({{1, kClean}}), 300u);
    c.restart(50);
    EXPECT_EQ(c.target_kbps(), 150u);
    c.restart(900);
    EXPECT_EQ(c.target_kbps(), 300u);
    EXPECT_EQ(c.max_kbps(), 300u);
}

TEST(BitrateController, ALayerWithAFasterStepClimbsBackInOne)
{
    // The low layer's controller: ×2, from the floor to its full rate in one step.
    BitrateController c(300, 150, 2.0);
    run(c, {{1, kLossy}}, 10);
    EXPECT_EQ(c.target_kbps(), 150u);
    EXPECT_EQ(run(c, {{1, kClean}}, 1), 150u);
    EXPECT_EQ(run(c, {{1, kClean}}, 1), 300u);
}

TEST(BitrateController, QueueingIsReadWithNothingLostToo)
{
    BitrateController c(1000, 100);
    c.update({{1, {0.0, 5}}});
    EXPECT_FALSE(c.queueing(1));
    c.update({{1, {0.0, 200}}});
    EXPECT_TRUE(c.queueing(1));
    EXPECT_FALSE(c.constrained(1));
}
