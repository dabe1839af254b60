#!/usr/bin/env bash
# Native libraries OpenVocab needs at run time: OpenCvSharp's native library links GTK 3, and network video
# streams go through an ffmpeg child process; the cameras tests start a Mosquitto broker, the cluster tests a Redis
# server, and the server's page is tested in Chromium. Installs them on Debian/Ubuntu when missing; elsewhere says what to do.
set -euo pipefail

missing=()
# Read the cache first: grep -q closing the pipe early would fail the pipeline under pipefail.
libraries=$(ldconfig -p 2>/dev/null || true)
grep -q 'libgtk-3\.so\.0' <<<"$libraries" || missing+=(libgtk-3-0)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
# The cameras tests publish events to a real broker they start themselves.
[ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
# The cluster keeps membership, camera definitions and reminders in Redis; its tests start their own server.
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
# The server's browser test drives Debian's Chromium through its WebDriver.
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing native prerequisites: ${missing[*]}" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
else
  echo "OpenVocab needs these native packages, which this script can only install on Debian/Ubuntu: ${missing[*]}." >&2
  echo "Install GTK 3 (libgtk-3.so.0), ffmpeg, mosquitto, redis-server, chromium and chromedriver with your system's package manager, then run this again." >&2
  exit 1
fi
