// The reference forward pass: double precision, no cache, no batching, the
// textbook equations one loop at a time.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "model_util.h"

namespace r1::model::test {
namespace {

using Vec = std::vector<double>;

Vec read_tensor(const gguf::File& file, const std::string& name) {
  const gguf::TensorInfo* t = file.find_tensor(name);
  CHECK(t != nullptr) << name;
  std::vector<float> tmp(static_cast<size_t>(t->n_elements()));
  kernels::quant_ops(t->type).to_float(t->data, tmp.data(), t->n_elements());
  return Vec(tmp.begin(), tmp.end());
}

Vec read_optional(const gguf::File& file, const std::string& name) {
  return file.find_tensor(name) ? read_tensor(file, name) : Vec();
}

// y = W x for W [rows, cols] row-major.
Vec matvec(const Vec& w, const Vec& x) {
  const size_t cols = x.size();
  Vec y(w.size() / cols, 0.0);
  for (size_t r = 0; r < y.size(); ++r) {
    for (size_t c = 0; c < cols; ++c) y[r] += w[r * cols + c] * x[c];
  }
  return y;
}

// RMS norm of x[off, off + n) in place, times weight.
void rms_norm(Vec& x, size_t off, size_t n, const Vec& weight, double eps) {
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += x[off + i] * x[off + i];
  const double inv = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  for (size_t i = 0; i < n; ++i) x[off + i] = x[off + i] * inv * weight[i];
}

// Rotary embedding of every head of x at position pos.
void rope(Vec& x, size_t head_dim, double pos, const TinySpec& s, const Vec& freq_factors) {
  const bool neox = s.arch != Arch::kLlama;
  for (size_t h = 0; h < x.size() / head_dim; ++h) {
    double* v = x.data() + h * head_dim;
    for (size_t i = 0; i < head_dim / 2; ++i) {
      double theta = pos * std::pow(double{s.rope_theta}, -2.0 * static_cast<double>(i) / head_dim);
      if (!freq_factors.empty()) theta /= freq_factors[i];
      const size_t a = neox ? i : 2 * i;
      const size_t b = neox ? i + head_dim / 2 : 2 * i + 1;
      const double x0 = v[a], x1 = v[b];
      v[a] = x0 * std::cos(theta) - x1 * std::sin(theta);
      v[b] = x0 * std::sin(theta) + x1 * std::cos(theta);
    }
  }
}

struct Layer {
  Vec attn_norm, wq, wk, wv, bq, bk, bv, q_norm, k_norm, wo, ffn_norm, gate, up, down;
};

Layer read_layer(const gguf::File& f, int64_t il) {
  const std::string p = "blk." + std::to_string(il) + ".";
  return Layer{read_tensor(f, p + "attn_norm.weight"), read_tensor(f, p + "attn_q.weight"),
               read_tensor(f, p + "attn_k.weight"),    read_tensor(f, p + "attn_v.weight"),
               read_optional(f, p + "attn_q.bias"),    read_optional(f, p + "attn_k.bias"),
               read_optional(f, p + "attn_v.bias"),    read_optional(f, p + "attn_q_norm.weight"),
               read_optional(f, p + "attn_k_norm.weight"), read_tensor(f, p + "attn_output.weight"),
               read_tensor(f, p + "ffn_norm.weight"),  read_tensor(f, p + "ffn_gate.weight"),
               read_tensor(f, p + "ffn_up.weight"),    read_tensor(f, p + "ffn_down.weight")};
}

void add_to(Vec& y, const Vec& b) {
  for (size_t i = 0; i < b.size(); ++i) y[i] += b[i];
}

// Causal multi-head attention of every position; q, k, v are per position.
std::vector<Vec> attention(const TinySpec& s, const std::vector<Vec>& q, const std::vector<Vec>& k,
                           const std::vector<Vec>& v) {
  const size_t d = static_cast<size_t>(s.n_embd / s.n_head);
  const size_t group = static_cast<size_t>(s.n_head / s.n_head_kv);
  std::vector<Vec> out(q.size(), Vec(q[0].size(), 0.0));
  for (size_t t = 0; t < q.size(); ++t) {
    for (size_t h = 0; h < static_cast<size_t>(s.n_head); ++h) {
      const size_t kvh = h / group;
      Vec p(t + 1);
      double max = -1e300, sum = 0;
      for (size_t j = 0; j <= t; ++j) {
        double dot = 0;
        for (size_t i = 0; i < d; ++i) dot += q[t][h * d + i] * k[j][kvh * d + i];
        p[j] = dot / std::sqrt(static_cast<double>(d));
        max = std::max(max, p[j]);
      }
      for (double& x : p) sum += (x = std::exp(x - max));
      for (size_t j = 0; j <= t; ++j) {
        for (size_t i = 0; i < d; ++i) out[t][h * d + i] += p[j] / sum * v[j][kvh * d + i];
      }
    }
  }
  return out;
}

// One layer over the whole sequence x[pos][n_embd], in place.
void layer_forward(const TinySpec& s, const Layer& l, const Vec& freq_factors, std::vector<Vec>& x) {
  const size_t d = static_cast<size_t>(s.n_embd / s.n_head);
  std::vector<Vec> q(x.size()), k(x.size()), v(x.size());
  for (size_t t = 0; t < x.size(); ++t) {
    Vec xn = x[t];
    rms_norm(xn, 0, xn.size(), l.attn_norm, s.rms_eps);
    q[t] = matvec(l.wq, xn), k[t] = matvec(l.wk, xn), v[t] = matvec(l.wv, xn);
    add_to(q[t], l.bq), add_to(k[t], l.bk), add_to(v[t], l.bv);
    if (!l.q_norm.empty()) {
      for (size_t off = 0; off < q[t].size(); off += d) rms_norm(q[t], off, d, l.q_norm, s.rms_eps);
      for (size_t off = 0; off < k[t].size(); off += d) rms_norm(k[t], off, d, l.k_norm, s.rms_eps);
    }
    rope(q[t], d, static_cast<double>(t), s, freq_factors);
    rope(k[t], d, static_cast<double>(t), s, freq_factors);
  }
  const std::vector<Vec> att = attention(s, q, k, v);
  for (size_t t = 0; t < x.size(); ++t) {
    add_to(x[t], matvec(l.wo, att[t]));
    Vec xn = x[t];
    rms_norm(xn, 0, xn.size(), l.ffn_norm, s.rms_eps);
    Vec gate = matvec(l.gate, xn);
    const Vec up = matvec(l.up, xn);
    for (size_t i = 0; i < gate.size(); ++i) gate[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];
    add_to(x[t], matvec(l.down, gate));
  }
}

}  // namespace

std::vector<std::vector<double>> reference_forward(const TinySpec& s, const gguf::File& file,
                                                   const std::vector<int32_t>& tokens) {
  const Vec embd = read_tensor(file, "token_embd.weight");
  const Vec out_norm = read_tensor(file, "output_norm.weight");
  const Vec output = file.find_tensor("output.weight") ? read_tensor(file, "output.weight") : embd;
  const Vec freq_factors = read_optional(file, "rope_freqs.weight");
  const auto e = static_cast<size_t>(s.n_embd);
  std::vector<Vec> x;
  for (int32_t tok : tokens) {
    x.emplace_back(embd.begin() + static_cast<ptrdiff_t>(tok * e), embd.begin() + static_cast<ptrdiff_t>((tok + 1) * e));
  }
  for (int64_t il = 0; il < s.n_layer; ++il) layer_forward(s, read_layer(file, il), freq_factors, x);
  std::vector<Vec> logits;
  for (Vec& row : x) {
    rms_norm(row, 0, row.size(), out_norm, s.rms_eps);
    logits.push_back(matvec(output, row));
  }
  return logits;
}

}  // namespace r1::model::test
