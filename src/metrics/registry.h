// A small Prometheus metrics registry: counters, gauges and histograms, each
// a family with optional labels, exposed in the text format 0.0.4.
//
// Thread contract: everything is safe from any thread. Families and their
// children live as long as the Registry; references returned by family()
// and with() stay valid (children are never removed). Updates are lock-free
// atomics; with() and expose() take the family's mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <type_traits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace r1::metrics {

class Counter {
 public:
  void inc(double v = 1.0);  // v >= 0 (CHECKed)
  // Mirrors a monotone total kept elsewhere: raises the value to `total`
  // (a smaller total, e.g. from a racing update, leaves it unchanged).
  void advance_to(double total);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0);
  void dec(double v = 1.0) { inc(-v); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds`: strictly increasing upper bounds (+Inf is implicit).
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i (i == bounds().size(): above all).
  uint64_t bucket_count(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

enum class Type { kCounter, kGauge, kHistogram };

// One metric name with its label names; children keyed by label values.
template <typename M>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {});
  // The child for these label values (count must match the label names).
  M& with(const std::vector<std::string>& label_values);
  // The unlabelled child (a family without labels).
  M& get() { return with({}); }

  const std::string& name() const { return name_; }
  void expose(std::string& out) const;
  // Every child's label values and value (a histogram's: its count), in
  // label order.
  std::vector<std::pair<std::vector<std::string>, double>> values() const;

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
};

class Registry {
 public:
  // Names must be unique in the registry and match [a-zA-Z_:][a-zA-Z0-9_:]*
  // (CHECKed: names are compile-time constants, not input).
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> labels = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> labels = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<double> bounds, std::vector<std::string> labels = {});

  // Text format 0.0.4, families in registration order.
  std::string expose() const;

 private:
  void claim(const std::string& name);

  mutable std::mutex mu_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
  std::vector<std::pair<Type, size_t>> order_;
};

// Escaping and number formatting of the text format.
std::string escape_label_value(const std::string& v);
std::string format_value(double v);

}  // namespace r1::metrics
