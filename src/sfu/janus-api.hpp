// JanusApi: a client of Janus's HTTP API (sessions, plugin handles, plugin requests, trickle
// and the long poll for events) on the main loop with libsoup, never blocking it.
#pragma once

#include "protocol/json-reader.hpp"
#include "util/glib-ptr.hpp"

#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace callbox::sfu {

class JanusApi : public std::enable_shared_from_this<JanusApi>
{
public:
    // `url` is the API's base (http://127.0.0.1:8088/janus); a request that takes longer than
    // `timeout_s` fails.
    static std::shared_ptr<JanusApi> create(std::string url, unsigned timeout_s);
    ~JanusApi();
    JanusApi(const JanusApi &) = delete;
    JanusApi &operator=(const JanusApi &) = delete;

    using Done = std::function<void(const std::string &error)>;
    // A plugin's answer: its "data" and any "jsep", or an error (Janus's or the plugin's).
    using PluginReply = std::function<void(const protocol::JsonValue *data,
                                           const protocol::JsonValue *jsep, std::string error)>;
    using Attached = std::function<void(std::uint64_t handle, std::string error)>;
    // An event nobody waits for (webrtcup, hangup, a plugin's own event) for `handle`.
    using EventListener = std::function<void(std::uint64_t handle, const protocol::JsonValue &)>;

    // Makes the session (once) and starts the long poll; `done` gets "" or why not.
    void open(Done done);
    bool is_open() const { return session_ != 0; }
    void attach(const char *plugin, Attached done);
    // A request to the plugin behind `handle` (`body` and `jsep` are JSON objects; `jsep`
    // may be empty). An asynchronous request ("ack") is answered by its event.
    void message(std::uint64_t handle, const std::string &body, const std::string &jsep,
                 PluginReply done);
    // One local ICE candidate for `handle`; an empty `candidate` says there are no more.
    void trickle(std::uint64_t handle, unsigned mline, const std::string &candidate);
    void detach(std::uint64_t handle);
    void set_event_listener(EventListener listener) { events_ = std::move(listener); }
    // The session is gone (Janus stopped, restarted or timed it out): every handle with it.
    void set_lost_listener(Done listener) { lost_ = std::move(listener); }
    const std::string &url() const { return url_; }

private:
    JanusApi(std::string url, unsigned timeout_s);
    using Answer = std::function<void(const protocol::JsonValue *reply, std::string error)>;
    // POSTs `body` (a JSON object, without its transaction) to `path` under the base URL, with
    // `transaction` (a fresh one when empty).
    void post(const std::string &path, std::string body, Answer answer,
              std::string transaction = {});
    void poll();
    void on_event(const protocol::JsonValue &event);
    void lose(const std::string &why);
    std::string next_transaction();

    std::string url_;
    GObjectPtr<SoupSession> session_http_; // requests: fail after the timeout
    GObjectPtr<SoupSession> poll_http_;    // the long poll: Janus answers within 30 s
    GObjectPtr<GCancellable> cancellable_; // cancelled when the client goes
    std::uint64_t session_ = 0;
    bool opening_ = false;
    std::vector<Done> waiting_open_;
    std::uint64_t transactions_ = 0;
    std::map<std::string, PluginReply> pending_; // asynchronous requests by transaction
    EventListener events_;
    Done lost_;
};

} // namespace callbox::sfu
