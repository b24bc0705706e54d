// MediaControl: the media part as the rest of the daemon sees it — its state and statistics
// for the HTTP API and metrics, the admin's actions, and the idle screen; NoMedia when off.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace callbox::protocol {
class JsonWriter;
}

namespace callbox::server {

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

    // While nobody is in a call, the screen shows `name`, the join link and its QR code, and
    // the certificate's fingerprint (when it serves HTTPS) for the user to compare.
    virtual void show_idle_screen(const std::string &name, const std::string &link,
                                  const std::string &fingerprint) = 0;
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
    bool set_echo_cancel(bool on, std::string &error) override;
    void show_idle_screen(const std::string &, const std::string &, const std::string &) override {}
    void shut_down() override {}
};

} // namespace callbox::server
