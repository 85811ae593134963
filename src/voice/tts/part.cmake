# tts/: SpeechSynthesizer, the SSML subset, the synthesis plan and text
# split every backend shares, the fake backend for server tests; flite/ its
# flite backend (linked: flite's licence is BSD-like); espeak/ its espeak-ng
# backend (a child process: espeak-ng is GPL-3 and r1serve is not, so it is
# run, never linked). Included by src/voice/CMakeLists.txt.
set(_r1_tts_flite_libs)
foreach(_lib flite_cmu_us_kal flite_cmu_us_kal16 flite_cmu_us_slt flite_cmu_us_rms
             flite_cmu_us_awb flite_usenglish flite_cmulex)
  find_library(R1_TTS_${_lib} ${_lib} REQUIRED)
  list(APPEND _r1_tts_flite_libs ${R1_TTS_${_lib}})
endforeach()
r1_library(r1_voice_tts
  SOURCES
    tts/fake_synthesizer.cpp
    tts/speech_synthesizer.cpp
    tts/ssml.cpp
    tts/synthesis_plan.cpp
    tts/text_split.cpp
    tts/espeak/child_process.cpp
    tts/espeak/espeak_synthesizer.cpp
    tts/espeak/wav_stream.cpp
    tts/flite/chunk_queue.cpp
    tts/flite/flite_synthesizer.cpp
    tts/flite/silence_trim.cpp
  DEPS r1_core ${_r1_tts_flite_libs} ${FLITE_LIB} m Threads::Threads)
target_include_directories(r1_voice_tts SYSTEM PRIVATE ${FLITE_INCLUDE})
list(APPEND R1_VOICE_PARTS r1_voice_tts)
