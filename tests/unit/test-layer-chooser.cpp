// Unit tests of the per-call layer choice: down after a short run of constrained samples, up after
// a longer run of clear ones, a back-off for a call that keeps falling back, and calls apart.
#include "media/layer-chooser.hpp"

#include <gtest/gtest.h>

using callbox::media::Layer;
using callbox::media::LayerChooser;

namespace {

// Feeds `samples` samples of the same reading; returns the layer after the last.
Layer feed(LayerChooser &c, std::uint64_t call, bool constrained, int samples)
{
    Layer l = c.layer(call);
    for (int i = 0; i < samples; ++i)
        l = c.update(call, constrained);
    return l;
}

// Samples, constrained, until `call` goes down; how many it took.
int samples_to(LayerChooser &c, std::uint64_t call, bool constrained, Layer target)
{
    for (int i = 1; i <= 100; ++i)
        if (c.update(call, constrained) == target)
            return i;
    return -1;
}

} // namespace

TEST(LayerChooser, ANewCallIsOnTheTopLayer)
{
    LayerChooser c;
    EXPECT_EQ(c.layer(7), Layer::Top);
    EXPECT_EQ(c.update(7, false), Layer::Top);
}

TEST(LayerChooser, OneConstrainedSampleMovesNothing)
{
    LayerChooser c;
    EXPECT_EQ(c.update(1, true), Layer::Top);
    EXPECT_EQ(c.update(1, false), Layer::Top);
    EXPECT_EQ(c.update(1, true), Layer::Top); // the run starts again
    EXPECT_EQ(c.update(1, true), Layer::Low);
}

TEST(LayerChooser, GoesDownAfterTwoAndUpAfterALongerRunOfClearSamples)
{
    LayerChooser c;
    EXPECT_EQ(samples_to(c, 1, true, Layer::Low), LayerChooser::kSamplesDown);
    EXPECT_EQ(feed(c, 1, true, 10), Layer::Low); // stays down while constrained
    // A clear sample in the middle of the run up starts it again.
    EXPECT_EQ(feed(c, 1, false, LayerChooser::kSamplesUp - 1), Layer::Low);
    EXPECT_EQ(c.update(1, true), Layer::Low);
    EXPECT_EQ(samples_to(c, 1, false, Layer::Top), LayerChooser::kSamplesUp);
}

TEST(LayerChooser, ACallThatFallsBackSoonWaitsLongerBeforeGoingUpAgain)
{
    LayerChooser c;
    feed(c, 1, true, LayerChooser::kSamplesDown);
    ASSERT_EQ(samples_to(c, 1, false, Layer::Top), LayerChooser::kSamplesUp);
    // Up, and at once constrained again (a cap just under the top layer's rate): on trial, one
    // sample sends it back.
    ASSERT_EQ(samples_to(c, 1, true, Layer::Low), 1);
    EXPECT_EQ(samples_to(c, 1, false, Layer::Top), 2 * LayerChooser::kSamplesUp);
    // The back-off has a ceiling.
    for (int i = 0; i < 6; ++i) {
        ASSERT_EQ(samples_to(c, 1, true, Layer::Low), 1);
        ASSERT_EQ(samples_to(c, 1, false, Layer::Top), LayerChooser::kSamplesUpMax);
    }
}

TEST(LayerChooser, ALongStayOnTheTopLayerForgetsTheBackOff)
{
    LayerChooser c;
    feed(c, 1, true, LayerChooser::kSamplesDown);
    feed(c, 1, false, LayerChooser::kSamplesUp);
    feed(c, 1, true, 1); // on trial: back down at once
    ASSERT_EQ(samples_to(c, 1, false, Layer::Top), 2 * LayerChooser::kSamplesUp);
    EXPECT_EQ(feed(c, 1, false, 100), Layer::Top);
    ASSERT_EQ(samples_to(c, 1, true, Layer::Low), LayerChooser::kSamplesDown);
    EXPECT_EQ(samples_to(c, 1, false, Layer::Top), LayerChooser::kSamplesUp);
}

TEST(LayerChooser, OneCallsBadPathMovesOnlyThatCall)
{
    LayerChooser c;
    for (int i = 0; i < 10; ++i) {
        c.update(1, true);
        c.update(2, false);
    }
    EXPECT_EQ(c.layer(1), Layer::Low);
    EXPECT_EQ(c.layer(2), Layer::Top);
}

TEST(LayerChooser, AGoneCallIsForgotten)
{
    LayerChooser c;
    feed(c, 1, true, 5);
    feed(c, 2, true, 5);
    c.keep_only({2});
    EXPECT_EQ(c.layer(1), Layer::Top);
    EXPECT_EQ(c.layer(2), Layer::Low);
}

TEST(LayerChooser, ClearSamplesCountWhileTheCallMayNotGoUpYet)
{
    LayerChooser c;
    feed(c, 1, true, 2);
    ASSERT_EQ(c.layer(1), Layer::Low);
    // Clear, but its layer lowered: it stays, however long the run.
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(c.update(1, false, false), Layer::Low);
    // The first clear sample it may go up on, it does: the run was counted meanwhile.
    EXPECT_EQ(c.update(1, false, true), Layer::Top);
    // A constrained sample still ends a run, allowed to go up or not.
    feed(c, 2, true, 2);
    c.update(2, false, false);
    c.update(2, false, false);
    c.update(2, true, false);
    EXPECT_EQ(feed(c, 2, false, LayerChooser::kSamplesUp - 1), Layer::Low);
    EXPECT_EQ(c.update(2, false, true), Layer::Top);
}

TEST(LayerChooser, TheWaitCountsFromTheFallAndTheRunUpFromTheLastConstrainedSample)
{
    LayerChooser c;
    feed(c, 1, true, 2);
    feed(c, 1, false, LayerChooser::kSamplesUp);
    feed(c, 1, true, 1); // a failed try: now it waits twice as long, counted from here
    EXPECT_EQ(feed(c, 1, false, 2 * LayerChooser::kSamplesUp - 1), Layer::Low);
    feed(c, 1, true, 1); // a late report of the try's loss ends the run, not the wait
    EXPECT_EQ(feed(c, 1, false, LayerChooser::kSamplesUp - 1), Layer::Low);
    EXPECT_EQ(c.update(1, false), Layer::Top); // a run up again, the wait long over
}

TEST(LayerChooser, ACallTryingTheTopLayerGoesBackAtItsFirstConstrainedSample)
{
    LayerChooser c;
    feed(c, 1, true, 2);
    feed(c, 1, false, LayerChooser::kSamplesUp);
    ASSERT_EQ(c.layer(1), Layer::Top);
    EXPECT_TRUE(c.on_trial(1));
    EXPECT_EQ(c.update(1, true), Layer::Low);
    EXPECT_FALSE(c.on_trial(1));
    // Once the trial is over (a run up twice as long: the back-off), two samples again.
    feed(c, 1, false, 2 * LayerChooser::kSamplesUp);
    ASSERT_EQ(c.layer(1), Layer::Top);
    feed(c, 1, false, LayerChooser::kTrialSamples);
    EXPECT_FALSE(c.on_trial(1));
    EXPECT_EQ(c.update(1, true), Layer::Top);
    EXPECT_EQ(c.update(1, true), Layer::Low);
    // A call that never went up is never on trial.
    EXPECT_FALSE(c.on_trial(2));
    c.update(2, false);
    EXPECT_FALSE(c.on_trial(2));
}

TEST(LayerChooser, ATryThatFailsBeforeItsFirstSampleGoesBackAndWaitsLonger)
{
    LayerChooser c;
    feed(c, 1, true, 2);
    feed(c, 1, false, LayerChooser::kSamplesUp);
    ASSERT_EQ(c.layer(1), Layer::Top);
    c.fail_trial(1);
    EXPECT_EQ(c.layer(1), Layer::Low);
    EXPECT_FALSE(c.on_trial(1));
    // As after a constrained sample on trial: the wait from the fall doubled.
    EXPECT_EQ(samples_to(c, 1, false, Layer::Top), 2 * LayerChooser::kSamplesUp);
    // Only a call that has just gone up: one a sample into its try, or on the low layer, stays.
    c.update(1, false);
    c.fail_trial(1);
    EXPECT_EQ(c.layer(1), Layer::Top);
    feed(c, 2, true, 2);
    c.fail_trial(2);
    EXPECT_EQ(c.layer(2), Layer::Low);
    c.fail_trial(3); // unknown
    EXPECT_EQ(c.layer(3), Layer::Top);
}
