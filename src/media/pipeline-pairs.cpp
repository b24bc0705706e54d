// Pairing rules of pipelines/ files: "# pair:" declarations and the echo probe's name.
#include "media/pipeline-pairs.hpp"

#include "media/gst-elements.hpp"
#include "util/glib-ptr.hpp"

#include <array>
#include <utility>

namespace callbox::media {

namespace {

std::string file_path(const std::string &dir, const std::string &name)
{
    return dir + "/" + name + ".pipeline";
}

// The element of `factory` inside `bin` (or `bin` itself), borrowed from the bin; null when none.
GstElement *find_by_factory(GstElement *bin, const char *factory)
{
    GstIterator *it = gst_bin_iterate_recurse(GST_BIN(bin));
    GstElement *found = nullptr;
    GValue item = G_VALUE_INIT;
    while (!found && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
        auto *e = GST_ELEMENT(g_value_get_object(&item));
        GstElementFactory *f = gst_element_get_factory(e);
        if (f && g_strcmp0(GST_OBJECT_NAME(f), factory) == 0)
            found = e;
        g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    return found;
}

// The probe name the processor asks for, or the probe's own name; an error when the file does
// not load or has no such element.
std::optional<std::string> element_string(const MediaSettings &s, const std::string &file,
                                          const char *factory, const char *property,
                                          std::string &error)
{
    ElementPtr bin = load_pipeline_file(s.pipelines_dir, file, pipeline_variables(s), error);
    if (!bin)
        return std::nullopt;
    GstElement *e = find_by_factory(bin.get(), factory);
    if (!e) {
        error = file_path(s.pipelines_dir, file) + " has no " + factory + " element";
        return std::nullopt;
    }
    char *raw = nullptr;
    g_object_get(e, property, &raw, nullptr);
    GCharPtr value(raw);
    return std::string(value ? value.get() : "");
}

} // namespace

std::vector<std::string> declared_pairs(const std::string &dir, const std::string &name)
{
    std::vector<std::string> out;
    char *raw = nullptr;
    if (!g_file_get_contents(file_path(dir, name).c_str(), &raw, nullptr, nullptr))
        return out;
    GCharPtr text(raw);
    static constexpr std::string_view kTag = "# pair:";
    for (std::string_view rest(text.get()); !rest.empty();) {
        const std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        if (!line.starts_with(kTag))
            continue;
        line.remove_prefix(kTag.size());
        const std::size_t first = line.find_first_not_of(" \t");
        const std::size_t last = line.find_last_not_of(" \t\r");
        if (first != std::string_view::npos)
            out.emplace_back(line.substr(first, last - first + 1));
    }
    return out;
}

std::optional<std::string> check_pairs(const MediaSettings &s)
{
    // Each role a config key chooses a file for: the key and its value, the file.
    const std::array<std::pair<std::string, std::string>, 2> roles = {{
        {"audio_source = " + std::string(config::name(s.audio_source)),
         source_file(s.audio_source)},
        {"audio_sink = " + std::string(config::name(s.audio_sink)), sink_file(s.audio_sink)},
    }};
    std::vector<std::string> used = {roles[0].second, roles[1].second, kEchoProbeFile};
    const bool processing = config::voice_processing(s);
    if (processing)
        used.emplace_back(kVoiceProcessingFile);
    for (const std::string &file : used) {
        for (const std::string &partner : declared_pairs(s.pipelines_dir, file)) {
            for (const auto &[key, chosen] : roles) {
                const std::string prefix = chosen.substr(0, chosen.rfind('-') + 1);
                if (!partner.starts_with(prefix) || partner == chosen)
                    continue;
                return file_path(s.pipelines_dir, file) + " must be paired with " +
                       file_path(s.pipelines_dir, partner) + ", but [media] " + key + " uses " +
                       file_path(s.pipelines_dir, chosen);
            }
        }
    }
    if (!processing)
        return std::nullopt;
    std::string error;
    auto wanted = element_string(s, kVoiceProcessingFile, "webrtcdsp", "probe", error);
    auto probe =
        wanted ? element_string(s, kEchoProbeFile, "webrtcechoprobe", "name", error) : std::nullopt;
    if (!probe)
        return error;
    if (*wanted != *probe)
        return file_path(s.pipelines_dir, kVoiceProcessingFile) + " and " +
               file_path(s.pipelines_dir, kEchoProbeFile) +
               " are not paired: webrtcdsp's probe=" + *wanted +
               " names no probe (the echo probe is called " + *probe +
               "); echo cancellation would silently do nothing";
    return std::nullopt;
}

} // namespace callbox::media
