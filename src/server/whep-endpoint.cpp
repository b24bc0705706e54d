// WHEP over libsoup: method, token and content-type checks, the paused POST that waits for the
// device's answer (with its candidates), the Location and the ICE servers' Link headers.
#include "server/whep-endpoint.hpp"

#include "server/client-address.hpp"
#include "server/held-message.hpp"
#include "server/http-headers.hpp"
#include "util/glib-ptr.hpp"

#include <memory>
#include <optional>

namespace callbox::server {

namespace {

void respond_error(SoupServerMessage *msg, guint status, const std::string &why)
{
    const std::string text = why + "\n";
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                     text.data(), text.size());
    soup_server_message_set_status(msg, status, nullptr);
}

void retry_after(SoupServerMessage *msg, std::int64_t seconds)
{
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
                                 std::to_string(seconds).c_str());
}

bool content_type_is(SoupServerMessage *msg, const char *type)
{
    const char *got = soup_message_headers_get_content_type(
        soup_server_message_get_request_headers(msg), nullptr);
    return got && g_ascii_strcasecmp(got, type) == 0;
}

std::string body_of(SoupServerMessage *msg)
{
    g_autoptr(GBytes) bytes = soup_message_body_flatten(soup_server_message_get_request_body(msg));
    gsize size = 0;
    const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
    return std::string(data ? data : "", size);
}

// Link: <url>; rel="ice-server"[; username=…; credential=…] (RFC 9725, section 4.6).
void add_ice_links(SoupServerMessage *msg, const config::IceSettings &ice, std::string_view who)
{
    auto *headers = soup_server_message_get_response_headers(msg);
    for (const auto &server : config::ice_servers(ice, who, g_get_real_time() / G_USEC_PER_SEC))
        for (const std::string &url : server.urls) {
            std::string link = "<" + url + ">; rel=\"ice-server\"";
            if (!server.username.empty())
                link += "; username=\"" + server.username + "\"; credential=\"" +
                        server.credential + "\"; credential-type=\"password\"";
            soup_message_headers_append(headers, "Link", link.c_str());
        }
}

} // namespace

bool WhepEndpoint::authorized(SoupServerMessage *msg)
{
    const char *header =
        soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
    std::optional<std::string> token;
    if (header && g_ascii_strncasecmp(header, "Bearer ", 7) == 0)
        token = std::string(header + 7);
    const auto check = registry_.check_access_code(guess_bucket(msg), token);
    using V = rooms::RoomRegistry::CodeCheck;
    if (check.verdict == V::Ok)
        return true;
    if (check.verdict == V::Wait) {
        retry_after(msg, (check.wait_ms + 999) / 1000);
        respond_error(msg, 429, "too many wrong access codes; try again later");
        return false;
    }
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "WWW-Authenticate",
                                 "Bearer realm=\"callbox\"");
    respond_error(msg, SOUP_STATUS_UNAUTHORIZED,
                  check.verdict == V::Wrong
                      ? "that access code is wrong"
                      : "this device needs its access code as the Bearer token");
    return false;
}

void WhepEndpoint::handle(SoupServerMessage *msg, std::string_view path)
{
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                                 "no-store");
    const std::string_view method = soup_server_message_get_method(msg);
    const bool session = path != "/whep";
    const bool allowed = session ? method == "PATCH" || method == "DELETE" : method == "POST";
    if (!allowed) {
        soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                     session ? "PATCH, DELETE" : "POST");
        return respond_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                             session ? "a WHEP session takes PATCH and DELETE"
                                     : "send the SDP offer with POST");
    }
    if (!authorized(msg))
        return;
    if (!session)
        return start(msg);
    const std::string resource(path.substr(6));
    if (method == "DELETE") {
        if (!media_.whep_end(resource))
            return respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such WHEP session");
        return soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    }
    if (!content_type_is(msg, "application/trickle-ice-sdpfrag"))
        return respond_error(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                             "send candidates as Content-Type: application/trickle-ice-sdpfrag");
    std::string why;
    const unsigned status = media_.whep_patch(resource, body_of(msg), why);
    if (status >= 400)
        return respond_error(msg, status, why);
    soup_server_message_set_status(msg, status, nullptr);
}

void WhepEndpoint::start(SoupServerMessage *msg)
{
    if (!content_type_is(msg, "application/sdp"))
        return respond_error(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                             "send the offer as Content-Type: application/sdp");
    const std::string offer = body_of(msg);
    if (offer.empty())
        return respond_error(msg, SOUP_STATUS_BAD_REQUEST, "the body must be an SDP offer");
    GCharPtr uuid(g_uuid_string_random());
    const std::string resource = uuid.get();
    auto pending = std::make_shared<HeldMessage>(msg);
    const config::IceSettings ice = ice_;
    media_.whep_offer(resource, offer, [pending, resource, ice](WhepReply reply) {
        if (pending->gone())
            return; // the call ends by itself when nobody connects
        SoupServerMessage *m = pending->get();
        if (reply.status == SOUP_STATUS_CREATED) {
            soup_message_headers_replace(soup_server_message_get_response_headers(m), "Location",
                                         ("/whep/" + resource).c_str());
            add_ice_links(m, ice, "whep-" + resource.substr(0, 8));
            soup_server_message_set_response(m, "application/sdp", SOUP_MEMORY_COPY,
                                             reply.answer.data(), reply.answer.size());
            soup_server_message_set_status(m, SOUP_STATUS_CREATED, nullptr);
        } else {
            if (reply.retry_after_s)
                retry_after(m, reply.retry_after_s);
            respond_error(m, reply.status, reply.message);
        }
        pending->finish();
    });
    pending->hold();
}

} // namespace callbox::server
