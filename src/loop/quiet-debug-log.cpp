// g_log() for callboxd: libsoup's debug messages that GLib would drop are dropped before they are
// formatted.
//
// libsoup calls g_debug() about twice for every WebSocket frame. GLib 2.74's g_logv() formats
// each message (vasprintf), takes a mutex and reads G_MESSAGES_DEBUG before its default
// handler drops it: 17 % of callboxd's CPU under chat load. callboxd therefore defines g_log()
// itself, and the dynamic linker binds libsoup's calls to it (the executable comes first in
// symbol lookup; the symbol is exported with --export-dynamic-symbol, see src/meson.build).
//
// A debug message of the "libsoup" domain returns at once when GLib's default writer would
// drop it: G_MESSAGES_DEBUG (read once, at the first such message) names neither libsoup nor
// "all", and g_log_set_debug_enabled() is off. callboxd installs no log handler or writer, so
// that is exactly when GLib drops it. Every other message goes to g_logv() unchanged.
#include <glib.h>

#include <cstring>

extern "C" void g_log(const gchar *log_domain, GLogLevelFlags log_level, const gchar *format, ...)
{
    if ((log_level & G_LOG_LEVEL_MASK) == G_LOG_LEVEL_DEBUG && log_domain &&
        std::strcmp(log_domain, "libsoup") == 0 && !g_log_get_debug_enabled()) {
        static const bool wanted = !g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, "libsoup");
        if (!wanted)
            return;
    }
    va_list args;
    va_start(args, format);
    g_logv(log_domain, log_level, format, args);
    va_end(args);
}
