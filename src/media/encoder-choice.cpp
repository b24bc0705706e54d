// Encoder trials (a few frames through a pipelines/ encoder into a counting sink) and the H.264
// fallback order.
#include "media/encoder-choice.hpp"

#include "media/gst-elements.hpp"
#include "media/pipeline-run.hpp"

#include <gst/gst.h>

namespace callbox::media {

namespace {
// A watchdog for an encoder that hangs (a hardware encoder without its device); not a speed
// limit: a busy machine takes several seconds for ten 720p VP8 frames.
constexpr double kTrialWatchdogS = 60;
} // namespace

EncoderTrial trial_encode(const MediaSettings &s, const std::string &file, unsigned frames)
{
    EncoderTrial trial;
    const bool audio = file.rfind("audio-", 0) == 0;
    Variables vars = pipeline_variables(s);
    vars["BUFFERS"] = std::to_string(frames);
    vars["TONE_HZ"] = "440";
    std::string error;
    ElementPtr encoder = load_pipeline_file(s.pipelines_dir, file, vars, error);
    if (!encoder) {
        trial.detail = error;
        trial.package = missing_package(error);
        return trial;
    }
    ElementPtr source = load_source_file(s.pipelines_dir,
                                         audio ? "self-test-tone" : "self-test-video", vars, error);
    PipelineRun run;
    if (!source || run.add_chain({source.get(), encoder.get()}, error) < 0) {
        trial.detail = error;
        return trial;
    }
    GstPad *out = run.counted_output();
    const RunResult result = run.until_end(out, kTrialWatchdogS);
    trial.frames_out = result.buffers;
    trial.ok = result.error.empty() && result.ended && result.buffers > 0;
    trial.detail = !result.error.empty() ? result.error
                   : !result.ended       ? "did not finish encoding within " +
                                         std::to_string(int(kTrialWatchdogS)) + " s"
                                   : std::to_string(frames) + (audio ? " buffers" : " frames") +
                                         " in, " + std::to_string(result.buffers) +
                                         " encoded buffers out in " + result.seconds_text();
    return trial;
}

std::vector<config::VideoEncoder> h264_candidates(config::VideoEncoder configured)
{
    using config::VideoEncoder;
    std::vector<VideoEncoder> order{VideoEncoder::V4l2H264, VideoEncoder::X264};
    if (configured != VideoEncoder::Auto) {
        std::erase(order, configured);
        order.insert(order.begin(), configured);
    }
    return order;
}

H264Choice choose_h264_encoder(const MediaSettings &s, bool trial_every_encoder)
{
    H264Choice choice;
    std::string passed_over;
    for (config::VideoEncoder e : h264_candidates(s.video_encoder)) {
        const std::string file = encoder_file(e);
        std::string why;
        const bool hardware = e == config::VideoEncoder::V4l2H264;
        if (hardware || trial_every_encoder) {
            EncoderTrial trial = trial_encode(s, file, 10);
            if (!trial.ok)
                why = trial.detail;
        } else if (!load_pipeline_file(s.pipelines_dir, file, pipeline_variables(s), why)) {
            // why says which element is missing
        }
        if (why.empty()) {
            choice.file = file;
            choice.summary = std::string(config::name(e)) +
                             (passed_over.empty() ? "" : " (" + passed_over + ")");
            break;
        }
        g_message("media: H.264 encoder %s passed over: %s", config::name(e).data(), why.c_str());
        passed_over += (passed_over.empty() ? "" : "; ") + std::string(config::name(e)) +
                       " passed over: " + why;
    }
    if (choice.file.empty())
        choice.summary = "no H.264 encoder works: " + passed_over;
    return choice;
}

} // namespace callbox::media
