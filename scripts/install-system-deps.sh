#!/usr/bin/env bash
# Install the system tools cratedig needs (Debian/Ubuntu), only those that are missing.
# Usage: install-system-deps.sh [--test]
set -euo pipefail

missing=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
# Tests and benchmarks also render music (fluidsynth), and play media in a browser.
if [[ "${1:-}" == "--test" ]]; then
  command -v fluidsynth >/dev/null 2>&1 || missing+=(fluidsynth)
  [[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]] || missing+=(fluid-soundfont-gm)
  # The benchmark's development sets render with several GM soundfonts and play tracker
  # modules through libopenmpt (python -m bench.evaluation).
  [[ -f /usr/share/sounds/sf2/TimGM6mb.sf2 ]] || missing+=(timgm6mb-soundfont)
  [[ -f /usr/share/sounds/sf3/MuseScore_General_Lite.sf3 ]] || missing+=(musescore-general-soundfont-small)
  [[ -f /usr/share/sounds/sf2/OPL-3_FM_128M.sf2 ]] || missing+=(opl3-soundfont)
  compgen -G '/usr/lib/*/libopenmpt.so.0' >/dev/null || missing+=(libopenmpt0)
  # The key settings are chosen with a synthetic voice over the music (python -m bench.training key).
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  # A real S3 server for the storage tests: a throwaway single-node Ceph with radosgw.
  command -v ceph-mon >/dev/null 2>&1 || missing+=(ceph-mon)
  command -v ceph-osd >/dev/null 2>&1 || missing+=(ceph-osd)
  command -v radosgw >/dev/null 2>&1 || missing+=(radosgw)
  command -v ceph >/dev/null 2>&1 && command -v monmaptool >/dev/null 2>&1 || missing+=(ceph-common)
  # A throwaway PostgreSQL cluster the tests start on loopback (initdb, pg_ctl).
  command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ||
    missing+=(postgresql)
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "cratedig: installing system packages: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "cratedig: error: please install ${missing[*]} with your package manager" >&2
  exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "cratedig: error: run as root or install: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
