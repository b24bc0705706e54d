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

// Whether SIGHUP puts a changed value in force, or only a restart does.
enum class Reload { Live, Restart };

// One key of the file: how to read its value into the struct, and how a reload treats it.
struct Key {
    const char *group;
    const char *name;
    Reload reload;
    std::function<std::optional<std::string>(Config &, const std::string &)> set;
    std::function<bool(const Config &, const Config &)> same;
    std::function<void(Config &, const Config &)> copy;
};

using Parsed = std::optional<std::string>; // why a value is refused, or nothing

Parsed parse_uint(const std::string &text, unsigned min, unsigned max, unsigned &out)
{
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
        return "expected a whole number from " + std::to_string(min) + " to " +
               std::to_string(max) + ", got '" + text + "'";
    out = v;
    return std::nullopt;
}

Parsed parse_bool(const std::string &text, bool &out)
{
    if (text == "true" || text == "yes" || text == "on" || text == "1")
        out = true;
    else if (text == "false" || text == "no" || text == "off" || text == "0")
        out = false;
    else
        return "expected true or false, got '" + text + "'";
    return std::nullopt;
}

Parsed parse_addresses(const std::string &text, std::vector<std::string> &out)
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

// Value parsers: each reads the text of a value into the field it is given.
auto whole_number(unsigned min, unsigned max)
{
    return [min, max](const std::string &v, unsigned &out) {
        return parse_uint(v, min, max, out);
    };
}
auto boolean()
{
    return [](const std::string &v, bool &out) {
        return parse_bool(v, out);
    };
}
auto text(bool may_be_empty = false)
{
    return [may_be_empty](const std::string &v, std::string &out) -> Parsed {
        if (v.empty() && !may_be_empty)
            return "the value must not be empty";
        out = v;
        return std::nullopt;
    };
}
template <typename E> auto choice()
{
    return [](const std::string &v, E &out) -> Parsed {
        if (auto parsed = parse_choice<E>(v)) {
            out = *parsed;
            return std::nullopt;
        }
        std::string all;
        for (std::string_view name : Choices<E>::names)
            all += (all.empty() ? "" : ", ") + std::string(name);
        return "expected one of " + all + ", got '" + v + "'";
    };
}
auto addresses()
{
    return [](const std::string &v, std::vector<std::string> &out) {
        return parse_addresses(v, out);
    };
}
// An http:// or https:// URL (Janus's API), or nothing.
auto http_url()
{
    return [](const std::string &v, std::string &out) -> Parsed {
        if (!v.empty() && !g_str_has_prefix(v.c_str(), "http://") &&
            !g_str_has_prefix(v.c_str(), "https://"))
            return "expected an http:// or https:// URL, got '" + v + "'";
        out = v;
        return std::nullopt;
    };
}
auto ice_urls(bool turn)
{
    return [turn](const std::string &v, std::vector<std::string> &out) -> Parsed {
        out.clear();
        g_auto(GStrv) parts = g_strsplit_set(v.c_str(), ", ", -1);
        for (char **p = parts; *p; ++p) {
            if (!**p)
                continue;
            if (auto why = check_ice_url(*p, turn))
                return why;
            out.emplace_back(*p);
        }
        return std::nullopt;
    };
}
auto password_hash()
{
    return [](const std::string &v, std::string &out) -> Parsed {
        if (!v.empty() && v.rfind("$pbkdf2-sha256$", 0) != 0)
            return "expected a hash printed by callboxd --hash-password";
        out = v;
        return std::nullopt;
    };
}

// Where a key's value lives: a member of Config, or of its [media] part. Each accessor works on
// a Config and on a const Config alike.
template <typename T> auto member(T Config::*m)
{
    return [m](auto &c) -> auto &
    {
        return c.*m;
    };
}
template <typename T> auto ice_member(T IceSettings::*m)
{
    return [m](auto &c) -> auto &
    {
        return c.ice.*m;
    };
}
template <typename T> auto media_member(T MediaSettings::*m)
{
    return [m](auto &c) -> auto &
    {
        return c.media.*m;
    };
}

template <typename Field, typename Parse>
Key key(const char *group, const char *name, Reload reload, Field field, Parse parse)
{
    return {group,
            name,
            reload,
            [field, parse](Config &c, const std::string &v) { return parse(v, field(c)); },
            [field](const Config &a, const Config &b) { return field(a) == field(b); },
            [field](Config &to, const Config &from) {
                field(to) = field(from);
            }};
}
// The media pipeline is built from the settings the engine took at start-up: [media] keys
// apply on restart.
template <typename T, typename Parse>
Key media_key(const char *name, T MediaSettings::*m, Parse parse)
{
    return key("media", name, Reload::Restart, media_member(m), parse);
}

const std::vector<Key> &keys()
{
    using R = Reload;
    using M = MediaSettings;
    static const std::vector<Key> table = {
        key("server", "listen", R::Restart, member(&Config::listen), text()),
        key("server", "port", R::Restart, member(&Config::port), whole_number(0, 65535)),
        key("server", "tls", R::Restart, member(&Config::tls), boolean()),
        key("server", "tls_certificate", R::Restart, member(&Config::tls_certificate), text(true)),
        key("server", "tls_key", R::Restart, member(&Config::tls_key), text(true)),
        key("server", "tls_renew_days", R::Restart, member(&Config::tls_renew_days),
            whole_number(1, 365)),
        key("server", "web_dir", R::Restart, member(&Config::web_dir), text()),
        key("server", "ping_interval", R::Restart, member(&Config::ping_interval),
            whole_number(1, 3600)),
        key("server", "batch_delay_ms", R::Live, member(&Config::batch_delay_ms),
            whole_number(0, 100)),
        key("server", "admin_password_hash", R::Live, member(&Config::admin_password_hash),
            password_hash()),
        key("server", "max_connections", R::Live, member(&Config::max_connections),
            whole_number(1, 100000)),
        key("server", "max_connections_per_address", R::Live,
            member(&Config::max_connections_per_address), whole_number(1, 100000)),
        key("server", "max_connections_per_ipv6_prefix", R::Live,
            member(&Config::max_connections_per_ipv6_prefix), whole_number(1, 100000)),
        key("server", "http_idle_timeout", R::Live, member(&Config::http_idle_timeout),
            whole_number(1, 3600)),
        key("server", "send_queue_kib", R::Live, member(&Config::send_queue_kib),
            whole_number(16, 1048576)),
        key("server", "send_timeout", R::Live, member(&Config::send_timeout),
            whole_number(1, 3600)),
        key("server", "max_body_bytes", R::Live, member(&Config::max_body_bytes),
            whole_number(0, 1048576)),
        key("server", "admin_max_body_bytes", R::Live, member(&Config::admin_max_body_bytes),
            whole_number(256, 1048576)),
        key("server", "guess_free_tries", R::Live, member(&Config::guess_free_tries),
            whole_number(0, 100)),
        key("server", "guess_max_wait", R::Live, member(&Config::guess_max_wait),
            whole_number(1, 3600)),
        key("server", "guess_budget_per_minute", R::Live, member(&Config::guess_budget_per_minute),
            whole_number(1, 100000)),
        key("storage", "data_dir", R::Restart, member(&Config::data_dir), text()),
        key("storage", "history_per_room", R::Live, member(&Config::history_per_room),
            whole_number(1, 1000000)),
        key("storage", "max_history_mb", R::Live, member(&Config::max_history_mb),
            whole_number(1, 1000000)),
        key("device", "name", R::Live, member(&Config::device_name), text()),
        key("rooms", "max_browsers", R::Live, member(&Config::max_browsers),
            whole_number(1, 10000)),
        key("rooms", "rate_limit", R::Live, member(&Config::rate_limit), whole_number(0, 1000000)),
        key("rooms", "rate_window", R::Live, member(&Config::rate_window), whole_number(1, 3600)),
        key("rooms", "history_length", R::Live, member(&Config::history_length),
            whole_number(0, 1000)),
        key("rooms", "access_code", R::Live, member(&Config::access_code), text(true)),
        key("sfu", "janus_url", R::Restart, member(&Config::sfu_janus_url), http_url()),
        key("sfu", "public_url", R::Restart, member(&Config::sfu_public_url), http_url()),
        key("sfu", "mesh_max", R::Restart, member(&Config::sfu_mesh_max), whole_number(1, 64)),
        key("sfu", "max_rooms", R::Restart, member(&Config::sfu_max_rooms), whole_number(1, 64)),
        key("sfu", "timeout", R::Restart, member(&Config::sfu_timeout), whole_number(1, 60)),
        key("sfu", "device_retries", R::Restart, member(&Config::sfu_device_retries),
            whole_number(0, 100)),
        key("ice", "stun", R::Live, ice_member(&IceSettings::stun), ice_urls(false)),
        key("ice", "turn", R::Live, ice_member(&IceSettings::turn), ice_urls(true)),
        key("ice", "turn_username", R::Live, ice_member(&IceSettings::turn_username), text(true)),
        key("ice", "turn_credential", R::Live, ice_member(&IceSettings::turn_credential),
            text(true)),
        key("ice", "turn_secret", R::Live, ice_member(&IceSettings::turn_secret), text(true)),
        key("ice", "turn_credential_lifetime", R::Live,
            ice_member(&IceSettings::turn_credential_lifetime), whole_number(60, 2592000)),
        key("ice", "relay_only", R::Live, ice_member(&IceSettings::relay_only), boolean()),
        key("media", "enabled", R::Restart, member(&Config::media_enabled), boolean()),
        media_key("pipelines_dir", &M::pipelines_dir, text()),
        media_key("video_source", &M::video_source, choice<VideoSource>()),
        media_key("video_device", &M::video_device, text()),
        media_key("audio_source", &M::audio_source, choice<AudioSource>()),
        media_key("audio_device", &M::audio_device, text()),
        media_key("video_sink", &M::video_sink, choice<VideoSink>()),
        media_key("audio_sink", &M::audio_sink, choice<AudioSink>()),
        media_key("audio_sink_device", &M::audio_sink_device, text()),
        media_key("video_encoder", &M::video_encoder, choice<VideoEncoder>()),
        media_key("width", &M::width, whole_number(320, 3840)),
        media_key("height", &M::height, whole_number(240, 2160)),
        media_key("framerate", &M::framerate, whole_number(1, 60)),
        media_key("video_bitrate", &M::video_bitrate, whole_number(100, 20000)),
        media_key("encoder_threads", &M::encoder_threads, whole_number(0, 16)),
        media_key("min_video_bitrate", &M::min_video_bitrate, whole_number(50, 20000)),
        media_key("low_video_bitrate", &M::low_video_bitrate, whole_number(50, 20000)),
        media_key("jitter_ms", &M::jitter_ms, whole_number(0, 2000)),
        media_key("max_calls", &M::max_calls, whole_number(1, 64)),
        media_key("whep_connect_timeout", &M::whep_connect_timeout, whole_number(5, 600)),
        media_key("max_sdp_bytes", &M::max_sdp_bytes, whole_number(1024, 65536)),
        media_key("max_ice_candidates", &M::max_ice_candidates, whole_number(1, 1000)),
        media_key("clock_pattern", &M::clock_pattern, choice<ClockPattern>()),
        media_key("encoders", &M::encoders, choice<Encoders>()),
        media_key("ice_addresses", &M::ice_addresses, addresses()),
        media_key("audio_muted", &M::audio_muted, boolean()),
        media_key("video_muted", &M::video_muted, boolean()),
        media_key("capture_retry_ms", &M::capture_retry_ms, whole_number(50, 60000)),
        media_key("capture_retry_max_ms", &M::capture_retry_max_ms, whole_number(50, 600000)),
        media_key("capture_stall_ms", &M::capture_stall_ms, whole_number(200, 60000)),
        media_key("echo_cancel", &M::echo_cancel, choice<EchoCancel>()),
        media_key("noise_suppression", &M::noise_suppression, boolean()),
        media_key("gain_control", &M::gain_control, boolean()),
        key("media", "room_delay_ms", R::Live, media_member(&M::room_delay_ms),
            whole_number(20, 200)),
        media_key("room_loss_db", &M::room_loss_db, whole_number(6, 20)),
        media_key("room_talker", &M::room_talker, boolean()),
        media_key("audio_clock", &M::audio_clock, choice<ClockPattern>()),
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
    const char *web = g_getenv("CALLBOX_WEB_DIR");
    const char *pipelines = g_getenv("CALLBOX_PIPELINES_DIR");
    c.web_dir = web ? web : CALLBOX_WEB_DIR;
    c.data_dir = CALLBOX_DATA_DIR;
    c.media.pipelines_dir = pipelines ? pipelines : CALLBOX_PIPELINES_DIR;
    return c;
}

std::optional<ConfigError> load(const std::string &path, Config &config)
{
    g_autofree char *contents = nullptr;
    gsize length = 0;
    g_autoptr(GError) error = nullptr;
    if (!g_file_get_contents(path.c_str(), &contents, &length, &error))
        return ConfigError{path, 0, error->message};
    return load_text(path, std::string_view(contents, length), config);
}

std::optional<ConfigError> load_text(const std::string &path, std::string_view text, Config &config)
{
    // g_utf8_validate() with a length also refuses a NUL byte.
    if (!text.empty() && !g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr))
        return ConfigError{path, 0, "the file is not valid UTF-8"};

    // The file is checked line by line, so the first error reported is the first in the
    // file; GKeyFile reads each value (its escapes and all).
    g_autoptr(GError) error = nullptr;
    std::set<std::pair<std::string, std::string>> seen;
    std::string group;
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

std::optional<ConfigError> load_layered(const std::string &main_file, Config &config)
{
    if (auto error = load(main_file, config))
        return error;
    for (const std::string &fragment : fragments(main_file))
        if (auto error = load(fragment, config))
            return error;
    return std::nullopt;
}

std::string join_names(const std::vector<std::string> &names)
{
    std::string out;
    for (const std::string &n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

ReloadResult apply_live(Config &running, const Config &fresh)
{
    ReloadResult result;
    for (const Key &k : keys()) {
        if (k.same(running, fresh))
            continue;
        const std::string name = std::string("[") + k.group + "] " + k.name;
        if (k.reload == Reload::Live) {
            k.copy(running, fresh);
            result.applied.push_back(name);
        } else {
            result.need_restart.push_back(name);
        }
    }
    return result;
}

std::optional<std::string> validate(const Config &config)
{
    if (g_utf8_strlen(config.device_name.c_str(), -1) > 32)
        return "the device name has at most 32 characters";
    if (config.tls && config.tls_certificate.empty() != config.tls_key.empty())
        return "tls_certificate and tls_key are set together or not at all";
    if (config.history_per_room < config.history_length)
        return "[storage] history_per_room (" + std::to_string(config.history_per_room) +
               ") must be at least [rooms] history_length (" +
               std::to_string(config.history_length) + "): a join replays that many";
    if (!config.ice.turn.empty() && config.ice.turn_secret.empty() &&
        (config.ice.turn_username.empty() || config.ice.turn_credential.empty()))
        return "[ice] turn needs turn_secret, or turn_username and turn_credential";
    if (config.ice.relay_only && config.ice.turn.empty())
        return "[ice] relay_only needs a TURN server in [ice] turn";
    return std::nullopt;
}

} // namespace callbox::config
