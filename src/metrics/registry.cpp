#include "metrics/registry.h"

#include <fmt/format.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <utility>

#include "core/enum_names.h"
#include "core/check.h"

namespace r1::metrics {
namespace {

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Prometheus text escaping: backslash and newline, and in label values the
// double quote.
std::string escape(const std::string& v, bool quote) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(const std::string& v) { return escape(v, false); }

// {a="x",b="y"} plus an optional extra pair (the histogram's le).
std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra_name + "=\"" + extra_value + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

const char* type_name(Type t) {
  static constexpr EnumName<Type> kTypes[] = {
      {Type::kCounter, "counter"}, {Type::kGauge, "gauge"}, {Type::kHistogram, "histogram"}};
  return enum_name(kTypes, t, "untyped");
}

template <typename M>
constexpr Type type_of();
template <>
constexpr Type type_of<Counter>() { return Type::kCounter; }
template <>
constexpr Type type_of<Gauge>() { return Type::kGauge; }
template <>
constexpr Type type_of<Histogram>() { return Type::kHistogram; }

void atomic_add(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

}  // namespace

std::string escape_label_value(const std::string& v) { return escape(v, true); }

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

void Counter::inc(double v) {
  CHECK(v >= 0) << "counter decrement " << v;
  atomic_add(value_, v);
}

void Counter::advance_to(double total) {
  double cur = value_.load(std::memory_order_relaxed);
  while (total > cur && !value_.compare_exchange_weak(cur, total, std::memory_order_relaxed)) {
  }
}

void Gauge::inc(double v) { atomic_add(value_, v); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    CHECK(i == 0 || bounds_[i] > bounds_[i - 1]) << "histogram bounds must increase";
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

template <typename M>
Family<M>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

template <typename M>
M& Family<M>::with(const std::vector<std::string>& label_values) {
  CHECK_EQ(label_values.size(), label_names_.size()) << name_;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = children_.find(label_values);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<M> child;
  if constexpr (std::is_same_v<M, Histogram>) {
    child = std::make_unique<M>(bounds_);
  } else {
    child = std::make_unique<M>();
  }
  M& ref = *child;
  children_.emplace(label_values, std::move(child));
  return ref;
}

template <typename M>
void Family<M>::expose(std::string& out) const {
  out += "# HELP " + name_ + " " + escape_help(help_) + "\n";
  out += "# TYPE " + name_ + " " + type_name(type_of<M>()) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<M, Histogram>) {
      uint64_t cumulative = 0;
      const std::vector<double>& b = child->bounds();
      for (size_t i = 0; i <= b.size(); ++i) {
        cumulative += child->bucket_count(i);
        const std::string le = i < b.size() ? format_value(b[i]) : "+Inf";
        out += name_ + "_bucket" + label_set(label_names_, values, "le", le) + " " +
               std::to_string(cumulative) + "\n";
      }
      const std::string labels = label_set(label_names_, values);
      out += name_ + "_sum" + labels + " " + format_value(child->sum()) + "\n";
      out += name_ + "_count" + labels + " " + std::to_string(child->count()) + "\n";
    } else {
      out += name_ + label_set(label_names_, values) + " " + format_value(child->value()) + "\n";
    }
  }
}

template <typename M>
std::vector<std::pair<std::vector<std::string>, double>> Family<M>::values() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::vector<std::string>, double>> out;
  for (const auto& [labels, child] : children_) {
    if constexpr (std::is_same_v<M, Histogram>) {
      out.emplace_back(labels, static_cast<double>(child->count()));
    } else {
      out.emplace_back(labels, child->value());
    }
  }
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void Registry::claim(const std::string& name) {
  CHECK(valid_name(name)) << "bad metric name " << name;
  for (const std::string& n : names_) CHECK(n != name) << "duplicate metric " << name;
  names_.push_back(name);
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> labels) {
  std::lock_guard<std::mutex> lock(mu_);
  claim(name);
  counters_.push_back(std::make_unique<Family<Counter>>(name, help, std::move(labels)));
  order_.emplace_back(Type::kCounter, counters_.size() - 1);
  return *counters_.back();
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> labels) {
  std::lock_guard<std::mutex> lock(mu_);
  claim(name);
  gauges_.push_back(std::make_unique<Family<Gauge>>(name, help, std::move(labels)));
  order_.emplace_back(Type::kGauge, gauges_.size() - 1);
  return *gauges_.back();
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<double> bounds,
                                       std::vector<std::string> labels) {
  std::lock_guard<std::mutex> lock(mu_);
  claim(name);
  histograms_.push_back(
      std::make_unique<Family<Histogram>>(name, help, std::move(labels), std::move(bounds)));
  order_.emplace_back(Type::kHistogram, histograms_.size() - 1);
  return *histograms_.back();
}

std::string Registry::expose() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [type, index] : order_) {
    switch (type) {
      case Type::kCounter: counters_[index]->expose(out); break;
      case Type::kGauge: gauges_[index]->expose(out); break;
      case Type::kHistogram: histograms_[index]->expose(out); break;
    }
  }
  return out;
}

}  // namespace r1::metrics
