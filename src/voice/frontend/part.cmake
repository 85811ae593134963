# frontend/: r1_voice_frontend (see ../CMakeLists.txt): WebRTC APM 0.3.
r1_library(r1_voice_frontend
  SOURCES frontend/front_end.cpp frontend/webrtc_front_end.cpp frontend/vad.cpp
  DEPS r1_core PkgConfig::WEBRTC_APM)
list(APPEND R1_VOICE_PARTS r1_voice_frontend)
