// PipelineRun: a short pipeline for trials and the self-test — chains of pipelines/ bins, each
// ending in a sink that counts buffers, played until a condition holds, the stream ends, an
// error, or a watchdog time.
#pragma once

#include "media/gst-ptr.hpp"

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace callbox::media {

struct RunResult {
    bool ended = false;        // end of stream
    std::string error;         // the first error, naming the element
    double seconds = 0;        // how long it ran
    std::uint64_t buffers = 0; // buffers the counted sink took (until_end())
    std::string seconds_text() const;
};

class PipelineRun
{
public:
    PipelineRun();
    ~PipelineRun();
    PipelineRun(const PipelineRun &) = delete;
    PipelineRun &operator=(const PipelineRun &) = delete;

    // Adds `chain` (elements or bins with ghost pads) linked in order; unless `last_is_sink`,
    // the chain ends in a fakesink whose buffers are counted. The chain's index, or -1.
    int add_chain(const std::vector<GstElement *> &chain, std::string &error,
                  bool last_is_sink = false);
    // Buffers that reached chain `i`'s end.
    std::uint64_t count(int i) const;
    // The pad where chain `i`'s buffers are counted, for more probes.
    GstPad *counted_pad(int i) const;
    // The pad the last chain's counted buffers arrive at.
    GstPad *counted_output() const;

    bool start(std::string &error);
    // Plays (starting if needed) until `done()` holds, the stream ends, an error, or
    // `timeout_s`; the bus is read every 20 ms.
    RunResult wait(const std::function<bool()> &done, double timeout_s);
    // Plays until the stream ends; buffers counted at `pad`'s chain.
    RunResult until_end(GstPad *pad, double timeout_s);

private:
    static GstPadProbeReturn on_buffer(GstPad *, GstPadProbeInfo *info, gpointer counter);

    PipelinePtr pipeline_;
    std::deque<std::atomic<std::uint64_t>> counts_;
    std::vector<PadPtr> pads_;
    bool started_ = false;
    std::int64_t started_us_ = 0;
};

} // namespace callbox::media
