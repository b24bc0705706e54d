// WHEP sessions: a receive-only call with the device (the same CallSession, shared encoders
// and max_calls as every call) whose offer, answer and trickled candidates travel over HTTP.
#include "media/whep.hpp"

#include "media/call-session.hpp"
#include "media/media-engine.hpp"
#include "media/offer-plan.hpp"

#include <glib.h>

namespace callbox::media {

namespace {

constexpr unsigned kRetryAfterS = 10; // a WHEP viewer turned away past max_calls

// A WHEP call's messages: the answer and the device's candidates are collected until
// gathering is done, then given to the waiting HTTP request in one 201.
class WhepSignalling final : public CallSignalling
{
public:
    explicit WhepSignalling(std::function<void(server::WhepReply)> done) : done_(std::move(done)) {}

    void signal(const protocol::SignalData &data) override
    {
        if (auto *sdp = std::get_if<protocol::SessionDescription>(&data))
            answer_ = sdp->sdp;
        else if (auto *ice = std::get_if<protocol::IceCandidate>(&data);
                 ice && !ice->candidate.empty())
            candidates_.push_back(ice->candidate);
    }
    void state(std::string_view state) override
    {
        if (state == "failed" || state == "ended")
            reply({500, "", "the call ended before it was answered", 0});
    }
    void error(protocol::ErrorCode code, std::string message) override
    {
        using E = protocol::ErrorCode;
        const bool unavailable = code == E::Busy || message.starts_with("the device cannot call");
        reply({unavailable ? 503u : 400u, "", std::move(message),
               code == E::Busy ? kRetryAfterS : 0});
    }
    void gathered() override
    {
        if (!answer_.empty())
            reply({201, answer_with_candidates(answer_, candidates_), "", 0});
    }

private:
    void reply(server::WhepReply r)
    {
        if (!done_)
            return;
        auto done = std::move(done_);
        done_ = nullptr;
        done(std::move(r));
    }

    std::function<void(server::WhepReply)> done_; // empty once answered
    std::string answer_;
    std::vector<std::string> candidates_;
};

} // namespace

CallSession *MediaEngine::whep_call(const std::string &resource)
{
    std::erase_if(whep_, [this](const auto &e) { return !calls_.contains(e.second); });
    auto it = whep_.find(resource);
    return it == whep_.end() ? nullptr : calls_.at(it->second).get();
}

void MediaEngine::whep_offer(const std::string &resource, const std::string &sdp,
                             std::function<void(server::WhepReply)> done)
{
    whep_call(resource); // forgets sessions whose calls are over
    std::string why;
    const OfferPlan plan = plan_offer(sdp, why);
    for (const PlannedLine &line : plan.lines)
        if (line.device_receives)
            return done({400, "", "a WHEP viewer only receives: send a recvonly offer", 0});
    const rooms::PeerId peer = next_whep_peer_++;
    const std::uint64_t serial = next_serial_;
    offer(peer, {protocol::SessionDescription::Type::Offer, sdp},
          std::make_unique<WhepSignalling>(std::move(done)));
    if (!calls_.contains(peer))
        return; // refused: `done` has been told why
    whep_.emplace(resource, peer);
    // A viewer that never connects (or went away before it could) gives its call back.
    post(
        serial,
        [](CallSession &call) {
            if (call.state() != "connected")
                call.fail(protocol::ErrorCode::MediaError, "the WHEP viewer did not connect");
        },
        settings_.whep_connect_timeout * 1000);
}

unsigned MediaEngine::whep_patch(const std::string &resource, std::string_view sdpfrag,
                                 std::string &message)
{
    CallSession *call = whep_call(resource);
    if (!call) {
        message = "no such WHEP session";
        return 404;
    }
    auto candidates = read_sdpfrag(sdpfrag, message);
    if (!candidates)
        return 400;
    for (const protocol::IceCandidate &c : *candidates)
        call->add_remote_candidate(c);
    return 204;
}

bool MediaEngine::whep_end(const std::string &resource)
{
    CallSession *call = whep_call(resource);
    if (!call)
        return false;
    end_call(call->peer(), "ended");
    whep_.erase(resource);
    return true;
}

} // namespace callbox::media
