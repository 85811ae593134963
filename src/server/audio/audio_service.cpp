#include "server/audio/audio_service.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "server/api/openai_render.h"

namespace r1::server {
namespace {

using nlohmann::json;

void send_error(ResponseChannel& channel, const ApiError& e, int retry_after = 0) {
  HttpResponse r{e.http_status, "application/json", {}, render_error(e)};
  if (retry_after > 0) r.headers.emplace_back("Retry-After", std::to_string(retry_after));
  channel.respond(std::move(r));
}

std::string voices_json(const std::vector<OfferedVoice>& voices) {
  json list = json::array();
  for (const OfferedVoice& v : voices) {
    list.push_back({{"id", v.info.name}, {"name", v.info.name}, {"language", v.info.language},
                    {"gender", v.info.gender}, {"backend", v.info.backend}, {"sample_rate", v.info.sample_rate}});
  }
  return json{{"object", "list"}, {"data", list}}.dump();
}

}  // namespace

AudioService::AudioService(const AudioConfig& config, AudioModels models)
    : config_(config), models_(std::move(models)) {}

AudioService::~AudioService() { stop(); }

Result<std::unique_ptr<AudioService>> AudioService::create(const AudioConfig& config, AudioModels models) {
  if (config.threads < 1 || config.queue < 0) {
    return make_error(ErrorCode::kInvalidArgument, "audio: need at least one voice thread and a queue >= 0");
  }
  std::unique_ptr<AudioService> s(new AudioService(config, std::move(models)));
  if (s->models_.recognizer) {
    R1_ASSIGN_OR_RETURN(s->recognizers_, voice::RecognizerPool::create(*s->models_.recognizer,
                                                                       config.warm_recognizers,
                                                                       std::max(config.warm_recognizers, config.threads)));
  }
  for (const auto& synth : s->models_.synthesizers) {
    for (voice::VoiceInfo& v : synth->voices()) s->voices_.push_back({std::move(v), synth.get()});
  }
  s->work_ = std::make_unique<WorkQueue>(config.threads, static_cast<size_t>(config.queue), "r1-voice");
  return s;
}

std::vector<std::string> AudioService::model_ids() const {
  std::vector<std::string> ids;
  if (recognizers_) ids.push_back(recognizers_->info().id);
  std::vector<std::string> backends;
  for (const OfferedVoice& v : voices_) {
    if (std::find(backends.begin(), backends.end(), v.info.backend) == backends.end()) backends.push_back(v.info.backend);
  }
  for (const std::string& b : backends) ids.push_back("tts-" + b);
  return ids;
}

void AudioService::handle(const std::string& path, const HttpRequest& request,
                          std::shared_ptr<ResponseChannel> channel) {
  if (path == "/v1/audio/voices" && request.method == "GET") {
    return channel->respond({200, "application/json", {}, voices_json(voices_)});
  }
  const bool known = path == "/v1/audio/transcriptions" || path == "/v1/audio/speech";
  if (!known) return send_error(*channel, {404, "invalid_request_error", "Unknown route " + path.substr(0, 128), "", "not_found"});
  if (request.method != "POST") {
    return send_error(*channel, {405, "invalid_request_error", "Method " + request.method + " is not allowed on " + path, "", "method_not_allowed"});
  }
  auto cancel = std::make_shared<voice::CancelToken>();
  channel->on_disconnect([cancel] { cancel->cancel(); });
  auto req = std::make_shared<HttpRequest>(request);
  ++in_flight_;
  WorkQueue::Task task;
  task.run = [this, path, req, channel, cancel] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_.insert(cancel);
    }
    run(path, *req, channel, *cancel);
    std::lock_guard<std::mutex> lock(mu_);
    running_.erase(cancel);
    --in_flight_;
  };
  task.dropped = [this, channel] {
    send_error(*channel, {503, "unavailable_error", "The server is shutting down", "", "shutting_down"}, config_.retry_after_seconds);
    --in_flight_;
  };
  if (!work_->post(std::move(task))) {
    --in_flight_;
    send_error(*channel, {429, "rate_limit_error", "All voice threads are busy; retry shortly", "", "voice_busy"},
               config_.retry_after_seconds);
  }
}

void AudioService::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : running_) c->cancel();
  }
  if (work_) work_->stop();
}

}  // namespace r1::server
