// Config loading: a line scanner for FILE:LINE errors and unknown keys, GKeyFile for values.
#include "config/config.hpp"

#include "callbox-build.h"

#include <gio/gio.h>
#include <glib.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>
#include <vector>

namespace callbox::config {

namespace {

// One key of the file: how to read its value into the struct.
struct Key {
    const char *group;
    const char *name;
    std::function<std::optional<std::string>(Config &, const std::string &)> set;
};

std::optional<std::string> parse_uint(const std::string &text, unsigned min, unsigned max,
                                      unsigned &out)
{
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
        return "expected a whole number from " + std::to_string(min) + " to " +
               std::to_string(max) + ", got '" + text + "'";
    out = v;
    return std::nullopt;
}

std::optional<std::string> parse_bool(const std::string &text, bool &out)
{
    if (text == "true" || text == "yes" || text == "on" || text == "1")
        out = true;
    else if (text == "false" || text == "no" || text == "off" || text == "0")
        out = false;
    else
        return "expected true or false, got '" + text + "'";
    return std::nullopt;
}

auto uint_key(unsigned Config::*field, unsigned min, unsigned max)
{
    return [field, min, max](Config &c, const std::string &v) {
        return parse_uint(v, min, max, c.*field);
    };
}

auto string_key(std::string Config::*field, bool may_be_empty = false)
{
    return [field, may_be_empty](Config &c, const std::string &v) -> std::optional<std::string> {
        if (v.empty() && !may_be_empty)
            return "the value must not be empty";
        c.*field = v;
        return std::nullopt;
    };
}

auto media_uint(unsigned media::MediaSettings::*field, unsigned min, unsigned max)
{
    return [field, min, max](Config &c, const std::string &v) {
        return parse_uint(v, min, max, c.media.*field);
    };
}

auto media_bool(bool media::MediaSettings::*field)
{
    return [field](Config &c, const std::string &v) {
        return parse_bool(v, c.media.*field);
    };
}

// A string key; when `choices` is not empty the value must be one of them.
auto media_string(std::string media::MediaSettings::*field, std::vector<std::string> choices = {})
{
    return [field, choices](Config &c, const std::string &v) -> std::optional<std::string> {
        if (v.empty())
            return "the value must not be empty";
        if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end()) {
            std::string all;
            for (const auto &choice : choices)
                all += (all.empty() ? "" : ", ") + choice;
            return "expected one of " + all + ", got '" + v + "'";
        }
        c.media.*field = v;
        return std::nullopt;
    };
}

std::optional<std::string> parse_addresses(const std::string &text, std::vector<std::string> &out)
{
    out.clear();
    g_auto(GStrv) parts = g_strsplit_set(text.c_str(), ", ", -1);
    for (char **p = parts; *p; ++p) {
        if (!**p)
            continue;
        g_autoptr(GInetAddress) address = g_inet_address_new_from_string(*p);
        if (!address)
            return std::string("'") + *p + "' is not an IP address";
        out.emplace_back(*p);
    }
    return std::nullopt;
}

const std::vector<Key> &keys()
{
    static const std::vector<Key> table = {
        {"server", "listen", string_key(&Config::listen)},
        {"server", "port", uint_key(&Config::port, 0, 65535)},
        {"server", "tls",
         [](Config &c, const std::string &v) {
             return parse_bool(v, c.tls);
         }},
        {"server", "tls_certificate", string_key(&Config::tls_certificate, true)},
        {"server", "tls_key", string_key(&Config::tls_key, true)},
        {"server", "web_dir", string_key(&Config::web_dir)},
        {"server", "ping_interval", uint_key(&Config::ping_interval, 1, 3600)},
        {"server", "batch_delay_ms", uint_key(&Config::batch_delay_ms, 0, 100)},
        {"server", "admin_password_hash",
         [](Config &c, const std::string &v) -> std::optional<std::string> {
             if (!v.empty() && v.rfind("$pbkdf2-sha256$", 0) != 0)
                 return "expected a hash printed by callboxd --hash-password";
             c.admin_password_hash = v;
             return std::nullopt;
         }},
        {"storage", "data_dir", string_key(&Config::data_dir)},
        {"device", "name", string_key(&Config::device_name)},
        {"rooms", "max_browsers", uint_key(&Config::max_browsers, 1, 10000)},
        {"rooms", "rate_limit", uint_key(&Config::rate_limit, 0, 1000000)},
        {"rooms", "rate_window", uint_key(&Config::rate_window, 1, 3600)},
        {"rooms", "history_length", uint_key(&Config::history_length, 0, 1000)},
        {"rooms", "access_code", string_key(&Config::access_code, true)},
        {"media", "enabled",
         [](Config &c, const std::string &v) {
             return parse_bool(v, c.media_enabled);
         }},
        {"media", "pipelines_dir", media_string(&media::MediaSettings::pipelines_dir)},
        {"media", "video_source",
         media_string(&media::MediaSettings::video_source, {"auto", "test", "v4l2"})},
        {"media", "video_device", media_string(&media::MediaSettings::video_device)},
        {"media", "audio_source",
         media_string(&media::MediaSettings::audio_source, {"auto", "test", "alsa"})},
        {"media", "audio_device", media_string(&media::MediaSettings::audio_device)},
        {"media", "video_sink",
         media_string(&media::MediaSettings::video_sink, {"fake", "kms", "auto"})},
        {"media", "audio_sink",
         media_string(&media::MediaSettings::audio_sink, {"fake", "alsa", "auto"})},
        {"media", "audio_sink_device", media_string(&media::MediaSettings::audio_sink_device)},
        {"media", "video_encoder",
         media_string(&media::MediaSettings::video_encoder, {"auto", "x264", "v4l2h264"})},
        {"media", "width", media_uint(&media::MediaSettings::width, 320, 3840)},
        {"media", "height", media_uint(&media::MediaSettings::height, 240, 2160)},
        {"media", "framerate", media_uint(&media::MediaSettings::framerate, 1, 60)},
        {"media", "video_bitrate", media_uint(&media::MediaSettings::video_bitrate, 100, 20000)},
        {"media", "jitter_ms", media_uint(&media::MediaSettings::jitter_ms, 0, 2000)},
        {"media", "max_calls", media_uint(&media::MediaSettings::max_calls, 1, 64)},
        {"media", "clock_pattern",
         media_string(&media::MediaSettings::clock_pattern, {"auto", "on", "off"})},
        {"media", "encoders",
         media_string(&media::MediaSettings::encoders, {"shared", "per-call"})},
        {"media", "ice_addresses",
         [](Config &c, const std::string &v) {
             return parse_addresses(v, c.media.ice_addresses);
         }},
        {"media", "audio_muted", media_bool(&media::MediaSettings::audio_muted)},
        {"media", "video_muted", media_bool(&media::MediaSettings::video_muted)},
    };
    return table;
}

const Key *find_key(std::string_view group, std::string_view name)
{
    for (const Key &k : keys())
        if (group == k.group && name == k.name)
            return &k;
    return nullptr;
}

bool known_group(std::string_view group)
{
    for (const Key &k : keys())
        if (group == k.group)
            return true;
    return false;
}

std::string_view strip(std::string_view s)
{
    while (!s.empty() && g_ascii_isspace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && g_ascii_isspace(s.back()))
        s.remove_suffix(1);
    return s;
}

} // namespace

std::string ConfigError::to_string() const
{
    if (line > 0)
        return file + ":" + std::to_string(line) + ": " + message;
    return file + ": " + message;
}

Config defaults()
{
    Config c;
    c.web_dir = CALLBOX_WEB_DIR;
    c.data_dir = CALLBOX_DATA_DIR;
    c.media.pipelines_dir = CALLBOX_PIPELINES_DIR;
    return c;
}

std::optional<ConfigError> load(const std::string &path, Config &config)
{
    g_autofree char *contents = nullptr;
    gsize length = 0;
    g_autoptr(GError) error = nullptr;
    if (!g_file_get_contents(path.c_str(), &contents, &length, &error))
        return ConfigError{path, 0, error->message};
    if (!g_utf8_validate(contents, static_cast<gssize>(length), nullptr))
        return ConfigError{path, 0, "the file is not valid UTF-8"};

    // The file is checked line by line, so the first error reported is the first in the
    // file; GKeyFile reads each value (its escapes and all).
    std::set<std::pair<std::string, std::string>> seen;
    std::string group;
    const std::string_view text(contents, length);
    int line_no = 0;
    for (std::size_t pos = 0; pos < text.size();) {
        std::size_t nl = std::min(text.find('\n', pos), text.size());
        std::string_view line = strip(text.substr(pos, nl - pos));
        pos = nl + 1;
        ++line_no;
        if (line.empty() || line.front() == '#' || line.front() == ';')
            continue;
        if (line.front() == '[') {
            if (line.back() != ']' || line.size() < 3)
                return ConfigError{path, line_no, "a group header looks like [name]"};
            group = std::string(line.substr(1, line.size() - 2));
            if (!known_group(group))
                return ConfigError{path, line_no, "unknown group [" + group + "]"};
            continue;
        }
        std::size_t eq = line.find('=');
        if (eq == std::string_view::npos)
            return ConfigError{path, line_no, "expected 'key = value', a [group] or a # comment"};
        std::string name(strip(line.substr(0, eq)));
        if (group.empty())
            return ConfigError{path, line_no, "'" + name + "' comes before any [group]"};
        const Key *key = find_key(group, name);
        if (!key)
            return ConfigError{path, line_no, "unknown key '" + name + "' in [" + group + "]"};
        if (!seen.emplace(group, name).second)
            return ConfigError{path, line_no, "'" + name + "' is set twice in [" + group + "]"};
        const std::string entry = "[v]\n" + std::string(line) + "\n";
        g_autoptr(GKeyFile) file = g_key_file_new();
        g_autofree char *value = nullptr;
        if (g_key_file_load_from_data(file, entry.c_str(), entry.size(), G_KEY_FILE_NONE, &error))
            value = g_key_file_get_string(file, "v", name.c_str(), &error);
        if (!value)
            return ConfigError{path, line_no, error->message};
        if (auto why = key->set(config, std::string(strip(value))))
            return ConfigError{path, line_no, name + ": " + *why};
    }
    if (auto why = validate(config))
        return ConfigError{path, 0, *why};
    return std::nullopt;
}

std::vector<std::string> fragments(const std::string &main_file)
{
    std::vector<std::string> out;
    g_autofree char *dir = g_path_get_dirname(main_file.c_str());
    const std::string confd = std::string(dir) + "/conf.d";
    g_autoptr(GDir) listing = g_dir_open(confd.c_str(), 0, nullptr);
    if (!listing)
        return out;
    while (const char *name = g_dir_read_name(listing))
        if (g_str_has_suffix(name, ".conf"))
            out.push_back(confd + "/" + name);
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<std::string> validate(const Config &config)
{
    if (g_utf8_strlen(config.device_name.c_str(), -1) > 32)
        return "the device name has at most 32 characters";
    if (config.tls && config.tls_certificate.empty() != config.tls_key.empty())
        return "tls_certificate and tls_key are set together or not at all";
    return std::nullopt;
}

} // namespace callbox::config
