# Voice (src/voice): Debian's speech libraries, linked into r1serve, and the
# tools the voice tests use. Sourced by scripts/setup.sh with ROOT and SUDO set.
#   libwebrtc-audio-processing-dev  WebRTC APM 0.3 (AEC, NS, AGC, HPF, VAD)
#   libpocketsphinx-dev, pocketsphinx-en-us  recognizer (0.8 API) + en-US model
#   flite1-dev        English synthesis (voices kal, kal16, slt, rms, awb)
#   espeak-ng         other languages, run as a child process (GPL-3: never linked)
#   libsndfile1-dev, libsamplerate0-dev, libopus-dev  decode/encode, resampling, Opus
#   sox               test audio (noise mixing, format conversion)
voice_pkgs=(libwebrtc-audio-processing-dev libpocketsphinx-dev pocketsphinx-en-us
            flite1-dev espeak-ng libsndfile1-dev libsamplerate0-dev libopus-dev sox)
voice_missing=()
for p in "${voice_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || voice_missing+=("$p")
done
if [ ${#voice_missing[@]} -gt 0 ]; then
  echo "setup(voice): installing ${voice_missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${voice_missing[@]}"
fi
unset voice_pkgs voice_missing

# The official openai npm client (tests/e2e/openai: exact version and lock)
# into .cache/openai-npm, for the end-to-end tests of the OpenAI endpoints.
openai_npm=$ROOT/.cache/openai-npm
openai_stamp=$(cat "$ROOT/tests/e2e/openai/package.json" "$ROOT/tests/e2e/openai/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$openai_npm/.stamp" 2>/dev/null || true)" != "$openai_stamp" ] ||
   [ ! -f "$openai_npm/node_modules/openai/index.mjs" ]; then
  echo "setup(voice): npm openai into $openai_npm"
  mkdir -p "$openai_npm"
  cp "$ROOT/tests/e2e/openai/package.json" "$ROOT/tests/e2e/openai/package-lock.json" "$openai_npm/"
  (cd "$openai_npm" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$openai_stamp" > "$openai_npm/.stamp"
fi
unset openai_npm openai_stamp
