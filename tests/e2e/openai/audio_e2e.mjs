// The official openai npm client against a real r1serve (through `r1serve
// up`'s gateway): speech in every format transcribed back, the transcription
// formats, both streams, the errors a client sees, the voice models in
// /v1/models, and text generation that goes on while voice requests run.
// Usage: node audio_e2e.mjs BASE_URL OPENAI_MODULE_DIR
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const [baseURL, moduleDir] = process.argv.slice(2);
const { default: OpenAI, toFile, APIError } = await import(pathToFileURL(`${moduleDir}/index.mjs`).href);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 120_000 });

const words = (s) => s.toLowerCase().replace(/[^a-z0-9' ]/g, " ").split(/\s+/).filter(Boolean);
function wer(ref, hyp) {
  const r = words(ref), h = words(hyp);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; ++i) {
    const cur = [i];
    for (let j = 1; j <= h.length; ++j) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[h.length] / r.length;
}
let checks = 0;
const step = (name) => console.log(`--- ${name}`);
const ok = (cond, msg) => { assert.ok(cond, msg); ++checks; };

async function speak(input, voice, format, extra = {}) {
  const res = await client.audio.speech.create({ model: "tts-1", voice, input, response_format: format, ...extra });
  return Buffer.from(await res.arrayBuffer());
}
async function transcribe(bytes, name, extra = {}) {
  return client.audio.transcriptions.create({ file: await toFile(bytes, name), model: "whisper-1", ...extra });
}
async function expectStatus(promise, status, what) {
  try {
    await promise;
  } catch (e) {
    ok(e instanceof APIError && e.status === status, `${what}: expected ${status}, got ${e.status} ${e.message}`);
    return e;
  }
  assert.fail(`${what}: expected an error ${status}`);
}

step("models");
const models = (await client.models.list()).data.map((m) => m.id);
for (const id of ["pocketsphinx-en-us", "tts-flite"]) ok(models.includes(id), `${id} in ${models}`);

const sentence = "the weather will be sunny tomorrow afternoon";
step("speech in every format, transcribed back");
const magic = { wav: "RIFF", flac: "fLaC", opus: "OggS", mp3: null, pcm: null };
for (const [format, voice] of [["wav", "alloy"], ["flac", "echo"], ["opus", "nova"], ["mp3", "slt"]]) {
  const audio = await speak(sentence, voice, format);
  ok(audio.length > 2000, `${format}: ${audio.length} bytes`);
  if (magic[format]) ok(audio.subarray(0, 4).toString("latin1") === magic[format], `${format} magic`);
  const t = await transcribe(audio, `speech.${format === "opus" ? "ogg" : format}`);
  console.log(`${format}/${voice}: "${t.text}" WER ${wer(sentence, t.text).toFixed(2)}`);
  ok(wer(sentence, t.text) <= 0.35, `${format} round trip: ${t.text}`);
}
const pcm = await speak("hello world", "slt", "pcm");
ok(pcm.length % 2 === 0 && pcm.length > 24000 * 2 * 0.4, `pcm is 24 kHz s16le: ${pcm.length} bytes`);
const slow = await speak(sentence, "slt", "pcm", { speed: 0.5 });
const fast = await speak(sentence, "slt", "pcm", { speed: 2.0 });
ok(slow.length > 1.5 * fast.length, `speed: ${slow.length} vs ${fast.length}`);

step("transcription formats");
const wav = await speak("please send the report to my office before noon", "rms", "wav");
const verbose = await transcribe(wav, "a.wav", { response_format: "verbose_json", timestamp_granularities: ["word", "segment"] });
ok(verbose.duration > 1 && verbose.language === "english", JSON.stringify(verbose).slice(0, 200));
ok(verbose.words.length >= 6 && verbose.segments.length >= 1, "words and segments");
ok(verbose.words.every((w, i) => w.end > w.start && (i === 0 || w.start >= verbose.words[i - 1].start)), "word times");
const srt = await transcribe(wav, "a.wav", { response_format: "srt" });
ok(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/.test(srt), `srt: ${srt}`);
const vtt = await transcribe(wav, "a.wav", { response_format: "vtt" });
ok(vtt.startsWith("WEBVTT"), `vtt: ${vtt}`);
const text = await transcribe(wav, "a.wav", { response_format: "text" });
ok(typeof text === "string" && wer("please send the report to my office before noon", text) <= 0.35, `text: ${text}`);

step("streamed transcription (transcript.text.delta / done)");
const two = Buffer.concat([await speak("turn off the lights in the kitchen. how much does the new computer cost.", "awb", "wav")]);
const stream = await transcribe(two, "two.wav", { stream: true });
let deltas = "", done = null, events = 0;
for await (const ev of stream) {
  ++events;
  if (ev.type === "transcript.text.delta") deltas += ev.delta;
  if (ev.type === "transcript.text.done") done = ev.text;
}
ok(done !== null && deltas === done && events >= 2, `stream: ${events} events, "${deltas}" vs "${done}"`);

step("streamed speech (sse)");
const sse = await client.audio.speech.create({ model: "tts-1", voice: "slt", input: sentence, response_format: "pcm", stream_format: "sse" });
const body = await sse.text();
const evs = body.split("\n\n").filter((b) => b.startsWith("data: ")).map((b) => JSON.parse(b.slice(6)));
const audioBytes = evs.filter((e) => e.type === "speech.audio.delta").reduce((n, e) => n + Buffer.from(e.audio, "base64").length, 0);
ok(evs.at(-1).type === "speech.audio.done" && audioBytes > 24000, `sse: ${evs.length} events, ${audioBytes} bytes`);

step("errors a client sees");
await expectStatus(speak(sentence, "no-such-voice", "wav"), 400, "unknown voice");
await expectStatus(client.audio.speech.create({ model: "tts-9", voice: "slt", input: "x" }), 404, "unknown tts model");
await expectStatus(speak(sentence, "slt", "wav", { speed: 9 }), 400, "speed");
await expectStatus(speak("x".repeat(5000), "slt", "wav"), 400, "input too long");
await expectStatus(transcribe(Buffer.from("this is not audio at all, just text"), "bad.wav"), 400, "not audio");
await expectStatus(transcribe(wav, "a.wav", { language: "zh" }), 400, "language");
await expectStatus(client.audio.transcriptions.create({ file: await toFile(wav, "a.wav"), model: "nope" }), 404, "unknown asr model");
await expectStatus(transcribe(Buffer.alloc(27 << 20, 1), "huge.wav"), 413, "upload over the limit");

step("text goes on while voice runs");
const long = Buffer.concat(Array.from({ length: 6 }, () => wav));
const t0 = Date.now();
const voiceJobs = [transcribe(long, "long.wav"), speak(sentence.repeat(6), "slt", "wav")];
const chat = await client.chat.completions.create({ model: models[0], messages: [{ role: "user", content: "hi" }], max_tokens: 4 });
const chatMs = Date.now() - t0;
await Promise.all(voiceJobs);
const voiceMs = Date.now() - t0;
console.log(`chat answered in ${chatMs} ms while voice took ${voiceMs} ms`);
ok(chat.choices.length === 1 && chatMs < voiceMs, `chat ${chatMs} ms vs voice ${voiceMs} ms`);

console.log(`OPENAI_AUDIO_E2E ${checks} checks passed`);
