// HttpServer: the libsoup server — /ws, the JSON API and the web app, on one port.
#pragma once

#include "config/config.hpp"
#include "rooms/room-registry.hpp"
#include "server/admin-auth.hpp"
#include "server/connection-gate.hpp"
#include "server/media-control.hpp"
#include "server/request-limits.hpp"
#include "server/sfu-control.hpp"
#include "server/static-files.hpp"
#include "server/tls-identity.hpp"
#include "server/websocket-hub.hpp"
#include "server/whep-endpoint.hpp"
#include "util/glib-ptr.hpp"

#include <libsoup/soup.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace callbox::server {

class HttpServer
{
public:
    HttpServer(WebSocketHub &hub, rooms::RoomRegistry &registry, StaticFiles files,
               MediaControl &media, const config::Config &config);
    ~HttpServer();

    // Puts the keys that apply live in force: the admin password, body limits, back-off,
    // and the connection limits and HTTP idle timeout for connections accepted from now on.
    void apply_config(const config::Config &config);

    // Listens where the config says; false with a message when it cannot.
    bool listen(const config::Config &config, std::string &error);
    std::size_t connections() const { return gate_.open(); }
    std::uint64_t connections_refused() const { return refused_; }
    std::vector<std::string> uris() const;
    // The address a phone opens: the listening port, on the bound address or else on the
    // machine's first LAN address (its .local name when it has none).
    std::string join_link() const;
    // The SHA-256 fingerprint of the certificate it serves ("AB:CD:…"; empty without TLS).
    const std::string &tls_fingerprint() const { return tls_fingerprint_; }
    // The SFU hand-off, for /api/status and the admin's "large" action (null: none).
    void set_sfu(SfuControl *sfu) { sfu_ = sfu; }

private:
    void route(SoupServerMessage *msg, const char *path);
    void health(SoupServerMessage *msg);
    void status(SoupServerMessage *msg);
    // /admin, /api/status and /api/admin/... once the admin's credentials are accepted.
    void admin_route(SoupServerMessage *msg, std::string_view path);
    void admin_action(SoupServerMessage *msg, std::string_view action);
    void metrics(SoupServerMessage *msg);
    void self_test(SoupServerMessage *msg); // POST /api/admin/self-test
    // Loads the certificate (the device's own, made or renewed first when needed).
    bool load_certificate(TlsFiles files, std::string &error);
    // Each minute: a wall-clock jump, or an hour gone by, checks the own certificate.
    void check_clock();
    bool allowed_origin(SoupServerMessage *msg) const;
    // Once a request's headers are in: one request per connection (bodies are bounded by
    // RequestLimits).
    void admit_request(SoupServerMessage *msg) const;
    void incoming(GSocketConnection *connection);
    void hand_over(GIOStream *stream, GSocketAddress *local, GSocketAddress *remote);
    void note_refusal(const ConnectionGate::Client &client, ConnectionGate::Verdict why);
    static void connection_gone(gpointer self, GObject *connection);
    // An admin request that changes something (any method but GET and HEAD) comes from the
    // device's own pages and carries JSON; false with 403 or 415 set when it does not.
    bool admin_write_allowed(SoupServerMessage *msg) const;

    WebSocketHub &hub_;
    rooms::RoomRegistry &registry_;
    StaticFiles files_;
    MediaControl &media_;
    SfuControl *sfu_ = nullptr;
    std::string sfu_origin_; // where the web app may reach Janus ([sfu] public_url or janus_url)
    std::string listen_;     // as configured
    bool tls_ = false;
    std::string tls_fingerprint_;
    AdminAuth admin_;
    RequestLimits request_limits_;
    GObjectPtr<SoupServer> server_;
    std::int64_t started_us_;
    GObjectPtr<GCancellable> cancel_; // TLS handshakes under way
    GObjectPtr<GSocketService> service_;
    GObjectPtr<GTlsCertificate> certificate_; // null: plain HTTP
    bool own_certificate_ = false;            // self-signed under tls_dir_ (renewed as needed)
    std::string tls_dir_;
    std::string device_name_;
    unsigned renew_days_ = 30;
    SourceId clock_check_;
    std::int64_t last_wall_us_ = 0, last_mono_us_ = 0, last_renewal_check_us_ = 0;
    static constexpr std::int64_t kClockJumpUs = std::int64_t{300} * G_USEC_PER_SEC; // 5 minutes
    std::vector<std::string> uris_;
    config::IceSettings ice_; // [ice], for `joined` and the device's calls
    WhepEndpoint whep_;
    ConnectionGate gate_;
    ConnectionLimits limits_;
    unsigned idle_timeout_ = 30;
    std::unordered_map<GObject *, ConnectionGate::Client> open_; // accepted, not yet gone
    std::uint64_t refused_ = 0;
    std::uint64_t refusals_unlogged_ = 0;
    std::int64_t refusal_logged_us_ = 0;
};

} // namespace callbox::server
