// The fuzz targets' one way to report a broken invariant: the reason and the input on stderr, then
// abort.
#pragma once

#include <glib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace callbox::fuzz {

// libFuzzer takes the abort as a crash and keeps the input as BUILD_DIR/crash-*.
[[noreturn]] inline void fail(const char *what, std::string_view input)
{
    std::fprintf(stderr, "invariant broken: %s\ninput (%zu bytes): %.*s\n", what, input.size(),
                 static_cast<int>(std::min<std::size_t>(input.size(), 2000)), input.data());
    std::abort();
}

inline void check(bool ok, const char *what, std::string_view input)
{
    if (!ok)
        fail(what, input);
}

// A GLib critical (a g_return_if_fail() an input reached, in callbox or in a library it calls) is
// a bug too. G_DEBUG=fatal-criticals would stop the fuzzer with SIGTRAP, which libFuzzer does not
// catch, so the input would be lost: this writer aborts instead, and libFuzzer keeps the input.
inline GLogWriterOutput abort_on_critical(GLogLevelFlags level, const GLogField *fields,
                                          gsize n_fields, gpointer)
{
    const GLogWriterOutput out = g_log_writer_default(level, fields, n_fields, nullptr);
    if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
        std::abort();
    return out;
}

// Set before main() in every target that includes this header.
inline const bool criticals_abort =
    (g_log_set_writer_func(abort_on_critical, nullptr, nullptr), true);

} // namespace callbox::fuzz
