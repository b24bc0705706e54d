// Element creation and pipeline-file loading with package-naming errors.
#include "media/gst-elements.hpp"

#include "util/glib-ptr.hpp"

#include <algorithm>
#include <cmath>
#include <regex>

namespace callbox::media {

std::string package_for(std::string_view factory)
{
    static const std::map<std::string_view, const char *> packages = {
        {"x264enc", "gstreamer1.0-plugins-ugly"},
        {"webrtcbin", "gstreamer1.0-plugins-bad"},
        {"dtlsdec", "gstreamer1.0-plugins-bad"},
        {"dtlssrtpenc", "gstreamer1.0-plugins-bad"},
        {"srtpenc", "gstreamer1.0-plugins-bad"},
        {"h264parse", "gstreamer1.0-plugins-bad"},
        {"kmssink", "gstreamer1.0-plugins-bad"},
        {"webrtcdsp", "gstreamer1.0-plugins-bad"},
        {"webrtcechoprobe", "gstreamer1.0-plugins-bad"},
        {"interaudiosrc", "gstreamer1.0-plugins-bad"},
        {"interaudiosink", "gstreamer1.0-plugins-bad"},
        {"nicesrc", "gstreamer1.0-nice"},
        {"nicesink", "gstreamer1.0-nice"},
        {"avdec_h264", "gstreamer1.0-libav"},
        {"clockoverlay", "gstreamer1.0-x"},
        {"timeoverlay", "gstreamer1.0-x"},
        {"textoverlay", "gstreamer1.0-x"},
        {"alsasrc", "gstreamer1.0-alsa"},
        {"alsasink", "gstreamer1.0-alsa"},
        {"v4l2src", "gstreamer1.0-plugins-good"},
        {"v4l2h264enc", "gstreamer1.0-plugins-good (and a board with a V4L2 H.264 encoder)"},
        {"vp8enc", "gstreamer1.0-plugins-good"},
        {"vp8dec", "gstreamer1.0-plugins-good"},
        {"rtph264pay", "gstreamer1.0-plugins-good"},
        {"rtpvp8pay", "gstreamer1.0-plugins-good"},
        {"rtpopuspay", "gstreamer1.0-plugins-good"},
        {"rtpbin", "gstreamer1.0-plugins-good"},
        {"autovideosink", "gstreamer1.0-plugins-good"},
        {"autoaudiosink", "gstreamer1.0-plugins-good"},
        {"libcamerasrc", "gstreamer1.0-libcamera"},
        {"jpegdec", "gstreamer1.0-plugins-good"},
        {"v4l2jpegdec", "gstreamer1.0-plugins-good (and a board with a V4L2 JPEG decoder)"},
    };
    auto it = packages.find(factory);
    return it != packages.end() ? it->second : "gstreamer1.0-plugins-base";
}

void skip_unused_device_providers()
{
    for (const char *name :
         {"pulsedeviceprovider", "pipewiredeviceprovider", "decklinkdeviceprovider"})
        if (GstPluginFeature *f = gst_registry_lookup_feature(gst_registry_get(), name)) {
            // The monitor (its filters) only takes providers ranked above GST_RANK_NONE.
            gst_plugin_feature_set_rank(f, GST_RANK_NONE);
            gst_object_unref(f);
        }
}

void warm_up_call_elements()
{
    // The certificate: one DTLS element made and dropped.
    sink(gst_element_factory_make("dtlsdec", nullptr));
    // The plug-ins, loaded without making their elements.
    for (const char *plugin : {"webrtc", "nice", "srtp", "rtpmanager", "rtp", "opus"})
        if (GstPlugin *p = gst_plugin_load_by_name(plugin))
            gst_object_unref(p);
}

ElementPtr make_element(const char *factory, const char *name, std::string &error)
{
    ElementPtr e = sink(gst_element_factory_make(factory, name));
    if (!e)
        error = std::string("GStreamer element '") + factory +
                "' is missing: install the Debian package " + package_for(factory);
    return e;
}

namespace {

// A number as gst-launch reads it, whatever the locale.
std::string decimal(double value)
{
    char text[G_ASCII_DTOSTR_BUF_SIZE];
    return g_ascii_formatd(text, sizeof text, "%.6f", value);
}

} // namespace

Variables pipeline_variables(const MediaSettings &s)
{
    return {
        {"WIDTH", std::to_string(s.width)},
        {"HEIGHT", std::to_string(s.height)},
        {"FRAMERATE", std::to_string(s.framerate)},
        {"BITRATE", std::to_string(s.video_bitrate)},
        {"BITRATE_BPS", std::to_string(s.video_bitrate * 1000)},
        // The low layer (docs/adaptation.md): half the width and height, kept even for I420.
        {"LOW_WIDTH", std::to_string(s.width / 4 * 2)},
        {"LOW_HEIGHT", std::to_string(s.height / 4 * 2)},
        {"LOW_BITRATE", std::to_string(s.low_video_bitrate)},
        {"LOW_BITRATE_BPS", std::to_string(s.low_video_bitrate * 1000)},
        {"KEYINT", std::to_string(s.framerate * 2)},
        {"THREADS", std::to_string(s.encoder_threads ? s.encoder_threads
                                                     : std::clamp(g_get_num_processors(), 1u, 4u))},
        {"VIDEO_DEVICE", s.video_device},
        {"AUDIO_DEVICE", s.audio_device},
        {"AUDIO_SINK_DEVICE", s.audio_sink_device},
        {"ECHO_CANCEL", config::echo_cancel_active(s) ? "true" : "false"},
        {"NOISE_SUPPRESSION", s.noise_suppression ? "true" : "false"},
        {"GAIN_CONTROL", s.gain_control ? "true" : "false"},
        {"ROOM_DELAY_NS", std::to_string(std::uint64_t{s.room_delay_ms} * 1000000)},
        {"ROOM_GAIN", decimal(std::pow(10.0, -static_cast<double>(s.room_loss_db) / 20))},
        {"ROOM_TALKER_VOLUME", s.room_talker ? "0.1" : "0"},
    };
}

ElementPtr load_pipeline_file(const std::string &dir, const std::string &name,
                              const Variables &vars, std::string &error)
{
    const std::string path = dir + "/" + name + ".pipeline";
    GCharPtr contents;
    {
        char *text = nullptr;
        if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) {
            error = "pipeline file " + path + " is missing";
            return nullptr;
        }
        contents.reset(text);
    }
    std::string description;
    for (std::string_view rest(contents.get()); !rest.empty();) {
        std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        std::size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#')
            continue;
        description.append(line).append(" ");
    }
    for (const auto &[key, value] : vars) {
        const std::string token = "@" + key + "@";
        for (std::size_t pos; (pos = description.find(token)) != std::string::npos;)
            description.replace(pos, token.size(), value);
    }
    if (description.find('@') != std::string::npos &&
        std::regex_search(description, std::regex("@[A-Z_]+@"))) {
        error = path + ": unknown @VARIABLE@ in the pipeline";
        return nullptr;
    }

    g_autoptr(GError) err = nullptr;
    g_autoptr(GstParseContext) ctx = gst_parse_context_new();
    ElementPtr bin = sink(gst_parse_bin_from_description_full(description.c_str(), TRUE, ctx,
                                                              GST_PARSE_FLAG_FATAL_ERRORS, &err));
    if (!bin) {
        g_auto(GStrv) missing = gst_parse_context_get_missing_elements(ctx);
        if (missing && missing[0])
            error = path + ": GStreamer element '" + missing[0] +
                    "' is missing: install the Debian package " + package_for(missing[0]);
        else
            error = path + ": " + (err ? err->message : "cannot be parsed");
        return nullptr;
    }
    gst_element_set_name(bin.get(), name.c_str());
    return bin;
}

ElementPtr load_source_file(const std::string &dir, const std::string &name, const Variables &vars,
                            std::string &error)
{
    ElementPtr bin = load_pipeline_file(dir, name, vars, error);
    while (GstPad *input = bin && bin->sinkpads ? GST_PAD(bin->sinkpads->data) : nullptr)
        gst_element_remove_pad(bin.get(), input);
    return bin;
}

I420View i420_view(GstVideoFrame &frame)
{
    auto plane = [&frame](int i) {
        return static_cast<std::uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, i));
    };
    return I420View{plane(0),
                    plane(1),
                    plane(2),
                    GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0),
                    GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 1),
                    GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 2),
                    GST_VIDEO_FRAME_WIDTH(&frame),
                    GST_VIDEO_FRAME_HEIGHT(&frame)};
}

std::vector<std::string> missing_required_elements()
{
    std::vector<std::string> missing;
    for (const char *factory :
         {"webrtcbin", "nicesrc", "dtlsdec", "rtph264pay", "rtpopuspay", "rtpvp8pay", "x264enc",
          "opusenc", "vp8enc", "decodebin", "avdec_h264", "compositor", "audiomixer", "tee",
          "queue", "videoconvert", "videoscale", "audioconvert", "audioresample"}) {
        g_autoptr(GstElementFactory) f = gst_element_factory_find(factory);
        if (!f)
            missing.emplace_back(factory);
    }
    return missing;
}

bool check_required_elements(std::string &error)
{
    const std::vector<std::string> missing = missing_required_elements();
    if (!missing.empty())
        error = "GStreamer element '" + missing.front() +
                "' is missing: install the Debian package " + package_for(missing.front());
    return missing.empty();
}

std::string missing_package(const std::string &error)
{
    static constexpr std::string_view kMarker = "install the Debian package ";
    const std::size_t at = error.find(kMarker);
    return at == std::string::npos ? "" : error.substr(at + kMarker.size());
}

} // namespace callbox::media
