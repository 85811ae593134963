#include "voice/tts/espeak/espeak_synthesizer.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <sstream>
#include <stop_token>
#include <utility>

#include "voice/tts/espeak/child_process.h"
#include "voice/tts/synthesis_plan.h"
#include "voice/tts/espeak/wav_stream.h"

namespace r1::voice {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kEspeakRate = 22050;  // espeak-ng's output rate (its own voices)
constexpr size_t kReadBytes = 4096;

// An eventfd that a CancelToken's cancel() makes readable, for poll().
class CancelWake {
 public:
  explicit CancelWake(const CancelToken& cancel)
      : fd_{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)}, callback_(cancel.token(), Notify{fd_.fd}) {}
  int fd() const { return fd_.fd; }

 private:
  struct Fd {
    int fd;
    ~Fd() {
      if (fd >= 0) ::close(fd);
    }
  };
  struct Notify {
    int fd;
    void operator()() const {
      const uint64_t one = 1;
      if (fd >= 0) (void)!::write(fd, &one, sizeof(one));
    }
  };
  Fd fd_;  // declared first: outlives the callback
  std::stop_callback<Notify> callback_;
};

// What one call shares across its children.
struct CallContext {
  const AudioSink& sink;
  const CancelToken& cancel;
  const CancelWake& wake;
  std::chrono::milliseconds timeout;
  int sample_rate = kEspeakRate;
  std::vector<int16_t> samples, scaled;
};

std::vector<std::string> espeak_args(const std::string& program, const std::string& voice,
                                     const Piece& p) {
  const long wpm = std::clamp(std::lround(175.0 * p.rate), 80L, 700L);
  const long pitch = std::clamp(std::lround(50.0 + p.pitch * 6.0), 0L, 99L);
  return {program, "--stdout", "-b", "1", "-v", voice, "-s", std::to_string(wpm),
          "-p", std::to_string(pitch), "-a", "100"};
}

// One child: feeds the text, streams the WAV to the sink. false: the sink
// asked to stop.
class ChildRun {
 public:
  ChildRun(CallContext& ctx, ChildProcess child, std::string input, double gain)
      : ctx_(ctx), child_(std::move(child)), input_(std::move(input)), gain_(gain) {}

  Result<bool> run() {
    const Clock::time_point deadline = Clock::now() + ctx_.timeout;
    R1_RETURN_IF_ERROR(send());
    for (;;) {
      if (ctx_.cancel.cancelled()) return cancelled();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        child_.kill_and_reap();
        return make_error(ErrorCode::kIo, "espeak-ng timed out");
      }
      pollfd fds[3] = {{child_.stdout_fd(), POLLIN, 0},
                       {ctx_.wake.fd(), POLLIN, 0},
                       {child_.stdin_fd(), POLLOUT, 0}};
      const int wait_ms = ctx_.wake.fd() >= 0 ? static_cast<int>(std::min<long>(left.count(), 1000)) : 5;
      const int n = ::poll(fds, child_.stdin_fd() >= 0 ? 3 : 2, wait_ms);
      if (n < 0 && errno != EINTR) return make_error(ErrorCode::kIo, "poll failed");
      if (n <= 0) continue;
      if (fds[1].revents != 0) return cancelled();
      if (fds[2].revents != 0) R1_RETURN_IF_ERROR(send());
      if (fds[0].revents == 0) continue;
      R1_ASSIGN_OR_RETURN(int more, receive());
      if (more <= 0) return more == 0 ? finish() : Result<bool>(false);
    }
  }

 private:
  Error cancelled() {
    child_.kill_and_reap();
    return cancelled_error();
  }

  Status send() {
    if (child_.stdin_fd() < 0) return {};
    R1_ASSIGN_OR_RETURN(size_t n, child_.write_stdin(std::string_view(input_).substr(sent_)));
    sent_ += n;
    if (sent_ == input_.size()) child_.close_stdin();
    return {};
  }

  // 1: go on, 0: end of stream, -1: the sink stopped.
  Result<int> receive() {
    std::array<uint8_t, kReadBytes> buf;
    R1_ASSIGN_OR_RETURN(long n, child_.read_stdout(buf));
    if (n < 0) return 1;
    if (n == 0) return 0;
    ctx_.samples.clear();
    R1_RETURN_IF_ERROR(parser_.feed(std::span(buf).first(static_cast<size_t>(n)), ctx_.samples));
    if (ctx_.samples.empty()) return 1;
    ctx_.sample_rate = parser_.sample_rate();
    apply_gain(ctx_.samples, gain_, ctx_.scaled);
    if (ctx_.cancel.cancelled()) return cancelled();
    return ctx_.sink(ctx_.scaled, ctx_.sample_rate) ? 1 : -1;
  }

  Result<bool> finish() {
    R1_ASSIGN_OR_RETURN(int status, child_.wait());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return make_error(ErrorCode::kIo, "espeak-ng failed (wait status " + std::to_string(status) + ")");
    }
    R1_RETURN_IF_ERROR(parser_.finish());
    return true;
  }

  CallContext& ctx_;
  ChildProcess child_;
  std::string input_;
  size_t sent_ = 0;
  double gain_;
  WavStreamParser parser_;
};

// Silence for a break, in 100 ms chunks. false: the sink stopped.
Result<bool> silence(CallContext& ctx, int ms) {
  const size_t total = static_cast<size_t>(ctx.sample_rate) * static_cast<size_t>(ms) / 1000;
  const std::vector<int16_t> zeros(static_cast<size_t>(ctx.sample_rate) / 10, 0);
  for (size_t done = 0; done < total; done += zeros.size()) {
    if (ctx.cancel.cancelled()) return cancelled_error();
    const size_t n = std::min(zeros.size(), total - done);
    if (!ctx.sink(std::span(zeros).first(n), ctx.sample_rate)) return false;
  }
  return true;
}

Result<std::string> run_to_string(const std::vector<std::string>& argv) {
  R1_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::spawn(argv));
  child.close_stdin();
  std::string out;
  std::array<uint8_t, 4096> buf;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline && out.size() < (1u << 20)) {
    pollfd fd{child.stdout_fd(), POLLIN, 0};
    if (::poll(&fd, 1, 100) <= 0) continue;
    R1_ASSIGN_OR_RETURN(long n, child.read_stdout(buf));
    if (n == 0) break;
    if (n > 0) out.append(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n));
  }
  child.kill_and_reap();
  return out;
}

}  // namespace

std::string bcp47_case(std::string_view tag) {
  std::string out;
  bool first = true, private_use = false;
  while (!tag.empty()) {
    const size_t dash = tag.find('-');
    std::string sub(tag.substr(0, dash));
    std::transform(sub.begin(), sub.end(), sub.begin(), [](unsigned char c) { return std::tolower(c); });
    const bool alpha = std::all_of(sub.begin(), sub.end(), [](unsigned char c) { return std::isalpha(c); });
    if (!first && !private_use && alpha && sub.size() == 2) {
      for (char& c : sub) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!first && !private_use && alpha && sub.size() == 4) {
      sub[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sub[0])));
    }
    private_use = private_use || sub == "x";
    out += (first ? "" : "-") + sub;
    first = false;
    if (dash == std::string_view::npos) break;
    tag.remove_prefix(dash + 1);
  }
  return out;
}

std::vector<VoiceInfo> parse_espeak_voices(std::string_view listing) {
  std::vector<VoiceInfo> out;
  std::istringstream lines{std::string(listing)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string pty, lang, age_gender;
    if (!(fields >> pty >> lang >> age_gender) || pty == "Pty") continue;
    if (lang.empty() || lang.size() > 64) continue;
    const size_t slash = age_gender.find('/');
    const char g = slash != std::string::npos && slash + 1 < age_gender.size() ? age_gender[slash + 1] : '-';
    const std::string gender = g == 'M' ? "male" : g == 'F' ? "female" : "";
    const bool dup = std::any_of(out.begin(), out.end(), [&](const VoiceInfo& v) { return v.name == lang; });
    if (!dup) out.push_back(VoiceInfo{lang, bcp47_case(lang), gender, kEspeakRate, "espeak-ng"});
  }
  return out;
}

EspeakSynthesizer::EspeakSynthesizer(EspeakOptions options) : options_(std::move(options)) {
  if (!program_exists(options_.program)) {
    available_ = make_error(ErrorCode::kUnavailable, options_.program + " is not installed");
    return;
  }
  Result<std::string> listing = run_to_string({options_.program, "--voices"});
  if (!listing.ok()) {
    available_ = make_error(ErrorCode::kUnavailable, options_.program + " --voices: " + listing.error().message);
    return;
  }
  voices_ = parse_espeak_voices(*listing);
  if (voices_.empty()) {
    available_ = make_error(ErrorCode::kUnavailable, options_.program + " lists no voices");
    return;
  }
  const auto def = std::find_if(voices_.begin(), voices_.end(),
                                [&](const VoiceInfo& v) { return v.name == options_.default_voice; });
  if (def != voices_.end()) std::rotate(voices_.begin(), def, def + 1);
}

Status EspeakSynthesizer::synthesize(std::string_view text, const SynthesisParams& params,
                                     const AudioSink& sink, const CancelToken& cancel) {
  if (!available_.ok()) return available_.error();
  R1_ASSIGN_OR_RETURN(VoiceInfo voice, validate_request(text, params, voices_));
  R1_ASSIGN_OR_RETURN(std::vector<Piece> plan, plan_pieces(text, params, nullptr));
  const CancelWake wake(cancel);
  CallContext ctx{sink, cancel, wake, options_.timeout, voice.sample_rate, {}, {}};
  for (const Piece& p : plan) {
    if (cancel.cancelled()) return cancelled_error();
    if (!p.text.empty()) {
      R1_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::spawn(espeak_args(options_.program, voice.name, p)));
      R1_ASSIGN_OR_RETURN(bool go, ChildRun(ctx, std::move(child), p.text + "\n", p.volume).run());
      if (!go) return {};
    }
    if (p.break_ms > 0) {
      R1_ASSIGN_OR_RETURN(bool go, silence(ctx, p.break_ms));
      if (!go) return {};
    }
  }
  return {};
}

}  // namespace r1::voice
