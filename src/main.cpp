// callboxd: options, config, wiring of store, rooms, server and media, signals, sd_notify.
#include "callbox-build.h"
#include "config/config.hpp"
#include "media/device-media.hpp"
#include "rooms/chat-clock.hpp"
#include "rooms/room-registry.hpp"
#include "server/http-server.hpp"
#include "server/password-hash.hpp"
#include "server/websocket-hub.hpp"
#include "sfu/room-handoff.hpp"
#include "store/chat-store.hpp"
#include "store/data-dir.hpp"

#include <glib-unix.h>
#include <glib.h>

#include <algorithm>
#include <cstdio>
#if CALLBOX_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
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
    gboolean self_test = FALSE;
    char *render_idle_text = nullptr;

    ~Options()
    {
        for (char *s :
             {config_file, check_config, bind, data_dir, web_dir, device_name, render_idle_text})
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
    return rooms::RoomSettings{
        c.device_name, c.max_browsers, c.history_length, c.access_code,
        rooms::GuessPolicy{c.guess_free_tries, c.guess_max_wait, c.guess_budget_per_minute}};
}

store::ChatStore::Limits store_limits(const config::Config &c)
{
    return {c.history_per_room, std::uint64_t{c.max_history_mb} * 1024 * 1024};
}

server::HubSettings hub_settings(const config::Config &c)
{
    return server::HubSettings{c.ping_interval,
                               c.rate_limit,
                               c.rate_window,
                               c.batch_delay_ms,
                               std::size_t{c.send_queue_kib} * 1024,
                               c.send_timeout};
}

// The config as the daemon runs with it: defaults, then the file and its fragments, then
// the command line.
bool build_config(const Options &o, config::Config &c, std::string &error)
{
    c = config::defaults();
    std::string file = o.config_file ? o.config_file : "";
    if (file.empty() && g_file_test(CALLBOX_CONFIG_FILE, G_FILE_TEST_EXISTS))
        file = CALLBOX_CONFIG_FILE;
    if (!file.empty())
        if (auto err = config::load_layered(file, c)) {
            error = err->to_string();
            return false;
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

struct Daemon {
    const Options &options;
    config::Config config;
    std::unique_ptr<store::ChatStore> chat;
    std::unique_ptr<server::WebSocketHub> hub;
    std::unique_ptr<rooms::RoomRegistry> registry;
    std::unique_ptr<server::MediaControl> media;
    std::unique_ptr<server::HttpServer> http;
    std::unique_ptr<sfu::RoomHandoff> sfu;
    GMainLoop *loop = g_main_loop_new(nullptr, FALSE);

    explicit Daemon(const Options &o) : options(o) {}
    ~Daemon()
    {
        http.reset();
        sfu.reset(); // before the media and rooms it uses
        media.reset();
        registry.reset();
        chat.reset(); // before the hub, whose group commit it may be in
        hub.reset();
        g_main_loop_unref(loop);
    }

    bool start(std::string &error)
    {
        if (!store::prepare_data_dir(config.data_dir, error))
            return false;
        chat = store::ChatStore::open(config.data_dir + "/chat.sqlite3", error);
        if (!chat)
            return false;
        chat->set_limits(store_limits(config));
        auto files = server::StaticFiles::open(config.web_dir, error);
        if (!files)
            return false;
        hub = std::make_unique<server::WebSocketHub>(hub_settings(config));
        registry = std::make_unique<rooms::RoomRegistry>(
            *hub, *chat, room_settings(config),
            [clock = rooms::ChatClock(chat->newest_ts())]() mutable {
                return clock.stamp(g_get_real_time() / 1000, g_get_monotonic_time());
            });
        hub->attach(registry.get());
        chat->set_group_commit(&hub->group_commit());
        if (!(media = media::start_media(config, *hub, *registry, error)))
            return false;
        http = std::make_unique<server::HttpServer>(*hub, *registry, std::move(*files), *media,
                                                    config);
        http->set_sfu((sfu = sfu::start_handoff(config, *hub, *registry, *media)).get());
        return http->listen(config, error);
    }

    // Puts the running config in force in every part that takes changes live.
    void apply_config()
    {
        http->apply_config(config);
        media->set_room_delay(config.media.room_delay_ms);
        chat->set_limits(store_limits(config));
        registry->update_settings(room_settings(config));
        hub->update_settings(hub_settings(config));
        show_idle_screen();
    }

    void show_idle_screen()
    {
        media->show_idle_screen(config.device_name, http->join_link(), http->tls_fingerprint());
    }

    // SIGHUP: re-read the config and apply what the key table marks as live.
    void reload()
    {
        notify("RELOADING=1");
        config::Config fresh;
        std::string error;
        if (!build_config(options, fresh, error)) {
            g_warning("reload: keeping the running config: %s", error.c_str());
        } else {
            const config::ReloadResult result = config::apply_live(config, fresh);
            if (!result.need_restart.empty())
                g_warning("reload: %s change only on restart",
                          config::join_names(result.need_restart).c_str());
            apply_config();
            g_message("reloaded the config%s%s", result.applied.empty() ? "" : ": ",
                      config::join_names(result.applied).c_str());
        }
        notify("READY=1");
        notify_status();
    }

    // STATUS= for systemctl status: what the device is doing right now.
    void notify_status()
    {
        const std::string status = "\"" + config.device_name +
                                   "\": " + std::to_string(hub->size()) + " connected, " +
                                   std::to_string(registry->room_count()) + " rooms, " +
                                   std::to_string(media->call_count()) + " calls";
        notify(("STATUS=" + status).c_str());
    }

    void stop()
    {
        notify("STOPPING=1");
        // Calls end with a goodbye ("ended") while the sockets are still open.
        media->shut_down();
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
    if (auto err = config::load_layered(file, c)) {
        std::fprintf(stderr, "%s\n", err->to_string().c_str());
        return 1;
    }
    std::printf("%s: ok\n", file);
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    // libsoup 3.2 serves HTTP/2 only with this set; the request limits watch HTTP/1.1
    // (server/request-limits.hpp), so it stays off.
    g_unsetenv("SOUP_SERVER_HTTP2");
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
        {"self-test", 0, 0, G_OPTION_ARG_NONE, &o.self_test,
         "Try the camera, microphone, speaker, screen and encoders; print a table", nullptr},
        {"version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", nullptr},
        {"render-idle-text", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &o.render_idle_text,
         "The idle screen's helper: DIR -- WIDTH HEIGHT TEXT", "DIR"},
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
        return server::print_password_hash_from_stdin();
    if (o.render_idle_text) {
        std::vector<std::string> args(argv + 1, argv + argc);
        if (!args.empty() && args.front() == "--")
            args.erase(args.begin());
        return media::run_render_idle_text(o.render_idle_text, args);
    }
    std::string problem;
    if (o.self_test) {
        config::Config c;
        if (build_config(o, c, problem))
            return media::run_self_test_command(c);
        std::fprintf(stderr, "callboxd: %s\n", problem.c_str());
        return 2;
    }

    Daemon daemon(o);
    if (!build_config(o, daemon.config, problem) || !daemon.start(problem)) {
        std::fprintf(stderr, "callboxd: %s\n", problem.c_str());
        g_critical("cannot start: %s", problem.c_str());
        return 1;
    }

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
    // Said once SIGTERM is handled: a stop right after the start is a clean exit too.
    daemon.show_idle_screen();
    for (const auto &uri : daemon.http->uris())
        std::printf("callboxd: listening on %s\n", uri.c_str());
    std::fflush(stdout);

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
