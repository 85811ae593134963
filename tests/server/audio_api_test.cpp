// The audio routes of the server in-process (real pocketsphinx and flite;
// the fake synthesizer where a test needs a slow or endless synthesis):
// multipart and JSON parsing, every answer format, the errors and their
// OpenAI shape, 413 for a big upload, 429 when the voice threads are busy,
// cancellation when the client leaves, and routes without a service.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "http_client.h"
#include "server/audio/audio_service.h"
#include "server/backend/fake_backend.h"
#include "server/http_server.h"
#include "voice/asr/pocketsphinx_recognizer.h"
#include "voice/asr/wer.h"
#include "voice/audio/decode.h"
#include "voice/tts/fake_synthesizer.h"
#include "voice/tts/flite/flite_synthesizer.h"

namespace r1::server::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct AudioServer {
  explicit AudioServer(AudioConfig audio = {}, std::chrono::milliseconds fake_word_delay = 0ms) {
    AudioModels models;
    auto ps = voice::PocketsphinxModel::load(voice::default_pocketsphinx_paths());
    CHECK(ps.ok()) << ps.error().to_string();
    models.recognizer = std::move(ps).value();
    models.synthesizers.push_back(std::make_unique<voice::FliteSynthesizer>());
    models.synthesizers.push_back(std::make_unique<voice::FakeSynthesizer>(voice::FakeOptions{fake_word_delay}));
    auto s = AudioService::create(audio, std::move(models));
    CHECK(s.ok()) << s.error().to_string();
    service = std::move(s).value();
    ServerConfig config;
    config.port = 0;
    config.limits.upload_prefix = "/v1/audio/";
    config.limits.upload_body_limit = audio.decode.max_input_bytes + (64 << 10);
    backend = std::make_shared<FakeBackend>(FakeBackendConfig{});
    auto started = HttpServer::start(config, backend, service);
    CHECK(started.ok()) << started.error().to_string();
    server = std::move(started).value();
  }
  ClientResponse speech(const json& body) const {
    return http_request(server->port(), "POST", "/v1/audio/speech", body.dump(), {{"Content-Type", "application/json"}});
  }
  std::shared_ptr<FakeBackend> backend;
  std::shared_ptr<AudioService> service;
  std::unique_ptr<HttpServer> server;
};

struct Field {
  std::string name, value, filename;
};

ClientResponse post_form(uint16_t port, const std::vector<Field>& fields) {
  const std::string boundary = "r1-test-boundary-7d3f";
  std::string body;
  for (const Field& f : fields) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.name + "\"";
    if (!f.filename.empty()) body += "; filename=\"" + f.filename + "\"\r\nContent-Type: application/octet-stream";
    body += "\r\n\r\n" + f.value + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return http_request(port, "POST", "/v1/audio/transcriptions", body,
                      {{"Content-Type", "multipart/form-data; boundary=" + boundary}});
}

std::string error_code(const ClientResponse& r) {
  const json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error") || !j["error"].contains("message")) return "<not an OpenAI error>";
  return j["error"]["code"].is_string() ? j["error"]["code"].get<std::string>() : "";
}

const char* kSentence = "please send the report to my office before noon";

TEST(AudioApi, SpeechInEveryFormatDecodesAndTranscribesBack) {
  AudioServer s;
  for (const char* format : {"wav", "flac", "opus", "mp3"}) {
    const ClientResponse r = s.speech({{"model", "tts-1"}, {"voice", "echo"}, {"input", kSentence}, {"response_format", format}});
    ASSERT_EQ(r.status, 200) << format << r.body.substr(0, 200);
    auto decoded = voice::decode_audio(r.body);
    ASSERT_TRUE(decoded.ok()) << format << decoded.error().to_string();
    EXPECT_GT(decoded->seconds, 1.5) << format;
    const ClientResponse t = post_form(s.server->port(), {{"file", r.body, std::string("a.") + format}, {"model", "whisper-1"}});
    ASSERT_EQ(t.status, 200) << t.body;
    EXPECT_LE(voice::word_error_rate(kSentence, json::parse(t.body)["text"].get<std::string>()), 0.35) << t.body;
  }
  const ClientResponse pcm = s.speech({{"model", "tts-1"}, {"voice", "slt"}, {"input", "hello"}, {"response_format", "pcm"}});
  ASSERT_EQ(pcm.status, 200);
  EXPECT_EQ(pcm.header("content-type"), "audio/pcm");
  EXPECT_EQ(pcm.body.size() % 2, 0u);
}

TEST(AudioApi, TranscriptionFormatsAndStream) {
  AudioServer s;
  const std::string wav = s.speech({{"model", "tts-1"}, {"voice", "rms"}, {"input", kSentence}, {"response_format", "wav"}}).body;
  const uint16_t port = s.server->port();
  const ClientResponse verbose = post_form(port, {{"file", wav, "a.wav"}, {"model", "pocketsphinx-en-us"},
                                                  {"response_format", "verbose_json"},
                                                  {"timestamp_granularities[]", "word"}});
  ASSERT_EQ(verbose.status, 200) << verbose.body;
  const json v = json::parse(verbose.body);
  EXPECT_EQ(v["task"], "transcribe");
  EXPECT_GE(v["words"].size(), 6u);
  EXPECT_FALSE(v.contains("segments"));  // only word was asked for
  const ClientResponse text = post_form(port, {{"file", wav, "a.wav"}, {"model", "whisper-1"}, {"response_format", "text"}});
  EXPECT_EQ(text.header("content-type").substr(0, 10), "text/plain");
  const ClientResponse srt = post_form(port, {{"file", wav, "a.wav"}, {"model", "whisper-1"}, {"response_format", "srt"}});
  EXPECT_EQ(srt.body.substr(0, 2), "1\n");
  const ClientResponse stream = post_form(port, {{"file", wav, "a.wav"}, {"model", "whisper-1"}, {"stream", "true"}});
  ASSERT_EQ(stream.status, 200);
  const std::vector<std::string> events = sse_data(stream.body);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(json::parse(events.front())["type"], "transcript.text.delta");
  const json done = json::parse(events.back());
  EXPECT_EQ(done["type"], "transcript.text.done");
  EXPECT_EQ(done["text"], json::parse(post_form(port, {{"file", wav, "a.wav"}, {"model", "whisper-1"}}).body)["text"]);
}

TEST(AudioApi, BadRequestsGetOpenAiErrors) {
  AudioConfig small;
  small.decode.max_input_bytes = 400 << 10;
  small.decode.max_seconds = 5;
  AudioServer s(small);
  const uint16_t port = s.server->port();
  const std::string wav = s.speech({{"model", "tts-1"}, {"voice", "slt"}, {"input", "hello there"}, {"response_format", "wav"}}).body;
  struct Case {
    ClientResponse r;
    int status;
    const char* why;
  };
  const Case cases[] = {
      {post_form(port, {{"model", "whisper-1"}}), 400, "no file"},
      {post_form(port, {{"file", wav, "a.wav"}}), 400, "no model"},
      {post_form(port, {{"file", wav, "a.wav"}, {"model", "gpt-9"}}), 404, "unknown model"},
      {post_form(port, {{"file", wav, "a.wav"}, {"model", "whisper-1"}, {"language", "zh"}}), 400, "language"},
      {post_form(port, {{"file", wav, "a.wav"}, {"model", "whisper-1"}, {"response_format", "docx"}}), 400, "format"},
      {post_form(port, {{"file", wav, "a.wav"}, {"model", "whisper-1"}, {"timestamp_granularities[]", "word"}}), 400, "granularity needs verbose_json"},
      {post_form(port, {{"file", "RIFF\x10\0\0\0WAVEfmt garbage", "a.wav"}, {"model", "whisper-1"}}), 400, "corrupt audio"},
      {post_form(port, {{"file", std::string(150 << 10, '\0'), "a.raw"}, {"model", "whisper-1"}}), 400, "not audio"},
      {http_request(port, "POST", "/v1/audio/transcriptions", "x", {{"Content-Type", "text/plain"}}), 400, "not multipart"},
      {post_form(port, {{"file", std::string(500 << 10, 'a'), "big.wav"}, {"model", "whisper-1"}}), 413, "over the upload limit"},
      {s.speech({{"model", "tts-1"}, {"voice", "nobody"}, {"input", "hi"}}), 400, "voice"},
      {s.speech({{"model", "tts-1"}, {"voice", "slt"}, {"input", "hi"}, {"speed", 0.1}}), 400, "speed"},
      {s.speech({{"model", "tts-1"}, {"voice", "slt"}, {"input", "  "}}), 400, "empty input"},
      {s.speech({{"model", "tts-1"}, {"voice", "slt"}, {"input", std::string(5000, 'a')}}), 400, "long input"},
      {s.speech({{"model", "tts-1"}, {"voice", "slt"}, {"input", "hi"}, {"response_format", "aac"}}), 400, "aac"},
      {s.speech({{"model", "tts-1"}, {"voice", "slt"}, {"input", "hi"}, {"stream_format", "ws"}}), 400, "stream_format"},
      {s.speech({{"voice", "slt"}, {"input", "hi"}}), 400, "no model"},
      {http_request(port, "POST", "/v1/audio/speech", "{not json", {}), 400, "bad json"},
      {http_request(port, "GET", "/v1/audio/speech", "", {}), 405, "method"},
      {http_request(port, "POST", "/v1/audio/translations", "", {}), 404, "unknown audio route"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.r.status, c.status) << c.why << ": " << c.r.body.substr(0, 200);
    if (c.status != 413) {
      EXPECT_NE(error_code(c.r), "<not an OpenAI error>") << c.why << ": " << c.r.body.substr(0, 200);
    }
  }
  // A long recording: 6 s of the fake voice > the 5 s limit.
  const ClientResponse longer = s.speech({{"model", "tts-1"}, {"voice", "fake"}, {"input", std::string(30, 'w') + " a b c d e f g h i j k l m n o p q r s t u v w x y z"}, {"response_format", "wav"}});
  ASSERT_EQ(longer.status, 200);
  const ClientResponse too_long = post_form(port, {{"file", longer.body, "l.wav"}, {"model", "whisper-1"}});
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  EXPECT_EQ(error_code(too_long), "audio_too_long");
  // And the server still answers.
  EXPECT_EQ(post_form(port, {{"file", wav, "a.wav"}, {"model", "whisper-1"}}).status, 200);
}

TEST(AudioApi, BusyVoiceThreadsAnswer429AndTextIsNotHeldUp) {
  AudioConfig one;
  one.threads = 1;
  one.queue = 0;
  AudioServer s(one, 200ms);
  const uint16_t port = s.server->port();
  std::atomic<bool> slow_done{false};
  std::thread slow([&] {  // 6 words at 200 ms: the only voice thread is busy for 1.2 s
    const ClientResponse r = s.speech({{"model", "tts-1"}, {"voice", "fake"}, {"input", "one two three four five six"}, {"response_format", "pcm"}});
    EXPECT_EQ(r.status, 200);
    slow_done = true;
  });
  while (s.service->in_flight() == 0) std::this_thread::sleep_for(5ms);
  const ClientResponse busy = s.speech({{"model", "tts-1"}, {"voice", "fake"}, {"input", "hi"}});
  EXPECT_EQ(busy.status, 429) << busy.body;
  EXPECT_EQ(busy.header("retry-after"), "1");
  const ClientResponse chat = http_request(port, "POST", "/v1/chat/completions",
                                           R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":2})");
  EXPECT_EQ(chat.status, 200);
  EXPECT_FALSE(slow_done.load());  // text was answered while the voice thread was still busy
  slow.join();
}

TEST(AudioApi, AClientThatLeavesCancelsItsSynthesis) {
  AudioServer s({}, 300ms);
  RawConnection conn(s.server->port());
  std::string words;
  for (int i = 0; i < 100; ++i) words += "word ";
  const std::string req_body = json{{"model", "tts-1"}, {"voice", "fake"}, {"input", words}, {"response_format", "pcm"}}.dump();
  ASSERT_TRUE(conn.send("POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(req_body.size()) + "\r\n\r\n" + req_body));
  ASSERT_NE(conn.read_until("audio/pcm", 5000), "");
  EXPECT_EQ(s.service->in_flight(), 1);
  conn.close();  // 100 words at 300 ms each would take 30 s
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (s.service->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(s.service->in_flight(), 0);
}

TEST(AudioApi, ModelsAndVoicesAreListed) {
  AudioServer s;
  const json models = json::parse(http_request(s.server->port(), "GET", "/v1/models").body);
  std::vector<std::string> ids;
  for (const json& m : models["data"]) ids.push_back(m["id"]);
  EXPECT_EQ(ids.front(), s.backend->model_id());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "pocketsphinx-en-us"), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "tts-flite"), ids.end());
  const json voices = json::parse(http_request(s.server->port(), "GET", "/v1/audio/voices").body);
  bool slt = false, fake_cmn = false;
  for (const json& v : voices["data"]) {
    slt = slt || (v["name"] == "slt" && v["language"] == "en-US");
    fake_cmn = fake_cmn || v["name"] == "fake-cmn";
  }
  EXPECT_TRUE(slt && fake_cmn) << voices.dump();
}

TEST(AudioApi, WithoutAServiceTheAudioRoutesAre404) {
  auto backend = std::make_shared<FakeBackend>(FakeBackendConfig{});
  ServerConfig config;
  config.port = 0;
  auto server = HttpServer::start(config, backend);
  ASSERT_TRUE(server.ok());
  const ClientResponse r = http_request((*server)->port(), "POST", "/v1/audio/speech", "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("--voice"), std::string::npos);
}

}  // namespace
}  // namespace r1::server::test
