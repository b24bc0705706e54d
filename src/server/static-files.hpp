// StaticFiles: serves the web app from one folder; no request path can leave it.
#pragma once

#include <libsoup/soup.h>

#include <optional>
#include <string>

namespace callbox::server {

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
