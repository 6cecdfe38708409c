#!/usr/bin/env bash
# make.sh regenerates the sample media in this folder with ffmpeg.
#
# The content is encoded once into a temporary MP4 master (90 kHz video
# timescale) and then remuxed without re-encoding into FLV, MPEG-TS and CMAF,
# so all three files carry the same access units. FLV timestamps are rounded
# to milliseconds by the format itself.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

DURATION=10
SIZE=640x360
FPS=30
GOP=30
# VIDEO_KBPS can be lowered to shrink the committed files.
VIDEO_KBPS=${VIDEO_KBPS:-800}
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

for tool in ffmpeg ffprobe; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "make.sh: $tool not found (run: bash scripts/deps.sh test)" >&2
		exit 1
	fi
done

video="testsrc2=size=${SIZE}:rate=${FPS}"
# The filter list is captured first: grep -q closing the pipe early would
# make ffmpeg fail under pipefail.
filters=$(ffmpeg -hide_banner -filters 2>/dev/null || true)
if [[ -r $FONT && $filters == *" drawtext "* ]]; then
	# The frame number and the presentation time are burned in large, so a
	# screenshot of a player tells exactly which frame it shows.
	box="fontfile=${FONT}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8"
	video+=",drawtext=${box}:fontsize=64:x=24:y=64:text='frame %{frame_num}'"
	video+=",drawtext=${box}:fontsize=48:x=24:y=h-th-24:text='%{pts\\:hms}'"
else
	echo "make.sh: drawtext or $FONT unavailable; using plain testsrc2" >&2
fi

# The sine tone beeps at 4x its frequency for a moment every second.
audio="sine=frequency=440:beep_factor=4:sample_rate=48000"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
master="$work/master.mp4"

# No -tune zerolatency: B-frames stay on, so PTS and DTS differ. The GOP is
# fixed at exactly one second (no scene-cut keyframes, closed GOPs). x264 runs
# on one thread because VBV with frame threads is not deterministic, and
# bitexact keeps version strings out, so a rerun rewrites identical files.
ffmpeg -hide_banner -loglevel error -nostdin -y \
	-f lavfi -i "$video" \
	-f lavfi -i "$audio" \
	-t "$DURATION" \
	-map 0:v -map 1:a \
	-c:v libx264 -threads:v 1 -profile:v main -preset medium -pix_fmt yuv420p \
	-b:v "${VIDEO_KBPS}k" -maxrate "${VIDEO_KBPS}k" -bufsize "$((2 * VIDEO_KBPS))k" \
	-g "$GOP" -keyint_min "$GOP" -sc_threshold 0 -x264-params open-gop=0 \
	-c:a aac -profile:a aac_low -ar 48000 -ac 2 -b:a 96k \
	-video_track_timescale 90000 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact \
	"$master"

ffmpeg -hide_banner -loglevel error -nostdin -y -i "$master" \
	-map 0 -c copy -fflags +bitexact -f flv sample.flv

ffmpeg -hide_banner -loglevel error -nostdin -y -i "$master" \
	-map 0 -c copy -fflags +bitexact -f mpegts sample.ts

# frag_keyframe with a one-second GOP gives one fragment per GOP.
ffmpeg -hide_banner -loglevel error -nostdin -y -i "$master" \
	-map 0 -c copy -fflags +bitexact \
	-movflags +frag_keyframe+empty_moov+default_base_moof+cmaf \
	-f mp4 sample.cmaf.mp4

for f in sample.flv sample.ts sample.cmaf.mp4; do
	printf 'make.sh: wrote testdata/%s (%s bytes)\n' "$f" "$(stat -c %s "$f")"
done
