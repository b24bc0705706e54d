// Prometheus text format: one metric (HELP, TYPE and the sample) at a time.
#pragma once

#include <string>

namespace callbox::server {

// Appends one metric in Prometheus text format to `out`.
template <typename T>
void append_metric(std::string &out, const char *name, const char *type, const char *help, T value)
{
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
}

} // namespace callbox::server
