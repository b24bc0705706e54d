// StaticFiles: serves the web app from one folder; no request path can leave it.
#pragma once

#include <libsoup/soup.h>

#include <optional>
#include <string>

namespace callbox::server {

// The part of a request path that names a file under the web root, percent-decoded, with empty
// segments dropped: "/" → "", "/a//b%20c.js" → "/a/b c.js". Nothing when the path is refused: it
// does not start with '/', has an encoded '/' or NUL, a segment that starts with '.' ("..", ".",
// hidden files) or a backslash. Touches no file.
std::optional<std::string> request_relative_path(const char *request_path);

class StaticFiles
{
public:
    // Fails (with a message) when `root` is not a readable folder.
    static std::optional<StaticFiles> open(const std::string &root, std::string &error);

    void serve(SoupServerMessage *msg, const char *path) const;

    // The file under the root that `request_path` names, or nothing when it would escape.
    std::optional<std::string> resolve(const char *request_path) const;

private:
    explicit StaticFiles(std::string root) : root_(std::move(root)) {}
    std::string root_; // canonical, without a trailing slash
};

} // namespace callbox::server
