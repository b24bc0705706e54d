// NoMedia: what the HTTP API and metrics say about media while it is off.
#include "server/media-control.hpp"

#include "protocol/json-writer.hpp"
#include "server/metrics.hpp"

namespace callbox::server {

void NoMedia::write(protocol::JsonWriter &w) const
{
    w.key("media").begin_object().member("state", state());
    w.key("calls").begin_array().end_array();
    w.end_object();
}

void append_calls_metric(std::string &out, std::size_t calls)
{
    append_metric(out, "callbox_calls", "gauge", "Calls with the device.", calls);
}

void NoMedia::write_metrics(std::string &out) const
{
    append_calls_metric(out, call_count());
}

void NoMedia::write_devices(protocol::JsonWriter &w) const
{
    w.begin_object().key("cameras").begin_array().end_array();
    w.key("microphones").begin_array().end_array().end_object();
}

bool NoMedia::set_muted(bool, bool, std::string &error)
{
    error = "media is off on this device";
    return false;
}

bool NoMedia::select_device(std::string_view, const std::string &, std::string &error)
{
    error = "media is off on this device";
    return false;
}

bool NoMedia::run_self_test(std::function<void(std::string)>, std::string &error)
{
    error = "media is off on this device (run callboxd --self-test to check the hardware)";
    return false;
}

bool NoMedia::set_echo_cancel(bool, std::string &error)
{
    error = "media is off on this device";
    return false;
}

} // namespace callbox::server
