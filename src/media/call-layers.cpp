// Per-call layers: each connected H.264 call moved between the top and the low shared encoding by
// its own path's readings (LayerChooser), and the moves themselves (LayerSwitch).
#include "media/call-session.hpp"
#include "media/capture-graph.hpp"
#include "media/layer-switch.hpp"
#include "media/media-engine.hpp"

#include <cmath>
#include <set>

namespace callbox::media {

Layer CallSession::layer() const
{
    if (layer_switch_ && layer_switch_->done())
        return capture_->is_low_layer(layer_switch_->target()) ? Layer::Low : Layer::Top;
    return layer_;
}

void CallSession::move_to_layer(Layer layer)
{
    if (layer_switch_) {
        if (!layer_switch_->done()) {
            layer_switch_->remind(*capture_);
            return;
        }
        // Done: the new pad feeds the branch; the old one (unlinked) goes back to its tee.
        GstElement *to = layer_switch_->target();
        for (RequestPad &pad : tee_pads_)
            if (pad.element() == capture_->h264_tee() || capture_->is_low_layer(pad.element())) {
                pad = layer_switch_->take();
                break;
            }
        layer_ = capture_->is_low_layer(to) ? Layer::Low : Layer::Top;
        layer_switch_.reset();
        g_message("media: call %" G_GUINT64_FORMAT " on the %s layer", serial_,
                  layer_name(layer_).data());
    }
    if (layer == layer_ || layer_stuck_ || !capture_)
        return;
    const RequestPad *video = nullptr;
    for (const RequestPad &pad : tee_pads_)
        if (pad.element() == capture_->h264_tee() || capture_->is_low_layer(pad.element()))
            video = &pad;
    if (!video)
        return; // no H.264 stream to the browser
    std::string error;
    GstElement *to = layer == Layer::Low ? capture_->low_h264_tee(error) : capture_->h264_tee();
    if (to)
        layer_switch_ = LayerSwitch::start(*video, to, *capture_, error);
    if (!layer_switch_) {
        layer_stuck_ = true;
        g_warning("media: call %" G_GUINT64_FORMAT " stays on the %s layer: %s", serial_,
                  layer_name(layer_).data(), error.c_str());
    }
}

void MediaEngine::adapt_layers()
{
    // A call on the low layer goes up only once that layer has run at its full rate over the
    // whole interval its reports cover, and they were clear: a path that carries only a lowered
    // low layer would carry the top layer even less (such a call went up after 3 samples on a
    // path capped at 300 kbit/s, lost everything on the top layer, and froze: calls-layers).
    // Its clear samples while the low layer is lowered still count towards the run up, so
    // once the low layer has climbed back (one step) and carried it, the call goes up.
    const bool low_full = low_bitrate_->target_kbps() >= settings_.low_video_bitrate;
    const bool low_tried = low_full && low_full_before_;
    low_full_before_ = low_full;
    std::set<std::uint64_t> connected;
    for (const auto &[peer, call] : calls_) {
        if (call->state() != "connected")
            continue;
        connected.insert(call->serial());
        const Layer was = layers_.layer(call->serial());
        // A call trying the top layer goes back down at the first sign of a queue, and a call
        // on the low layer counts a sample towards going up only if its path queued nothing:
        // a path that queues the low layer cannot carry the top one. Behind a 300 kbit/s cap
        // the low layer at its full rate read 0 % lost with the round trip 185 ms up, the
        // call tried the top layer and lost 23-74 % for two samples (shaped.mjs --only cap).
        // A reading no new report block gave says nothing of the queue now: with it the round
        // trip of a queue that had drained, 284 ms, held a call on the low layer for 5 s after
        // a cap lifted (shaped.mjs --only cap --log).
        const bool queueing = bitrate_->queueing(call->serial()) && call->path_report().rtt_fresh;
        const bool constrained =
            bitrate_->constrained(call->serial()) ||
            (queueing && (layers_.on_trial(call->serial()) || was == Layer::Low));
        const bool may_go_up = low_tried || call->layer() != Layer::Low;
        const Layer layer = layers_.update(call->serial(), constrained, may_go_up);
        const CallSession::PathReport &path = call->path_report();
        g_debug("media: call %" G_GUINT64_FORMAT " sample: %.0f %% lost, %.2f asked again per "
                "packet, round trip %.0f ms%s, %.0f kbit/s sent; %s on the %s layer%s",
                call->serial(), path.fraction_lost * 100, path.nack_ratio, path.rtt_ms,
                path.rtt_fresh ? "" : " (no new report)", path.sent_kbps,
                constrained ? "constrained" : "clear", layer_name(was).data(),
                may_go_up ? "" : " (the low layer not tried at its full rate)");
        if (layer == Layer::Low && was == Layer::Top) {
            g_message("media: call %" G_GUINT64_FORMAT " moving to the low layer (its path: "
                      "%.0f %% lost, %.2f retransmissions asked per packet, round trip %.0f ms, "
                      "%.0f kbit/s sent, %.0f carried)",
                      call->serial(), path.fraction_lost * 100, path.nack_ratio, path.rtt_ms,
                      path.sent_kbps, path.delivered_kbps());
            start_low_layer_for(*call);
        } else if (layer == Layer::Top && was == Layer::Low) {
            tries_[call->serial()] = {call->retransmission_counts()};
        }
        call->move_to_layer(layer);
    }
    layers_.keep_only(connected);
    if (!tries_.empty() && !try_look_)
        try_look_.reset(g_timeout_add(
            kTryLookMs,
            [](gpointer data) -> gboolean {
                auto *self = static_cast<MediaEngine *>(data);
                if (self->look_at_tries())
                    return G_SOURCE_CONTINUE;
                (void)self->try_look_.release(); // this source ends by returning REMOVE
                return G_SOURCE_REMOVE;
            },
            this));
    capture_->stop_unused_encoders(); // the low layer, once no call is on it
}

bool MediaEngine::look_at_tries()
{
    // The browser asks for a missing packet again as soon as a later one arrives, so what a
    // capped path drops of the top layer shows in its requests within a few hundred ms, while
    // its next receiver report is a second away. Behind a 300 kbit/s cap a try lost 55-79 % for
    // the whole sample it lasted, and the next one, sound included (shaped.mjs --only capped);
    // the requests come later the longer the queue in front of the cap (a look at 400 ms saw
    // 11-22 of 88-114 packets asked for behind a 250 ms queue, too few behind a 550 ms one).
    for (auto &[id, t] : tries_)
        ++t.looks;
    for (const auto &[peer, call] : calls_) {
        auto it = tries_.find(call->serial());
        if (it == tries_.end())
            continue;
        const Try &t = it->second;
        const RtxLimiter::Counts now = call->retransmission_counts();
        const std::uint64_t asked = now.first_requests - t.at_start.first_requests;
        const std::uint64_t sent = now.packets - t.at_start.packets;
        const unsigned ms = static_cast<unsigned>(t.looks) * kTryLookMs;
        if (call->state() != "connected" || layers_.layer(call->serial()) != Layer::Top)
            continue; // ending, or back down by a sample: forgotten below
        g_debug("media: call %" G_GUINT64_FORMAT " trying the top layer: %" G_GUINT64_FORMAT
                " of %" G_GUINT64_FORMAT " packets asked for again in %u ms",
                call->serial(), asked, sent, ms);
        if (asked < kTryLostPackets ||
            static_cast<double>(asked) <
                BitrateController::kLossConstrained * static_cast<double>(sent))
            continue;
        g_message("media: call %" G_GUINT64_FORMAT
                  " moving back to the low layer (its try: %" G_GUINT64_FORMAT
                  " of %" G_GUINT64_FORMAT " packets asked for again in %u ms)",
                  call->serial(), asked, sent, ms);
        layers_.fail_trial(call->serial());
        start_low_layer_for(*call);
        call->move_to_layer(Layer::Low);
        // As for a call whose path queues (adapt_bitrate()): the packets the try lost are not
        // worth sending again into the queue it filled. With the share of a clear path and its
        // 100 saved, the device went on sending 883 kbit/s into a 300 kbit/s cap for the second
        // after such a look, retransmissions of the try (shaped.mjs --only cap --log).
        call->set_retransmission_share(RtxBudget::kShareQueueing);
    }
    std::erase_if(tries_, [&](const auto &t) {
        return t.second.looks >= kTryLooks || layers_.layer(t.first) != Layer::Top;
    });
    return !tries_.empty();
}

void MediaEngine::start_low_layer_for(const CallSession &call)
{
    // The first call to go down sets where the low layer starts: what its path carried, with
    // a margin, when that is below the layer's own rate. Its controller would otherwise start
    // at the full rate and cut it by 30 % every two seconds, the call losing much of each of
    // those seconds' frames (a path capped at 300 kbit/s froze for many seconds).
    for (const auto &[peer, other] : calls_)
        if (other.get() != &call && other->state() == "connected" &&
            layers_.layer(other->serial()) == Layer::Low)
            return;
    // A call whose path queues starts it at the floor: what the queue took in is not what
    // the path carries, and it drains only while the device sends less than the path carries
    // (after a failed try of the top layer behind a 300 kbit/s cap, the low layer restarted at
    // its full rate held the round trip at 550 ms and lost 10-42 % for 5 s: shaped.mjs --only
    // cap, 9.8 fps under the cap against 18.9).
    const unsigned before = low_bitrate_->target_kbps();
    const double delivered = call.path_report().delivered_kbps();
    unsigned start = low_bitrate_->max_kbps();
    if (bitrate_->queueing(call.serial()))
        start = 0; // the floor
    else if (delivered >= 0)
        start = static_cast<unsigned>(std::lround(delivered * BitrateController::kBelowDelivered));
    low_bitrate_->restart(start);
    if (low_bitrate_->target_kbps() != before)
        apply_layer_bitrate(Layer::Low, before, "where the first call on it starts");
}

std::size_t MediaEngine::calls_on_layer(Layer layer) const
{
    std::size_t n = 0;
    for (const auto &[peer, call] : calls_)
        n += call->state() == "connected" && !call->video_codec().empty() && call->layer() == layer;
    return n;
}

} // namespace callbox::media
