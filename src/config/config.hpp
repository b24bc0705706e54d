// Config: callbox.conf (a GKeyFile) → one validated struct, with errors that name FILE:LINE.
#pragma once

#include "config/ice-settings.hpp"
#include "config/media-settings.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callbox::config {

struct Config {
    // [server]
    std::string listen = "::"; // every address, IPv4 and IPv6
    unsigned port = 8443;
    bool tls = true;
    std::string tls_certificate; // PEM files; generated under data_dir when empty
    std::string tls_key;
    unsigned tls_renew_days = 30; // the own certificate is made anew this close to its end
    std::string web_dir;
    unsigned ping_interval = 15;     // seconds between WebSocket pings
    unsigned batch_delay_ms = 20;    // longest wait for a batch under heavy chat load; 0 = none
    std::string admin_password_hash; // from callboxd --hash-password; empty: admin pages off
    // Bounds on what one LAN host can hold (docs/configuration.md, "Connections and queues").
    unsigned max_connections = 256;                 // TCP connections in all, HTTP and WebSocket
    unsigned max_connections_per_address = 32;      // from one IP address
    unsigned max_connections_per_ipv6_prefix = 128; // from one IPv6 /64
    unsigned http_idle_timeout = 30;      // s a connection that is not a WebSocket may stay silent
    unsigned send_queue_kib = 256;        // waiting for a WebSocket peer before it is closed (1008)
    unsigned send_timeout = 30;           // s a peer's socket may refuse more before it is closed
    unsigned max_body_bytes = 1024;       // request bodies, any path but the admin API
    unsigned admin_max_body_bytes = 4096; // request bodies of /api/admin/...
    // The back-off after wrong access codes and admin passwords (each has its own counts).
    unsigned guess_free_tries = 3;         // wrong guesses per client bucket before it waits
    unsigned guess_max_wait = 60;          // seconds: the longest wait of one bucket
    unsigned guess_budget_per_minute = 30; // wrong guesses a minute, all clients, before slow mode
    // [storage]
    std::string data_dir;
    unsigned history_per_room = 1000; // chat messages kept per room; older ones are deleted
    unsigned max_history_mb = 64;     // chat database pages in use; past it chat is storage-full
    // [device]
    std::string device_name = "callbox";
    // [rooms]
    unsigned max_browsers = 8;
    unsigned rate_limit = 20; // messages a second per connection; 0 = no limit
    unsigned rate_window = 5; // seconds the rate is averaged over
    unsigned history_length = 50;
    std::string access_code;
    // [sfu] the hand-off of large rooms to a Janus VideoRoom (docs/sfu.md)
    std::string sfu_janus_url;  // Janus's HTTP API as callboxd reaches it; empty: rooms only mesh
    std::string sfu_public_url; // as the browsers reach it; empty: the same as janus_url
    unsigned sfu_mesh_max = 4;  // browsers a room meshes; one more moves it to Janus
    unsigned sfu_max_rooms = 2; // rooms on Janus at once (the device publishes once into each)
    unsigned sfu_timeout = 5;   // seconds a request to Janus may take before it counts as failed
    unsigned sfu_device_retries = 3; // the device publishes again after a failure, this often
    // [ice]: STUN and TURN servers for the device and the browsers (applied to new calls)
    IceSettings ice;
    // [media]
    bool media_enabled = true;
    media::MediaSettings media;
};

struct ConfigError {
    std::string file;
    int line = 0; // 0 when the error is about the whole file
    std::string message;

    std::string to_string() const;
};

// The defaults: the installed web app, pipelines and state directory (the web app and
// pipelines from $CALLBOX_WEB_DIR and $CALLBOX_PIPELINES_DIR when set: an uninstalled run).
Config defaults();

// Reads `path` over `config`; the first error, if any, is returned and `config` is unusable.
std::optional<ConfigError> load(const std::string &path, Config &config);

// The same for a file's contents `text`; `path` only names the file in errors.
std::optional<ConfigError> load_text(const std::string &path, std::string_view text,
                                     Config &config);

// Reads `main_file`, then its conf.d/*.conf fragments in name order (board settings), over
// `config`; the first error, if any.
std::optional<ConfigError> load_layered(const std::string &main_file, Config &config);

// The fragments that follow `main_file`: <its dir>/conf.d/*.conf, in name order.
std::vector<std::string> fragments(const std::string &main_file);

// Checks values that come from anywhere (file or command line).
std::optional<std::string> validate(const Config &config);

// What a reload (SIGHUP) did: each key is "[group] name".
struct ReloadResult {
    std::vector<std::string> applied;      // changed, and now in force
    std::vector<std::string> need_restart; // changed, but in force only after a restart
};

// "[a] x, [b] y": key names for a log line.
std::string join_names(const std::vector<std::string> &names);

// Copies into `running` each key of `fresh` that differs and that the key table marks as
// applied live (the device name, limits, access code, admin password, ...).
ReloadResult apply_live(Config &running, const Config &fresh);

} // namespace callbox::config
