// StaticFiles: percent-decoding, dot-segment and symlink checks, content types.
#include "server/static-files.hpp"

#include "server/http-headers.hpp"
#include "util/glib-ptr.hpp"

#include <climits>
#include <cstdlib>
#include <string_view>
#include <sys/stat.h>

namespace callbox::server {

namespace {

const char *content_type(std::string_view path)
{
    static constexpr std::pair<std::string_view, const char *> types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    for (const auto &[ext, type] : types)
        if (path.ends_with(ext))
            return type;
    return "application/octet-stream";
}

std::optional<std::string> canonical(const std::string &path)
{
    char buf[PATH_MAX];
    if (!realpath(path.c_str(), buf))
        return std::nullopt;
    return std::string(buf);
}

} // namespace

std::optional<StaticFiles> StaticFiles::open(const std::string &root, std::string &error)
{
    auto real = canonical(root);
    if (!real || !g_file_test(real->c_str(), G_FILE_TEST_IS_DIR)) {
        error = "web app folder " + root + " does not exist";
        return std::nullopt;
    }
    return StaticFiles(*real);
}

std::optional<std::string> request_relative_path(const char *request_path)
{
    // An encoded '/' or NUL makes this NULL: such paths are refused.
    GCharPtr decoded(g_uri_unescape_string(request_path, "/"));
    if (!decoded || decoded.get()[0] != '/')
        return std::nullopt;
    std::string relative;
    std::string_view rest(decoded.get());
    while (!rest.empty()) {
        std::size_t slash = rest.find('/');
        std::string_view segment = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (segment.empty())
            continue;
        if (segment.front() == '.' || segment.find('\\') != std::string_view::npos)
            return std::nullopt; // "..", ".", hidden files
        relative += '/';
        relative += segment;
    }
    return relative;
}

std::optional<std::string> StaticFiles::resolve(const char *request_path) const
{
    auto relative = request_relative_path(request_path);
    if (!relative)
        return std::nullopt;
    std::string candidate = root_ + *relative;
    if (g_file_test(candidate.c_str(), G_FILE_TEST_IS_DIR))
        candidate += "/index.html";
    auto real = canonical(candidate);
    if (!real || !real->starts_with(root_ + "/"))
        return std::nullopt; // missing, or a symlink that points out of the web app
    struct stat st;
    if (stat(real->c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return std::nullopt;
    return real;
}

void StaticFiles::serve(SoupServerMessage *msg, const char *path) const
{
    const char *method = soup_server_message_get_method(msg);
    if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                     "GET, HEAD");
        return respond_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    auto file = resolve(path);
    char *data = nullptr;
    gsize length = 0;
    if (!file || !g_file_get_contents(file->c_str(), &data, &length, nullptr))
        return respond_text(msg, SOUP_STATUS_NOT_FOUND, "not found\n");
    auto *headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(headers, "Cache-Control", "no-cache");
    soup_server_message_set_response(msg, content_type(*file), SOUP_MEMORY_TAKE, data, length);
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

} // namespace callbox::server
