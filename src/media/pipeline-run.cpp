// PipelineRun: links chains, counts buffers at their ends and reads the bus with a watchdog.
#include "media/pipeline-run.hpp"

#include "media/gst-elements.hpp"

#include <cstdio>

namespace callbox::media {

std::string RunResult::seconds_text() const
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
    return buf;
}

PipelineRun::PipelineRun() : pipeline_(new_pipeline(nullptr)) {}

PipelineRun::~PipelineRun()
{
    // The pipeline stops (its streaming threads end) before the counters its probes write go:
    // members go in reverse order, so left to themselves `counts_` went first and a streaming
    // thread's last `++` landed in freed memory (glibc: "unaligned tcache chunk detected", a
    // crash of callboxd's self-test now and then).
    pipeline_.reset();
}

GstPadProbeReturn PipelineRun::on_buffer(GstPad *, GstPadProbeInfo *info, gpointer counter)
{
    auto *n = static_cast<std::atomic<std::uint64_t> *>(counter);
    if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
        *n += gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
    else
        ++*n;
    return GST_PAD_PROBE_OK;
}

int PipelineRun::add_chain(const std::vector<GstElement *> &chain, std::string &error,
                           bool last_is_sink)
{
    std::vector<GstElement *> all = chain;
    ElementPtr sink;
    if (!last_is_sink) {
        sink = make_element("fakesink", nullptr, error);
        if (!sink)
            return -1;
        g_object_set(sink.get(), "sync", FALSE, "async", FALSE, nullptr);
        all.push_back(sink.get());
    }
    GstElement *prev = nullptr;
    for (GstElement *e : all) {
        gst_bin_add(GST_BIN(pipeline_.get()), e);
        if (prev && !gst_element_link(prev, e)) {
            error =
                std::string("cannot link ") + GST_ELEMENT_NAME(prev) + " to " + GST_ELEMENT_NAME(e);
            return -1;
        }
        prev = e;
    }
    counts_.emplace_back(0);
    PadPtr pad = static_pad(all.back(), "sink");
    if (!pad) {
        error = std::string(GST_ELEMENT_NAME(all.back())) + " has no sink pad";
        return -1;
    }
    gst_pad_add_probe(
        pad.get(),
        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        on_buffer, &counts_.back(), nullptr);
    pads_.push_back(std::move(pad));
    return static_cast<int>(counts_.size()) - 1;
}

std::uint64_t PipelineRun::count(int i) const
{
    return i >= 0 && static_cast<std::size_t>(i) < counts_.size() ? counts_[i].load() : 0;
}

GstPad *PipelineRun::counted_pad(int i) const
{
    return i >= 0 && static_cast<std::size_t>(i) < pads_.size() ? pads_[i].get() : nullptr;
}

GstPad *PipelineRun::counted_output() const
{
    return pads_.empty() ? nullptr : pads_.back().get();
}

bool PipelineRun::start(std::string &error)
{
    if (started_)
        return true;
    started_ = true;
    started_us_ = g_get_monotonic_time();
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        // The bus usually says why (a busy device, a missing driver).
        BusPtr bus = adopt(gst_element_get_bus(pipeline_.get()));
        GstMessage *m = gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR);
        error = "does not start";
        if (m) {
            g_autoptr(GError) err = nullptr;
            gst_message_parse_error(m, &err, nullptr);
            error = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(m))) + ": " + err->message;
            gst_message_unref(m);
        }
        return false;
    }
    return true;
}

RunResult PipelineRun::wait(const std::function<bool()> &done, double timeout_s)
{
    RunResult result;
    if (!start(result.error))
        return result;
    BusPtr bus = adopt(gst_element_get_bus(pipeline_.get()));
    const std::int64_t deadline =
        g_get_monotonic_time() + static_cast<std::int64_t>(timeout_s * G_USEC_PER_SEC);
    while (!done() && g_get_monotonic_time() < deadline) {
        GstMessage *m = gst_bus_timed_pop_filtered(
            bus.get(), 20 * GST_MSECOND,
            static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
        if (!m)
            continue;
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
            result.ended = true;
        } else {
            g_autoptr(GError) err = nullptr;
            gst_message_parse_error(m, &err, nullptr);
            result.error = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(m))) + ": " + err->message;
        }
        gst_message_unref(m);
        break;
    }
    result.seconds = static_cast<double>(g_get_monotonic_time() - started_us_) / G_USEC_PER_SEC;
    return result;
}

RunResult PipelineRun::until_end(GstPad *pad, double timeout_s)
{
    RunResult result = wait([] { return false; }, timeout_s);
    for (std::size_t i = 0; i < pads_.size(); ++i)
        if (pads_[i].get() == pad)
            result.buffers = counts_[i].load();
    return result;
}

} // namespace callbox::media
