// callboxd: options and config, wiring of store, rooms and server, signals, sd_notify.
#include "callbox-build.h"
#include "config/config.hpp"
#include "protocol/json-writer.hpp"
#include "rooms/room-registry.hpp"
#include "server/admin-auth.hpp"
#include "server/http-headers.hpp"
#include "server/http-server.hpp"
#include "server/websocket-hub.hpp"
#include "store/chat-store.hpp"

#include <glib-unix.h>
#include <glib.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>
#include <vector>
#if CALLBOX_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif
#if CALLBOX_HAVE_MEDIA
#include "media/media-engine.hpp"
#include <gst/gst.h>
#else
namespace callbox::media {
class MediaEngine; // built without GStreamer: the device takes no calls
}
#endif

using namespace callbox;

namespace {

struct Options {
    char *config_file = nullptr;
    char *check_config = nullptr;
    char *bind = nullptr;
    int port = -1;
    char *data_dir = nullptr;
    char *web_dir = nullptr;
    char *device_name = nullptr;
    gboolean no_tls = FALSE;
    gboolean version = FALSE;
    gboolean hash_password = FALSE;

    ~Options()
    {
        for (char *s : {config_file, check_config, bind, data_dir, web_dir, device_name})
            g_free(s);
    }
};

void notify(const char *state)
{
#if CALLBOX_HAVE_SYSTEMD
    sd_notify(0, state);
#else
    (void)state;
#endif
}

rooms::RoomSettings room_settings(const config::Config &c)
{
    return rooms::RoomSettings{c.device_name, c.max_browsers, c.history_length, c.access_code};
}

server::HubSettings hub_settings(const config::Config &c)
{
    return server::HubSettings{c.ping_interval, c.rate_limit, c.rate_window, c.batch_delay_ms};
}

// The config as the daemon runs with it: defaults, then the file, then the command line.
bool build_config(const Options &o, config::Config &c, std::string &error)
{
    c = config::defaults();
    if (const char *web = g_getenv("CALLBOX_WEB_DIR"))
        c.web_dir = web;
    std::string file = o.config_file ? o.config_file : "";
    if (file.empty() && g_file_test(CALLBOX_CONFIG_FILE, G_FILE_TEST_EXISTS))
        file = CALLBOX_CONFIG_FILE;
    if (!file.empty()) {
        // The main file, then its conf.d/*.conf fragments in name order (board settings).
        std::vector<std::string> files{file};
        for (std::string &fragment : config::fragments(file))
            files.push_back(std::move(fragment));
        for (const std::string &f : files)
            if (auto err = config::load(f, c)) {
                error = err->to_string();
                return false;
            }
    }
    if (o.bind)
        c.listen = o.bind;
    if (o.port >= 0)
        c.port = static_cast<unsigned>(o.port);
    if (o.data_dir)
        c.data_dir = o.data_dir;
    if (o.web_dir)
        c.web_dir = o.web_dir;
    if (o.device_name)
        c.device_name = o.device_name;
    if (o.no_tls)
        c.tls = false;
    if (o.port > 65535) {
        error = "--port takes 0 to 65535";
        return false;
    }
    if (auto why = config::validate(c)) {
        error = *why;
        return false;
    }
    return true;
}

// The address a phone opens: the listening port, on the bound address or else on the
// machine's first LAN address (its .local name when it has none).
std::string join_link(const config::Config &c, const std::vector<std::string> &uris)
{
    int port = static_cast<int>(c.port);
    if (!uris.empty())
        if (g_autoptr(GUri) uri = g_uri_parse(uris.front().c_str(), G_URI_FLAGS_NONE, nullptr))
            port = g_uri_get_port(uri);
    std::string host = c.listen;
    if (host == "::" || host == "*" || host == "0.0.0.0") {
        host = std::string(g_get_host_name()) + ".local";
        ifaddrs *list = nullptr;
        if (getifaddrs(&list) == 0) {
            for (ifaddrs *i = list; i; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
                    (i->ifa_flags & IFF_LOOPBACK))
                    continue;
                char text[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in *>(i->ifa_addr)->sin_addr, text,
                          sizeof text);
                host = text;
                break;
            }
            freeifaddrs(list);
        }
    } else if (host.find(':') != std::string::npos) {
        host = "[" + host + "]";
    }
    return std::string(c.tls ? "https" : "http") + "://" + host + ":" + std::to_string(port) + "/";
}

bool prepare_data_dir(const std::string &dir, std::string &error)
{
    if (g_file_test(dir.c_str(), G_FILE_TEST_EXISTS) &&
        !g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR)) {
        error = "data dir " + dir + " is not a folder";
        return false;
    }
    if (g_mkdir_with_parents(dir.c_str(), 0750) != 0) {
        error = "cannot create data dir " + dir + ": " + g_strerror(errno);
        return false;
    }
    return true;
}

// The media engine as the HTTP API sees it ("off" when media is disabled or not built).
class EngineStatus final : public server::MediaStatus
{
public:
    media::MediaEngine *engine = nullptr;

    const char *state() const override
    {
#if CALLBOX_HAVE_MEDIA
        if (engine)
            return engine->health();
#endif
        return "off";
    }

    std::size_t call_count() const override
    {
#if CALLBOX_HAVE_MEDIA
        if (engine)
            return engine->call_count();
#endif
        return 0;
    }

    bool set_muted(bool audio, bool video, std::string &error) override
    {
#if CALLBOX_HAVE_MEDIA
        if (engine) {
            engine->set_muted(audio, video);
            return true;
        }
#endif
        (void)audio, (void)video;
        error = "media is off on this device";
        return false;
    }

    void write_devices(protocol::JsonWriter &w) const override
    {
#if CALLBOX_HAVE_MEDIA
        if (engine)
            return engine->write_devices(w);
#endif
        w.begin_object().key("cameras").begin_array().end_array();
        w.key("microphones").begin_array().end_array().end_object();
    }

    bool select_device(std::string_view kind, const std::string &id, std::string &error) override
    {
#if CALLBOX_HAVE_MEDIA
        if (engine)
            return engine->select_device(kind, id, error);
#endif
        (void)kind, (void)id;
        error = "media is off on this device";
        return false;
    }

    void write_metrics(std::string &out) const override
    {
        server::append_metric(out, "callbox_calls", "gauge", "Calls with the device.",
                              call_count());
#if CALLBOX_HAVE_MEDIA
        if (engine) {
            server::append_metric(out, "callbox_encoders", "gauge",
                                  "Encoders running (one per codec, shared).",
                                  engine->encoder_count());
            server::append_metric(out, "callbox_encoder_fps", "gauge",
                                  "Frames per second the camera delivers.", engine->capture_fps());
            server::append_metric(out, "callbox_pipeline_restarts_total", "counter",
                                  "Times the shared media pipeline failed and was rebuilt.",
                                  engine->pipeline_restarts());
        }
#endif
    }

    void write(protocol::JsonWriter &w) const override
    {
        w.key("media").begin_object().member("state", state());
        w.key("calls").begin_array();
#if CALLBOX_HAVE_MEDIA
        if (engine) {
            for (const auto &c : engine->calls())
                w.begin_object()
                    .member("peer", std::string_view(c.peer))
                    .member("state", std::string_view(c.state))
                    .member("video_codec", std::string_view(c.video_codec))
                    .member("video_frames_in", c.video_frames_in)
                    .member("audio_buffers_in", c.audio_buffers_in)
                    .member("video_frames_out", c.video_frames_out)
                    .key("clock_latency_ms")
                    .begin_object()
                    .member("median", c.clock_latency_median_ms)
                    .member("p95", c.clock_latency_p95_ms)
                    .member("samples", static_cast<std::uint64_t>(c.clock_latency_samples))
                    .end_object()
                    .key("stats")
                    .begin_object()
                    .member("codec", std::string_view(c.video_codec))
                    .member("bitrate_in_kbps", c.bitrate_in_kbps)
                    .member("bitrate_out_kbps", c.bitrate_out_kbps)
                    .member("rtt_ms", c.rtt_ms >= 0 ? c.rtt_ms : std::nan(""))
                    .member("packet_loss", c.packet_loss)
                    .member("fps_in", c.fps_in)
                    .member("fps_out", c.fps_out)
                    .end_object()
                    .end_object();
        }
#endif
        w.end_array();
#if CALLBOX_HAVE_MEDIA
        if (engine)
            w.member("capturing", engine->capturing())
                .member("encoders", static_cast<std::int64_t>(engine->encoder_count()))
                .member("pipeline_restarts", engine->pipeline_restarts())
                .member("audio_muted", engine->audio_muted())
                .member("video_muted", engine->video_muted())
                .member("idle_screen_frames", engine->idle_frames())
                .member("join_link", std::string_view(engine->join_link()))
                .member("camera", std::string_view(engine->camera()))
                .member("microphone", std::string_view(engine->microphone()));
#endif
        w.end_object();
    }
};

struct Daemon {
    const Options &options;
    config::Config config;
    std::unique_ptr<store::ChatStore> chat;
    std::unique_ptr<server::WebSocketHub> hub;
    std::unique_ptr<rooms::RoomRegistry> registry;
    std::unique_ptr<server::HttpServer> http;
#if CALLBOX_HAVE_MEDIA
    std::unique_ptr<media::MediaEngine> media;
#endif
    EngineStatus media_status;
    GMainLoop *loop = g_main_loop_new(nullptr, FALSE);

    explicit Daemon(const Options &o) : options(o) {}
    ~Daemon()
    {
        http.reset();
#if CALLBOX_HAVE_MEDIA
        media.reset();
#endif
        registry.reset();
        hub.reset();
        g_main_loop_unref(loop);
    }

    bool start(std::string &error)
    {
        if (!prepare_data_dir(config.data_dir, error))
            return false;
        chat = store::ChatStore::open(config.data_dir + "/chat.sqlite3", error);
        if (!chat)
            return false;
        auto files = server::StaticFiles::open(config.web_dir, error);
        if (!files)
            return false;
        hub = std::make_unique<server::WebSocketHub>(hub_settings(config));
        registry = std::make_unique<rooms::RoomRegistry>(*hub, *chat, room_settings(config),
                                                         [] { return g_get_real_time() / 1000; });
        hub->attach(registry.get());
        start_media();
        http = std::make_unique<server::HttpServer>(*hub, *registry, std::move(*files),
                                                    media_status, config.admin_password_hash);
        return http->listen(config, error);
    }

    void start_media()
    {
#if CALLBOX_HAVE_MEDIA
        if (!config.media_enabled)
            return;
        if (const char *dir = g_getenv("CALLBOX_PIPELINES_DIR");
            dir && config.media.pipelines_dir == CALLBOX_PIPELINES_DIR)
            config.media.pipelines_dir = dir;
        gst_init(nullptr, nullptr);
        media = std::make_unique<media::MediaEngine>(config.media, *hub, *registry);
        std::string error;
        if (!media->init(error))
            g_critical("calls with the device will not work: %s", error.c_str());
        registry->set_device_peer(media.get());
        media_status.engine = media.get();
#endif
    }

    // SIGHUP: re-read the config and apply what can change without a restart.
    void reload()
    {
        notify("RELOADING=1");
        config::Config fresh;
        std::string error;
        if (!build_config(options, fresh, error)) {
            g_warning("reload: keeping the running config: %s", error.c_str());
        } else {
            if (fresh.listen != config.listen || fresh.port != config.port ||
                fresh.tls != config.tls || fresh.data_dir != config.data_dir ||
                fresh.web_dir != config.web_dir)
                g_warning("reload: listen address, port, TLS and folders change only on restart");
            config.device_name = fresh.device_name;
            config.max_browsers = fresh.max_browsers;
            config.rate_limit = fresh.rate_limit;
            config.rate_window = fresh.rate_window;
            config.batch_delay_ms = fresh.batch_delay_ms;
            config.history_length = fresh.history_length;
            config.access_code = fresh.access_code;
            config.admin_password_hash = fresh.admin_password_hash;
            http->admin_auth().set_hash(config.admin_password_hash);
            registry->update_settings(room_settings(config));
            hub->update_settings(hub_settings(config));
            show_idle_screen(); // the name may have changed
            g_message("reloaded the config");
        }
        notify("READY=1");
        notify_status();
    }

    void show_idle_screen()
    {
#if CALLBOX_HAVE_MEDIA
        if (media)
            media->show_idle_screen(config.device_name, join_link(config, http->uris()));
#endif
    }

    // STATUS= for systemctl status: what the device is doing right now.
    void notify_status()
    {
        const std::string status = "\"" + config.device_name +
                                   "\": " + std::to_string(hub->size()) + " connected, " +
                                   std::to_string(registry->room_count()) + " rooms, " +
                                   std::to_string(media_status.call_count()) + " calls";
        notify(("STATUS=" + status).c_str());
    }

    void stop()
    {
        notify("STOPPING=1");
#if CALLBOX_HAVE_MEDIA
        // Calls end with a goodbye ("ended") while the sockets are still open.
        registry->set_device_peer(nullptr);
        media_status.engine = nullptr;
        media.reset();
#endif
        hub->close_all(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "the device is shutting down");
        // Give the close frames a moment to leave.
        gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC;
        while (hub->size() > 0 && g_get_monotonic_time() < deadline)
            g_main_context_iteration(nullptr, FALSE);
    }
};

int check_config(const char *file)
{
    config::Config c = config::defaults();
    auto err = config::load(file, c);
    for (const std::string &fragment : err ? std::vector<std::string>{} : config::fragments(file))
        if ((err = config::load(fragment, c)))
            break;
    if (err) {
        std::fprintf(stderr, "%s\n", err->to_string().c_str());
        return 1;
    }
    std::printf("%s: ok\n", file);
    return 0;
}

int print_password_hash()
{
    if (isatty(STDIN_FILENO))
        std::fprintf(stderr, "Admin password (then Enter): ");
    char line[1024];
    if (!std::fgets(line, sizeof line, stdin)) {
        std::fprintf(stderr, "callboxd: no password on standard input\n");
        return 1;
    }
    std::string password(line);
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
        password.pop_back();
    if (password.size() < 6) {
        std::fprintf(stderr, "callboxd: use at least 6 characters\n");
        return 1;
    }
    std::printf("admin_password_hash=%s\n", server::hash_password(password).c_str());
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    Options o;
    const GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config_file,
         "Read the config from FILE (default " CALLBOX_CONFIG_FILE " if it exists)", "FILE"},
        {"check-config", 0, 0, G_OPTION_ARG_FILENAME, &o.check_config,
         "Check FILE, print the first error as FILE:LINE: message, and exit", "FILE"},
        {"bind", 'b', 0, G_OPTION_ARG_STRING, &o.bind, "Listen on ADDR (:: for every address)",
         "ADDR"},
        {"port", 'p', 0, G_OPTION_ARG_INT, &o.port, "Listen on port N (0 picks a free one)", "N"},
        {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &o.data_dir, "Keep chat history in DIR", "DIR"},
        {"web-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.web_dir, "Serve the web app from DIR", "DIR"},
        {"device-name", 0, 0, G_OPTION_ARG_STRING, &o.device_name, "Call the device NAME", "NAME"},
        {"no-tls", 0, 0, G_OPTION_ARG_NONE, &o.no_tls, "Serve plain HTTP (development, tests)",
         nullptr},
        {"hash-password", 0, 0, G_OPTION_ARG_NONE, &o.hash_password,
         "Read an admin password from standard input and print its hash for the config", nullptr},
        {"version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", nullptr},
        {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- the callbox video-call daemon");
    g_option_context_add_main_entries(context, entries, nullptr);
    g_autoptr(GError) error = nullptr;
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        std::fprintf(stderr, "callboxd: %s (see --help)\n", error->message);
        return 2;
    }
    if (o.version) {
        std::printf("callboxd %s\n", CALLBOX_VERSION);
        return 0;
    }
    if (o.check_config)
        return check_config(o.check_config);
    if (o.hash_password)
        return print_password_hash();

    Daemon daemon(o);
    std::string problem;
    if (!build_config(o, daemon.config, problem) || !daemon.start(problem)) {
        std::fprintf(stderr, "callboxd: %s\n", problem.c_str());
        g_critical("cannot start: %s", problem.c_str());
        return 1;
    }

    daemon.show_idle_screen();
    for (const auto &uri : daemon.http->uris())
        std::printf("callboxd: listening on %s\n", uri.c_str());
    std::fflush(stdout);

    auto quit = [](gpointer loop) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop *>(loop));
        return G_SOURCE_CONTINUE;
    };
    g_unix_signal_add(SIGTERM, quit, daemon.loop);
    g_unix_signal_add(SIGINT, quit, daemon.loop);
    g_unix_signal_add(
        SIGHUP,
        [](gpointer d) -> gboolean {
            static_cast<Daemon *>(d)->reload();
            return G_SOURCE_CONTINUE;
        },
        &daemon);

    notify("READY=1");
    daemon.notify_status();
    // The watchdog: ping at half the period systemd gives, with the status, from the main loop
    // (so a stuck loop stops the pings and systemd restarts the daemon).
    guint64 watchdog_us = 0;
#if CALLBOX_HAVE_SYSTEMD
    if (sd_watchdog_enabled(0, &watchdog_us) <= 0)
        watchdog_us = 0;
#endif
    if (watchdog_us > 0)
        g_timeout_add(
            static_cast<guint>(std::max<guint64>(watchdog_us / 2000, 1)),
            [](gpointer d) -> gboolean {
                notify("WATCHDOG=1");
                static_cast<Daemon *>(d)->notify_status();
                return G_SOURCE_CONTINUE;
            },
            &daemon);
    g_main_loop_run(daemon.loop);
    daemon.stop();
    return 0;
}
