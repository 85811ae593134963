// A pre-check for Ogg Vorbis uploads (internal to voice/audio): libsndfile
// 1.2.0 leaks the vorbis_info it set up (about 6 KB) whenever it fails to
// read a stream's Vorbis headers (ogg_vorbis_open returns before it sets
// its close hook; found by voice_audio_fuzz). This parses the same three
// headers with libogg/libvorbis first and rejects the stream when they are
// broken, so libsndfile only ever sees Vorbis headers it can read.
//
// Thread contract: pure function; safe from any thread.
#pragma once

#include <string_view>

#include "core/result.h"

namespace r1::voice {

// kCorrupt when bytes is an Ogg stream whose first packet is a Vorbis
// identification header and the three Vorbis headers do not all parse;
// ok for anything else (not Ogg, not Vorbis: left to libsndfile).
Status check_ogg_vorbis_headers(std::string_view bytes);

}  // namespace r1::voice
