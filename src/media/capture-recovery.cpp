// CaptureGraph's recovery: a camera or microphone that fails mid-call gives way to a placeholder
// (pipelines/*-source-unavailable.pipeline) while calls go on, and comes back with back-off.
#include "media/capture-graph.hpp"

#include "media/gst-elements.hpp"

#include <glib.h>

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC(recovery_debug);
#define GST_CAT_DEFAULT recovery_debug

namespace callbox::media {

namespace {

constexpr guint kWatchIntervalMs = 100;
// A source just (re)started may take a while for its first buffer (a USB camera: about a
// second to start streaming); it counts as stalled only after this, or capture_stall_ms if more.
constexpr std::int64_t kFirstDataGraceUs = 3 * 1000 * 1000;

const char *kind(bool camera)
{
    return camera ? "camera" : "microphone";
}

std::string placeholder_file(bool camera)
{
    return camera ? "video-source-unavailable" : "audio-source-unavailable";
}

} // namespace

void CaptureGraph::watch_sources()
{
    GST_DEBUG_CATEGORY_INIT(recovery_debug, "callbox-capture-recovery", 0,
                            "callbox capture recovery");
    for (bool camera : {true, false}) {
        SourceSlot &s = slot(camera);
        s.graph = this;
        s.retry_ms = settings_.capture_retry_ms;
        s.started_us = g_get_monotonic_time();
        // At the entry (the first element after the source): every buffer is counted, and an
        // EOS is dropped there: an ended stream must not reach the encoders and calls.
        GstElement *entry = (camera ? video_entry_ : audio_entry_).get();
        gst_pad_add_probe(static_pad(entry, "sink").get(),
                          static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                       GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                          on_entry_data, &s, nullptr);
    }
    watchdog_.reset(g_timeout_add(
        kWatchIntervalMs,
        [](gpointer self) -> gboolean {
            return static_cast<CaptureGraph *>(self)->check_sources();
        },
        this));
}

GstPadProbeReturn CaptureGraph::on_entry_data(GstPad *, GstPadProbeInfo *info, gpointer data)
{
    auto *s = static_cast<SourceSlot *>(data);
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
        s->last_data_us = g_get_monotonic_time();
        return GST_PAD_PROBE_OK;
    }
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS)
        return GST_PAD_PROBE_OK;
    s->ended = true;
    return GST_PAD_PROBE_DROP;
}

bool CaptureGraph::check_sources()
{
    const std::int64_t now = g_get_monotonic_time();
    for (bool camera : {true, false}) {
        SourceSlot &s = slot(camera);
        if (s.health.state == SourceState::Unavailable)
            continue;
        const std::int64_t stall_us = std::int64_t{settings_.capture_stall_ms} * 1000;
        const std::int64_t last = s.last_data_us;
        const bool delivered = last >= s.started_us;
        const char *why = nullptr;
        if (s.ended)
            why = "its stream ended";
        else if (delivered ? now - last > stall_us
                           : now - s.started_us > std::max(stall_us, kFirstDataGraceUs))
            why = "it delivers nothing";
        if (why && s.health.state == SourceState::Live)
            fail_over(s, why);
        else if (why)
            back_to_placeholder(s, why);
        else if (delivered && s.health.state == SourceState::Trying) {
            s.health.state = SourceState::Live;
            s.retry_ms = settings_.capture_retry_ms;
            ++s.health.recoveries;
            g_message("media: the %s is back", kind(s.camera));
        }
    }
    return G_SOURCE_CONTINUE;
}

bool CaptureGraph::on_source_error(GstObject *top)
{
    // An element taken out of the pipeline already (a failed source, a try that failed):
    // its error was queued before it left, and it was dealt with then.
    if (top != GST_OBJECT(pipeline_) && GST_OBJECT_PARENT(top) != GST_OBJECT(pipeline_)) {
        GST_INFO("an error of %s, which is gone already", GST_OBJECT_NAME(top));
        return true;
    }
    for (bool camera : {true, false}) {
        if (top != GST_OBJECT((camera ? video_src_ : audio_src_).get()))
            continue;
        SourceSlot &s = slot(camera);
        if (s.health.state == SourceState::Live)
            fail_over(s, "it failed");
        else if (s.health.state == SourceState::Trying)
            back_to_placeholder(s, "it failed again");
        return true; // a failing placeholder: the next try replaces it
    }
    return false;
}

void CaptureGraph::fail_over(SourceSlot &s, const char *why)
{
    ++s.health.failures;
    s.retry_ms = settings_.capture_retry_ms;
    g_warning("media: the %s is unavailable (%s); callers get a placeholder, retrying in %u ms",
              kind(s.camera), why, s.retry_ms);
    back_to_placeholder(s, why);
}

void CaptureGraph::back_to_placeholder(SourceSlot &s, const char *why)
{
    const bool again = s.health.state == SourceState::Trying;
    std::string error;
    ElementPtr placeholder = load_source_file(settings_.pipelines_dir, placeholder_file(s.camera),
                                              pipeline_variables(settings_), error);
    if (s.camera)
        video_live_ = false;
    if (!placeholder || !replace_source(s.camera, std::move(placeholder), error))
        g_warning("media: no placeholder for the %s: %s", kind(s.camera), error.c_str());
    s.health.state = SourceState::Unavailable;
    if (again)
        return retry_later(s, why);
    schedule_retry(s);
}

void CaptureGraph::retry_later(SourceSlot &s, const std::string &why)
{
    s.retry_ms = std::min(s.retry_ms * 2, settings_.capture_retry_max_ms);
    GST_INFO("the %s is still unavailable (%s); next try in %u ms", kind(s.camera), why.c_str(),
             s.retry_ms);
    schedule_retry(s);
}

void CaptureGraph::schedule_retry(SourceSlot &s)
{
    s.retry.reset(g_timeout_add(
        s.retry_ms,
        [](gpointer data) -> gboolean {
            auto *s = static_cast<SourceSlot *>(data);
            static_cast<void>(s->retry.release()); // this source ends by returning REMOVE
            s->graph->try_source(*s);
            return G_SOURCE_REMOVE;
        },
        &s));
}

void CaptureGraph::retry_now()
{
    for (bool camera : {true, false})
        if (slot(camera).health.state == SourceState::Unavailable)
            try_source(slot(camera));
}

void CaptureGraph::try_source(SourceSlot &s)
{
    s.retry.reset();
    std::string error;
    MediaSettings chosen = settings_;
    ElementPtr fresh = load_source(s.camera, chosen, error);
    if (fresh) {
        // Opened on its own first: a device that is still gone fails here, and the
        // placeholder stays. Locked before it joins the pipeline, whose own state changes
        // (a call's elements prerolling) must leave it alone meanwhile.
        gst_element_set_locked_state(fresh.get(), TRUE);
        gst_bin_add(pipeline_, fresh.get());
        if (gst_element_set_state(fresh.get(), GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE) {
            error = "it does not open";
            stop_and_remove(fresh.get());
            fresh.reset();
        } else {
            gst_element_set_locked_state(fresh.get(), FALSE);
        }
    }
    if (!fresh || !replace_source(s.camera, std::move(fresh), error))
        return retry_later(s, error);
    // Live once its first buffer arrives (check_sources()).
    went_live(s);
    s.health.state = SourceState::Trying;
}

void CaptureGraph::went_live(SourceSlot &s)
{
    s.retry.reset();
    s.ended = false;
    s.started_us = g_get_monotonic_time();
    s.health.state = SourceState::Live;
    if (s.camera)
        video_live_ = true;
}

bool CaptureGraph::replace_source(bool camera, ElementPtr fresh, std::string &error)
{
    ElementPtr &old = camera ? video_src_ : audio_src_;
    // The microphone feeds its voice processor where there is one (echo cancellation).
    GstElement *entry = camera ? video_entry_.get() : voice_ ? voice_.get() : audio_entry_.get();
    // No state change of the pipeline runs while the sources are swapped: one under way (a
    // call's elements prerolling, on GStreamer's thread pool) walks the children it listed
    // before, and would start the old source again after it was stopped and taken out.
    GST_STATE_LOCK(pipeline_);
    // The old source stops first (its thread ends), so nothing is pushed into an unlinked pad.
    stop_and_remove(old.get());
    if (GST_OBJECT_PARENT(fresh.get()) != GST_OBJECT(pipeline_))
        gst_bin_add(pipeline_, fresh.get());
    old = std::move(fresh);
    const bool linked = gst_element_link(old.get(), entry);
    if (linked)
        gst_element_sync_state_with_parent(old.get());
    else
        error = "the new source does not fit the capture graph";
    GST_STATE_UNLOCK(pipeline_);
    return linked;
}

void CaptureGraph::stop_and_remove(GstElement *element)
{
    // Locked first: a state change of the pipeline must not start it again (GstBin skips
    // locked children); and in NULL before it leaves (gst_bin_remove() unlinks it): a source
    // freed while playing leaves its streaming thread behind, running on freed memory.
    gst_element_set_locked_state(element, TRUE);
    gst_element_set_state(element, GST_STATE_NULL);
    gst_bin_remove(pipeline_, element);
}

} // namespace callbox::media
