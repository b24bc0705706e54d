// MediaControl: the media part as the rest of the daemon sees it — its state and statistics
// for the HTTP API and metrics, the admin's actions, and the idle screen; NoMedia when off.
#pragma once

#include "config/ice-settings.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace callbox::protocol {
class JsonWriter;
}

namespace callbox::server {

// How a WHEP offer (RFC 9725) went: 201 with the answer, or an HTTP error status and why.
struct WhepReply {
    unsigned status = 0;
    std::string answer;         // 201: the SDP answer, the device's candidates in it
    std::string message;        // otherwise: why
    unsigned retry_after_s = 0; // 503 past [media] max_calls: when to try again
};

class MediaControl
{
public:
    virtual ~MediaControl() = default;

    virtual const char *state() const = 0; // "running" | "degraded" | "off"
    virtual std::size_t call_count() const = 0;
    // Writes the member "media":{..., "calls":[...]} into an open object.
    virtual void write(protocol::JsonWriter &w) const = 0;
    // Prometheus lines for the media part.
    virtual void write_metrics(std::string &out) const = 0;
    // Writes {"cameras":[...],"microphones":[...]}.
    virtual void write_devices(protocol::JsonWriter &w) const = 0;

    // Admin actions; false with a reason when they cannot be done.
    virtual bool set_muted(bool audio, bool video, std::string &error) = 0;
    virtual bool select_device(std::string_view kind, const std::string &id,
                               std::string &error) = 0;
    // Echo cancellation on or off from now on (until the next restart), in running calls too.
    virtual bool set_echo_cancel(bool on, std::string &error) = 0;

    // Runs the device's self-test off the main loop; `done` gets its JSON report
    // ({"ok":bool,"rows":[...]}) on the main loop. False with a reason when it cannot start (a
    // call is running, a self-test already is, or media is off).
    virtual bool run_self_test(std::function<void(std::string json)> done, std::string &error) = 0;

    // While nobody is in a call, the screen shows `name`, the join link and its QR code, and
    // the certificate's fingerprint (when it serves HTTPS) for the user to compare.
    virtual void show_idle_screen(const std::string &name, const std::string &link,
                                  const std::string &fingerprint) = 0;
    // WHEP: a receive-only call with the device whose signalling is HTTP. whep_offer() calls
    // `done` once, at once or later; whep_patch() adds trickled candidates (an
    // application/trickle-ice-sdpfrag body) and answers 204, 400 or 404; whep_end() ends the
    // call, false when `resource` is no call.
    virtual void whep_offer(const std::string &resource, const std::string &offer,
                            std::function<void(WhepReply)> done) = 0;
    virtual unsigned whep_patch(const std::string &resource, std::string_view sdpfrag,
                                std::string &message) = 0;
    virtual bool whep_end(const std::string &resource) = 0;
    // The STUN and TURN servers for calls that start from now on.
    virtual void set_ice(const config::IceSettings &ice) = 0;
    // The simulated room's delay ([media] room_delay_ms), for running calls too.
    virtual void set_room_delay(unsigned ms) = 0;
    // Ends every call (each caller hears "ended") and stops capture; from then on the media
    // part reports itself off. The daemon calls it before it closes the WebSockets.
    virtual void shut_down() = 0;
};

// The metric every media part reports: callbox_calls, the calls with the device now.
void append_calls_metric(std::string &out, std::size_t calls);

// Media off (disabled in the config, or callboxd built without GStreamer): the device is in
// no room, takes no calls and lists only what it would have had.
class NoMedia final : public MediaControl
{
public:
    const char *state() const override { return "off"; }
    std::size_t call_count() const override { return 0; }
    void write(protocol::JsonWriter &w) const override;
    void write_metrics(std::string &out) const override;
    void write_devices(protocol::JsonWriter &w) const override;
    bool set_muted(bool audio, bool video, std::string &error) override;
    bool select_device(std::string_view kind, const std::string &id, std::string &error) override;
    bool run_self_test(std::function<void(std::string)>, std::string &error) override;
    bool set_echo_cancel(bool on, std::string &error) override;
    void show_idle_screen(const std::string &, const std::string &, const std::string &) override {}
    void whep_offer(const std::string &, const std::string &,
                    std::function<void(WhepReply)> done) override
    {
        done({503, "", "media is off on this device", 0});
    }
    unsigned whep_patch(const std::string &, std::string_view, std::string &message) override
    {
        message = "no such WHEP session";
        return 404;
    }
    bool whep_end(const std::string &) override { return false; }
    void set_ice(const config::IceSettings &) override {}
    void set_room_delay(unsigned) override {}
    void shut_down() override {}
};

} // namespace callbox::server
