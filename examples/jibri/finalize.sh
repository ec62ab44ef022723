#!/usr/bin/env bash
# Jibri finalize script: uploads a finished recording to V4H with the recorder credential.
#
# Jibri (jibri.recording.finalize-script in jibri.conf) runs it with the recording's session directory
# as its only argument; that directory holds <room>_<time>.mp4 and metadata.json
# ({"meeting_url": "https://<jitsi>/<room>", …}). The conference is found by its room name (the last
# path segment of meeting_url).
#
# Configure in Jibri's environment:
#   V4H_URL              base URL of the V4H server, e.g. https://v4h.example.org
#   V4H_RECORDER_SECRET  the server's V4H_RECORDER_SECRET
#   V4H_DELETE_AFTER_UPLOAD=1  (optional) remove each recording once V4H has stored it
# Needs bash, curl and sed; uses jq and openssl when present (jq to read JSON, openssl to send a
# Repr-Digest the server checks). Exits non-zero if any recording was not stored.
set -euo pipefail

log() { printf 'v4h-finalize: %s\n' "$*" >&2; }
urlencode() {
  local LC_ALL=C s="$1" out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case "$c" in
      [a-zA-Z0-9.~_-]) out+="$c" ;;
      *) printf -v c '%%%02X' "'$c"; out+="$c" ;;
    esac
  done
  printf '%s' "$out"
}

dir="${1:?usage: finalize.sh <recording session directory>}"
: "${V4H_URL:?set V4H_URL to the V4H server URL}"
: "${V4H_RECORDER_SECRET:?set V4H_RECORDER_SECRET}"
metadata="$dir/metadata.json"
[ -f "$metadata" ] || { log "no metadata.json in $dir"; exit 2; }

if command -v jq >/dev/null 2>&1; then
  meeting_url="$(jq -r '.meeting_url // empty' "$metadata")"
else
  meeting_url="$(tr -d '\n' <"$metadata" | sed -n 's/.*"meeting_url"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
fi
[ -n "$meeting_url" ] || { log "metadata.json has no meeting_url"; exit 2; }

# https://host/room, https://host/tenant/room, …?query#fragment → room (Jitsi compares room names lowercased).
room="${meeting_url%%[?#]*}"
room="${room%/}"
room="${room##*/}"
room="$(printf '%s' "$room" | tr '[:upper:]' '[:lower:]')"
[[ "$room" =~ ^[a-z0-9_.-]+$ ]] || { log "unexpected room name in meeting_url: $meeting_url"; exit 2; }

shopt -s nullglob
recordings=("$dir"/*.mp4)
[ "${#recordings[@]}" -gt 0 ] || { log "no .mp4 recording in $dir"; exit 2; }

status=0
for file in "${recordings[@]}"; do
  name="$(basename "$file")"
  digest_header=()
  if command -v openssl >/dev/null 2>&1; then
    digest_header=(-H "Repr-Digest: sha-256=:$(openssl dgst -sha256 -binary "$file" | base64 | tr -d '\n'):")
  fi
  # -T streams the file (never loads it whole); the secret goes in through a file descriptor, not
  # the command line (which `ps` shows). The status is checked here (no --fail-with-body: curl < 7.76).
  body_file="$(mktemp)"
  code="$(curl -sS --retry 3 --retry-delay 5 -o "$body_file" -w '%{http_code}' -X POST -T "$file" \
    -H @<(printf 'Authorization: Bearer %s\n' "$V4H_RECORDER_SECRET") -H 'Content-Type: video/mp4' "${digest_header[@]}" \
    "${V4H_URL%/}/api/rooms/$room/files?kind=recording&name=$(urlencode "$name")")" || code="000"
  response="$(cat "$body_file")"
  rm -f -- "$body_file"
  if [ "$code" = 201 ]; then
    log "stored $name for room $room: $response"
    if [ "${V4H_DELETE_AFTER_UPLOAD:-0}" = 1 ]; then rm -f -- "$file"; fi
  else
    log "upload of $name for room $room failed (HTTP $code): $response"
    status=1
  fi
done
exit "$status"
