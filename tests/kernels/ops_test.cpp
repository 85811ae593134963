// matmul invariances and the float ops against double-precision formulas.
#include "kernels/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/test_util.h"

namespace r1::kernels {
namespace {

using testing::gaussian;

struct MatmulCase {
  std::vector<uint8_t> w;
  WeightView view;
  std::vector<float> x;
};

MatmulCase make_case(DType t, int64_t rows, int64_t cols, int64_t n_tokens) {
  MatmulCase c;
  c.w = testing::quantize(t, gaussian(rows * cols, 42, 0.05f));
  c.view = WeightView{c.w.data(), t, rows, cols};
  c.x = gaussian(n_tokens * cols, 43);
  return c;
}

std::vector<float> run(const MatmulCase& c, int64_t n_tokens, ThreadPool* pool, int64_t first = 0) {
  std::vector<float> y(static_cast<size_t>(n_tokens * c.view.rows));
  matmul(c.view, c.x.data() + first * c.view.cols, n_tokens, y.data(), pool);
  return y;
}

TEST(Matmul, IndependentOfThreadsAndBatch) {
  const int64_t rows = 37, cols = 512, n_tokens = 5;
  ThreadPool pool2(2), pool3(3);
  for (DType t : testing::weight_types()) {
    const MatmulCase c = make_case(t, rows, cols, n_tokens);
    const auto y1 = run(c, n_tokens, nullptr);
    for (ThreadPool* pool : {&pool2, &pool3}) {
      const auto y = run(c, n_tokens, pool);
      ASSERT_EQ(std::memcmp(y.data(), y1.data(), y.size() * 4), 0) << dtype_traits(t).name;
    }
    for (int64_t tok = 0; tok < n_tokens; ++tok) {
      const auto single = run(c, 1, &pool2, tok);
      ASSERT_EQ(std::memcmp(single.data(), y1.data() + tok * rows, rows * 4), 0)
          << dtype_traits(t).name << " token " << tok;
    }
  }
}

TEST(Matmul, CloseToFloatProduct) {
  const int64_t rows = 19, cols = 1024, n_tokens = 3;
  for (DType t : testing::weight_types()) {
    const MatmulCase c = make_case(t, rows, cols, n_tokens);
    const auto y = run(c, n_tokens, nullptr);
    const auto wf = testing::dequantize(t, c.w, rows * cols);
    const bool float_act = dtype_traits(t).vec_dot_type == DType::kF32;
    for (int64_t tok = 0; tok < n_tokens; ++tok) {
      for (int64_t r = 0; r < rows; ++r) {
        double dot = 0, nw = 0, nx = 0;
        for (int64_t k = 0; k < cols; ++k) {
          const double a = wf[r * cols + k], b = c.x[tok * cols + k];
          dot += a * b;
          nw += a * a;
          nx += b * b;
        }
        // Activation rounding: 8-bit ~1e-2, bf16 ~4e-3, fp16 ~5e-4 of the norms.
        const double tol = (float_act ? 1e-6 : 1e-2) * std::sqrt(nw * nx);
        ASSERT_NEAR(y[tok * rows + r], dot, tol) << dtype_traits(t).name << " row " << r;
      }
    }
  }
}

TEST(Ops, RmsNorm) {
  const int64_t n = 1536;
  const auto x = gaussian(n, 1, 3.0f);
  const auto w = gaussian(n, 2);
  std::vector<float> y(n), y_plain(n);
  rms_norm(x.data(), w.data(), y.data(), n, 1e-6f);
  rms_norm(x.data(), nullptr, y_plain.data(), n, 1e-6f);
  double ss = 0;
  for (float v : x) ss += static_cast<double>(v) * v;
  const double scale = 1.0 / std::sqrt(ss / n + 1e-6);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(y_plain[i], x[i] * scale, 1e-6 * std::fabs(x[i] * scale) + 1e-7);
    EXPECT_NEAR(y[i], x[i] * scale * w[i], 1e-6 * std::fabs(x[i] * scale * w[i]) + 1e-7);
  }
  // eps dominates an all-zero input: the output is zero, not NaN.
  std::vector<float> z(n, 0.0f);
  rms_norm(z.data(), w.data(), y.data(), n, 1e-6f);
  for (float v : y) ASSERT_EQ(v, 0.0f);
}

TEST(Ops, Softmax) {
  auto x = gaussian(1000, 3, 5.0f);
  x[7] = 80.0f;  // large values must not overflow
  const auto orig = x;
  softmax(x.data(), static_cast<int64_t>(x.size()));
  double max = -1e30, sum = 0;
  for (float v : orig) max = std::max(max, static_cast<double>(v));
  for (float v : orig) sum += std::exp(v - max);
  double total = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(orig[i] - max) / sum;
    EXPECT_NEAR(x[i], want, 1e-6 * want + 1e-12);
    total += x[i];
  }
  EXPECT_NEAR(total, 1.0, 1e-5);
  std::vector<float> masked = {1.0f, -INFINITY, 1.0f, -INFINITY};
  softmax(masked.data(), 4);
  EXPECT_EQ(masked[0], 0.5f);
  EXPECT_EQ(masked[1], 0.0f);
}

TEST(Ops, SwigluAndAdd) {
  const int64_t n = 777;
  const auto g = gaussian(n, 4, 4.0f), u = gaussian(n, 5);
  std::vector<float> out(n);
  swiglu(g.data(), u.data(), out.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    const double want = g[i] / (1.0 + std::exp(-static_cast<double>(g[i]))) * u[i];
    EXPECT_NEAR(out[i], want, 1e-6 * std::fabs(want) + 1e-7);
  }
  auto a = g;
  add(a.data(), u.data(), n);
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(a[i], g[i] + u[i]);
}

// Rotation angle of pair i in double: pos * base^(-2i/n_rot) / ff_i.
double angle(int64_t pos, int64_t i, const RopeParams& p) {
  const double ff = p.freq_factors ? p.freq_factors[i] : 1.0;
  return pos * std::pow(static_cast<double>(p.theta_base), -2.0 * i / p.n_rot) / ff;
}

void check_rope(const RopeParams& p, int64_t pos, int64_t n_heads) {
  const auto x = gaussian(n_heads * p.head_dim, static_cast<uint32_t>(pos + 1));
  auto y = x;
  rope(y.data(), n_heads, pos, p);
  const int64_t half = p.n_rot / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    const float* xi = x.data() + h * p.head_dim;
    const float* yi = y.data() + h * p.head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const int64_t a = p.neox ? i : 2 * i, b = p.neox ? i + half : 2 * i + 1;
      const double th = angle(pos, i, p);
      const double ya = xi[a] * std::cos(th) - xi[b] * std::sin(th);
      const double yb = xi[a] * std::sin(th) + xi[b] * std::cos(th);
      ASSERT_NEAR(yi[a], ya, 2e-3) << "pair " << i << " pos " << pos;
      ASSERT_NEAR(yi[b], yb, 2e-3) << "pair " << i << " pos " << pos;
    }
    for (int64_t i = p.n_rot; i < p.head_dim; ++i) ASSERT_EQ(yi[i], xi[i]);
  }
}

TEST(Ops, RopeNeoxAndNormal) {
  RopeParams p;
  p.head_dim = 128;
  p.n_rot = 128;
  for (bool neox : {true, false}) {
    p.neox = neox;
    for (int64_t pos : {0, 1, 17, 500, 2000}) check_rope(p, pos, 3);
  }
  p.theta_base = 500000.0f;
  p.neox = true;
  std::vector<float> ff(64);
  for (int i = 0; i < 64; ++i) ff[i] = 1.0f + static_cast<float>(i % 5);
  p.freq_factors = ff.data();
  check_rope(p, 1234, 2);
  // Partial rotation leaves the tail alone.
  RopeParams partial;
  partial.head_dim = 64;
  partial.n_rot = 32;
  check_rope(partial, 77, 2);
}

TEST(Ops, RopeUnitVector) {
  RopeParams p;
  p.head_dim = 8;
  p.n_rot = 8;
  std::vector<float> v(8, 0.0f);
  v[0] = 1.0f;
  rope(v.data(), 1, 3, p);  // pair 0 has theta = pos exactly
  EXPECT_EQ(v[0], std::cos(3.0f));
  EXPECT_EQ(v[4], std::sin(3.0f));
  std::fill(v.begin(), v.end(), 0.0f);
  v[0] = 1.0f;
  p.neox = false;
  rope(v.data(), 1, 3, p);
  EXPECT_EQ(v[0], std::cos(3.0f));
  EXPECT_EQ(v[1], std::sin(3.0f));
  EXPECT_EQ(v[4], 0.0f);
}

}  // namespace
}  // namespace r1::kernels
