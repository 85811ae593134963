# asr/: r1_voice_asr (see ../CMakeLists.txt): pocketsphinx 0.8.
r1_library(r1_voice_asr
  SOURCES asr/pocketsphinx_recognizer.cpp asr/transcriber.cpp asr/recognizer_pool.cpp asr/wer.cpp
  DEPS r1_voice_frontend r1_core r1_pocketsphinx)
list(APPEND R1_VOICE_PARTS r1_voice_asr)
