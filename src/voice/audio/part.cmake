# voice/audio: decode (libsndfile, raw PCM16), resample (libsamplerate),
# encode (WAV, PCM, FLAC, Ogg Opus, MP3), multipart/form-data. libogg and
# libvorbis (libsndfile's own dependencies) only for vorbis_guard.
pkg_check_modules(VORBIS REQUIRED IMPORTED_TARGET vorbis ogg)
r1_library(r1_voice_audio
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/decode.cpp
    ${CMAKE_CURRENT_LIST_DIR}/encode.cpp
    ${CMAKE_CURRENT_LIST_DIR}/multipart.cpp
    ${CMAKE_CURRENT_LIST_DIR}/resample.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sndfile_io.cpp
    ${CMAKE_CURRENT_LIST_DIR}/vorbis_guard.cpp
  DEPS r1_core PkgConfig::SNDFILE PkgConfig::SAMPLERATE PkgConfig::VORBIS)
list(APPEND R1_VOICE_PARTS r1_voice_audio)
