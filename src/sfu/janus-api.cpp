// JanusApi: each request is one libsoup message with a transaction id; replies and events are
// read with the strict JSON reader; asynchronous plugin answers are matched by transaction.
#include "sfu/janus-api.hpp"

#include "protocol/json-writer.hpp"

namespace callbox::sfu {

using protocol::JsonValue;

namespace {

// Janus answers the long poll after at most 30 s with a keepalive.
constexpr unsigned kPollTimeoutS = 45;

std::string janus_error(const JsonValue &reply)
{
    const JsonValue *error = reply.get("error");
    const JsonValue *reason = error ? error->get("reason") : nullptr;
    return reason && reason->is(JsonValue::Type::String) ? "Janus: " + reason->string
                                                         : "Janus refused the request";
}

std::uint64_t id_of(const JsonValue *v)
{
    return v && v->is(JsonValue::Type::Number) && v->is_integer && v->integer > 0
               ? static_cast<std::uint64_t>(v->integer)
               : 0;
}

// The plugin's part of a reply: plugindata.data, or why the plugin refused.
const JsonValue *plugin_data(const JsonValue &reply, std::string &error)
{
    const JsonValue *pd = reply.get("plugindata");
    const JsonValue *data = pd ? pd->get("data") : nullptr;
    if (!data || !data->is(JsonValue::Type::Object)) {
        error = "Janus's answer has no plugin data";
        return nullptr;
    }
    if (const JsonValue *e = data->get("error"); e && e->is(JsonValue::Type::String)) {
        error = "Janus: " + e->string;
        return nullptr;
    }
    return data;
}

struct Request {
    std::weak_ptr<JanusApi> api;
    GObjectPtr<SoupMessage> message;
    std::function<void(JanusApi &, GBytes *, std::string)> done;
};

} // namespace

std::shared_ptr<JanusApi> JanusApi::create(std::string url, unsigned timeout_s)
{
    return std::shared_ptr<JanusApi>(new JanusApi(std::move(url), timeout_s));
}

JanusApi::JanusApi(std::string url, unsigned timeout_s)
    : url_(std::move(url)), session_http_(adopt(soup_session_new_with_options(
                                "timeout", timeout_s, "idle-timeout", timeout_s, nullptr))),
      poll_http_(adopt(soup_session_new_with_options("timeout", kPollTimeoutS, nullptr))),
      cancellable_(adopt(g_cancellable_new()))
{
    while (!url_.empty() && url_.back() == '/')
        url_.pop_back();
}

JanusApi::~JanusApi()
{
    // The session ends when Janus misses its long poll (60 s); tell it now, if the loop runs.
    if (session_ != 0) {
        GObjectPtr<SoupMessage> msg =
            adopt(soup_message_new("POST", (url_ + "/" + std::to_string(session_)).c_str()));
        if (msg) {
            const std::string body = R"({"janus":"destroy","transaction":"bye"})";
            GBytes *bytes = g_bytes_new(body.data(), body.size());
            soup_message_set_request_body_from_bytes(msg.get(), "application/json", bytes);
            g_bytes_unref(bytes);
            soup_session_send_async(session_http_.get(), msg.get(), G_PRIORITY_DEFAULT, nullptr,
                                    nullptr, nullptr);
        }
    }
    g_cancellable_cancel(cancellable_.get());
}

std::string JanusApi::next_transaction()
{
    return "cb" + std::to_string(++transactions_);
}

namespace {

void send(SoupSession *session, GCancellable *cancellable, Request *request)
{
    soup_session_send_and_read_async(
        session, request->message.get(), G_PRIORITY_DEFAULT, cancellable,
        [](GObject *source, GAsyncResult *result, gpointer data) {
            std::unique_ptr<Request> req(static_cast<Request *>(data));
            GError *raw = nullptr;
            GBytes *bytes = soup_session_send_and_read_finish(SOUP_SESSION(source), result, &raw);
            Owned<GError, g_error_free> error(raw);
            Owned<GBytes, g_bytes_unref> owned(bytes);
            std::shared_ptr<JanusApi> api = req->api.lock();
            if (!api || (error && g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_CANCELLED)))
                return;
            std::string why;
            const guint status = soup_message_get_status(req->message.get());
            if (error)
                why = error->message;
            else if (status != SOUP_STATUS_OK)
                why = "HTTP " + std::to_string(status);
            req->done(*api, why.empty() ? bytes : nullptr, why);
        },
        request);
}

} // namespace

void JanusApi::post(const std::string &path, std::string body, Answer answer,
                    std::string transaction)
{
    if (transaction.empty())
        transaction = next_transaction();
    body.insert(body.size() - 1, R"(,"transaction":")" + transaction + "\"");
    GObjectPtr<SoupMessage> msg = adopt(soup_message_new("POST", (url_ + path).c_str()));
    if (!msg)
        return answer(nullptr, "'" + url_ + "' is not a URL libsoup can use");
    GBytes *bytes = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(msg.get(), "application/json", bytes);
    g_bytes_unref(bytes);
    auto *request = new Request{weak_from_this(), std::move(msg), nullptr};
    request->done = [answer = std::move(answer)](JanusApi &, GBytes *bytes, std::string why) {
        if (!bytes)
            return answer(nullptr, "Janus at this address does not answer: " + why);
        gsize size = 0;
        const auto *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
        std::string error;
        auto reply = protocol::read_json(std::string_view(data, size), error);
        if (!reply || !reply->is(JsonValue::Type::Object))
            return answer(nullptr, "Janus's answer is not JSON: " + error);
        const JsonValue *kind = reply->get("janus");
        if (!kind || kind->string == "error")
            return answer(nullptr, janus_error(*reply));
        answer(&*reply, "");
    };
    send(session_http_.get(), cancellable_.get(), request);
}

void JanusApi::open(Done done)
{
    if (session_ != 0)
        return done("");
    waiting_open_.push_back(std::move(done));
    if (opening_)
        return;
    opening_ = true;
    post("", R"({"janus":"create"})", [this](const JsonValue *reply, std::string error) {
        opening_ = false;
        const JsonValue *data = reply ? reply->get("data") : nullptr;
        session_ = id_of(data ? data->get("id") : nullptr);
        if (reply && session_ == 0)
            error = "Janus made no session";
        if (session_ != 0)
            poll();
        for (Done &d : std::exchange(waiting_open_, {}))
            d(error);
    });
}

void JanusApi::attach(const char *plugin, Attached done)
{
    protocol::JsonWriter w;
    w.begin_object().member("janus", "attach").member("plugin", plugin).end_object();
    post("/" + std::to_string(session_), w.take(),
         [done = std::move(done)](const JsonValue *reply, std::string error) {
             const JsonValue *data = reply ? reply->get("data") : nullptr;
             const std::uint64_t handle = id_of(data ? data->get("id") : nullptr);
             done(handle, handle || !error.empty() ? error : "Janus attached no handle");
         });
}

void JanusApi::message(std::uint64_t handle, const std::string &body, const std::string &jsep,
                       PluginReply done)
{
    std::string text = R"({"janus":"message","body":)" + body;
    if (!jsep.empty())
        text += R"(,"jsep":)" + jsep;
    text += "}";
    // The answering event may come by the long poll before the "ack" does: the request waits
    // under its transaction from the start.
    const std::string transaction = next_transaction();
    pending_[transaction] = std::move(done);
    post(
        "/" + std::to_string(session_) + "/" + std::to_string(handle), std::move(text),
        [this, transaction](const JsonValue *reply, std::string error) {
            if (reply && reply->get("janus")->string == "ack")
                return; // the event with this transaction answers
            auto it = pending_.find(transaction);
            if (it == pending_.end())
                return;
            PluginReply waiting = std::move(it->second);
            pending_.erase(it);
            const JsonValue *data = reply ? plugin_data(*reply, error) : nullptr;
            waiting(data, reply ? reply->get("jsep") : nullptr, error);
        },
        transaction);
}

void JanusApi::trickle(std::uint64_t handle, unsigned mline, const std::string &candidate)
{
    protocol::JsonWriter w;
    w.begin_object().member("janus", "trickle").key("candidate").begin_object();
    if (candidate.empty())
        w.member("completed", true);
    else
        w.member("candidate", std::string_view(candidate))
            .member("sdpMLineIndex", static_cast<std::int64_t>(mline));
    w.end_object().end_object();
    post("/" + std::to_string(session_) + "/" + std::to_string(handle), w.take(),
         [](const JsonValue *, const std::string &error) {
             if (!error.empty())
                 g_message("sfu: a candidate did not reach Janus: %s", error.c_str());
         });
}

void JanusApi::detach(std::uint64_t handle)
{
    if (session_ == 0 || handle == 0)
        return;
    post("/" + std::to_string(session_) + "/" + std::to_string(handle), R"({"janus":"detach"})",
         [](const JsonValue *, const std::string &) {});
}

void JanusApi::poll()
{
    const std::string uri = url_ + "/" + std::to_string(session_) + "?maxev=10";
    GObjectPtr<SoupMessage> msg = adopt(soup_message_new("GET", uri.c_str()));
    auto *request = new Request{weak_from_this(), std::move(msg), nullptr};
    request->done = [](JanusApi &api, GBytes *bytes, const std::string &why) {
        if (!bytes)
            return api.lose("the long poll to Janus failed: " + why);
        gsize size = 0;
        const auto *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
        std::string error;
        auto events = protocol::read_json(std::string_view(data, size), error);
        if (events && events->is(JsonValue::Type::Object) && events->get("janus") &&
            events->get("janus")->string == "error")
            return api.lose(janus_error(*events)); // "No such session": Janus forgot it
        if (events && events->is(JsonValue::Type::Array))
            for (const JsonValue &e : events->items)
                api.on_event(e);
        else if (events)
            api.on_event(*events);
        if (api.session_ != 0)
            api.poll();
    };
    send(poll_http_.get(), cancellable_.get(), request);
}

void JanusApi::on_event(const JsonValue &event)
{
    if (!event.is(JsonValue::Type::Object))
        return;
    const JsonValue *tx = event.get("transaction");
    if (tx && tx->is(JsonValue::Type::String)) {
        auto it = pending_.find(tx->string);
        if (it != pending_.end()) {
            PluginReply done = std::move(it->second);
            pending_.erase(it);
            std::string error;
            const JsonValue *data = plugin_data(event, error);
            return done(data, event.get("jsep"), error);
        }
    }
    if (events_)
        events_(id_of(event.get("sender")), event);
}

void JanusApi::lose(const std::string &why)
{
    session_ = 0;
    for (auto &[tx, done] : std::exchange(pending_, {}))
        done(nullptr, nullptr, why);
    if (lost_)
        lost_(why);
}

} // namespace callbox::sfu
