// AdminAuth: Basic credentials, password checks on a worker thread (a GTask at a time), the
// remembered logins, and the back-off after wrong passwords.
#include "server/admin-auth.hpp"

#include "server/client-address.hpp"
#include "server/held-message.hpp"
#include "server/http-headers.hpp"

#include <glib.h>

#include <deque>
#include <vector>

namespace callbox::server {

namespace {

std::int64_t now_ms()
{
    return g_get_monotonic_time() / 1000;
}

void deny(SoupServerMessage *msg, guint status, const char *text, std::int64_t retry_ms = 0)
{
    auto *headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_replace(headers, "WWW-Authenticate", "Basic realm=\"callbox admin\"");
    if (retry_ms > 0)
        soup_message_headers_replace(headers, "Retry-After",
                                     std::to_string((retry_ms + 999) / 1000).c_str());
    respond_text(msg, status, text);
}

// libsoup 3.2 has no name for 429 (RFC 6585).
constexpr guint kTooManyRequests = 429;

constexpr char kWrong[] = "The admin password is needed (user: admin).\n";

// The password of "Basic base64(admin:password)"; false for another user or a malformed value.
bool basic_password(const std::string &credentials, std::string &password)
{
    gsize len = 0;
    guchar *raw = g_base64_decode(credentials.c_str() + 6, &len);
    std::string pair(reinterpret_cast<char *>(raw), len);
    g_free(raw);
    const auto colon = pair.find(':');
    if (colon == std::string::npos || pair.compare(0, colon, "admin") != 0)
        return false;
    password = pair.substr(colon + 1);
    return true;
}

} // namespace

// One paused request that waits for a check.
struct AdminAuth::Waiter {
    HeldMessage msg;
    Allowed allowed;

    Waiter(SoupServerMessage *m, Allowed a) : msg(m), allowed(std::move(a)) {}
};

// One password to verify against one hash, for every request that sent it meanwhile. The
// worker thread reads password and hash and writes ok; the main thread does not touch them
// until the task is done.
struct AdminAuth::Check {
    std::string credentials;
    std::string password;
    std::string hash;
    std::string bucket;
    bool ok = false;
    std::vector<std::unique_ptr<Waiter>> waiters;
};

struct AdminAuth::Shared {
    AdminAuth *owner = nullptr;
    std::deque<std::unique_ptr<Check>> queued;
    std::unique_ptr<Check> running;
};

AdminAuth::AdminAuth(std::string password_hash, rooms::GuessPolicy policy)
    : hash_(std::move(password_hash)), guesses_(policy), shared_(std::make_shared<Shared>())
{
    shared_->owner = this;
}

AdminAuth::~AdminAuth()
{
    // A running check finishes on its thread and is dropped; queued requests get no answer
    // (the server that would send it is going away).
    shared_->owner = nullptr;
    shared_->queued.clear();
}

void AdminAuth::set_hash(std::string password_hash)
{
    if (password_hash != hash_)
        accepted_.clear();
    hash_ = std::move(password_hash);
}

void AdminAuth::check(SoupServerMessage *msg, Allowed allowed)
{
    if (hash_.empty()) {
        respond_text(msg, SOUP_STATUS_FORBIDDEN,
                     "The admin pages are off: set an admin password first.\n"
                     "Run: callboxd --hash-password, and put the line it prints into the config "
                     "as [server] admin_password_hash=...\n");
        return;
    }
    const char *header =
        soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
    const std::string credentials = header ? header : "";
    if (accepted_.contains(credentials))
        return allowed(msg);

    const std::string bucket = guess_bucket(msg);
    const std::int64_t now = now_ms();
    if (const std::int64_t wait = guesses_.wait_ms(bucket, now))
        return deny(msg, kTooManyRequests, "Too many wrong passwords; wait a little.\n", wait);
    if (!credentials.starts_with("Basic "))
        return deny(msg, SOUP_STATUS_UNAUTHORIZED, kWrong);
    std::string password;
    if (!basic_password(credentials, password) || password.size() > kMaxPasswordBytes) {
        guesses_.failed(bucket, now); // wrong without any hashing
        return deny(msg, SOUP_STATUS_UNAUTHORIZED, kWrong);
    }
    if (queue(msg, allowed, credentials, std::move(password), bucket))
        start_next();
}

bool AdminAuth::queue(SoupServerMessage *msg, Allowed &allowed, const std::string &credentials,
                      std::string password, const std::string &bucket)
{
    Check *same = nullptr;
    bool bucket_busy = false;
    auto look = [&](Check *c) {
        if (c && c->credentials == credentials && c->hash == hash_)
            same = c;
        else if (c && c->bucket == bucket)
            bucket_busy = true;
    };
    look(shared_->running.get());
    for (auto &c : shared_->queued)
        look(c.get());
    if (!same && bucket_busy) {
        deny(msg, kTooManyRequests,
             "Another password from your address is being checked; try again.\n", 1000);
        return false;
    }
    if (!same) {
        auto check = std::make_unique<Check>();
        check->credentials = credentials;
        check->password = std::move(password);
        check->hash = hash_;
        check->bucket = bucket;
        same = check.get();
        shared_->queued.push_back(std::move(check));
    }
    same->waiters.push_back(std::make_unique<Waiter>(msg, std::move(allowed)));
    same->waiters.back()->msg.hold();
    return true;
}

void AdminAuth::start_next()
{
    Shared &s = *shared_;
    if (s.running) // its task is under way; it starts the next when it is done
        return;
    while (!s.running && !s.queued.empty()) {
        std::unique_ptr<Check> next = std::move(s.queued.front());
        s.queued.pop_front();
        bool anyone = false;
        for (const auto &w : next->waiters)
            anyone = anyone || !w->msg.gone();
        if (anyone) // nobody left to answer: not worth a thread's time
            s.running = std::move(next);
    }
    if (!s.running)
        return;
    GTask *task = g_task_new(
        nullptr, nullptr,
        [](GObject *, GAsyncResult *result, gpointer data) {
            std::unique_ptr<std::shared_ptr<Shared>> shared(
                static_cast<std::shared_ptr<Shared> *>(data));
            g_task_propagate_boolean(G_TASK(result), nullptr);
            std::unique_ptr<Check> done = std::move((*shared)->running);
            if (AdminAuth *owner = (*shared)->owner) {
                owner->finish(*done);
                owner->start_next();
            }
        },
        new std::shared_ptr<Shared>(shared_));
    g_task_set_task_data(task, s.running.get(), nullptr);
    g_task_run_in_thread(task, [](GTask *t, gpointer, gpointer data, GCancellable *) {
        auto *c = static_cast<Check *>(data);
        c->ok = verify_password(c->password, c->hash);
        g_task_return_boolean(t, TRUE);
    });
    g_object_unref(task);
}

void AdminAuth::finish(Check &check)
{
    const bool current = check.hash == hash_; // the hash may have changed meanwhile
    const bool ok = check.ok && current;
    if (ok) {
        if (accepted_.size() > 64)
            accepted_.clear();
        accepted_.insert(check.credentials);
        guesses_.succeeded(check.bucket);
    } else if (current) {
        guesses_.failed(check.bucket, now_ms());
    }
    for (auto &w : check.waiters) {
        if (w->msg.gone())
            continue;
        // Resumed before the handler runs: a handler that answers later pauses the request again
        // (the self-test does); resuming after it undid that pause, and libsoup then finished a
        // request the handler still meant to answer (a use after free under ASan, once in about
        // ten admin-self-test runs).
        w->msg.finish();
        if (ok)
            w->allowed(w->msg.get());
        else
            deny(w->msg.get(), SOUP_STATUS_UNAUTHORIZED, kWrong);
    }
}

} // namespace callbox::server
