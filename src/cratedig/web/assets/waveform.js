// Waveforms drawn on a canvas from audiowaveform JSON (v2: min/max pairs), with a playhead.

const peaksByUrl = new Map();
const SEEK_STEP_SECONDS = 5;

/** Min/max peaks in -1..1 of the first channel, fetched once per URL. */
export function loadPeaks(url) {
  if (!peaksByUrl.has(url)) {
    const request = fetch(url)
      .then((response) => {
        if (!response.ok) throw new Error(`waveform: HTTP ${response.status}`);
        return response.json();
      })
      .then(parsePeaks);
    request.catch(() => peaksByUrl.delete(url)); // let a later view try again
    peaksByUrl.set(url, request);
  }
  return peaksByUrl.get(url);
}

function parsePeaks(json) {
  const channels = json.channels || 1;
  const scale = 2 ** ((json.bits || 8) - 1);
  const length = json.length ?? Math.floor(json.data.length / (2 * channels));
  const low = new Float32Array(length);
  const high = new Float32Array(length);
  for (let i = 0; i < length; i += 1) {
    const at = i * channels * 2;
    low[i] = json.data[at] / scale;
    high[i] = json.data[at + 1] / scale;
  }
  return { low, high, length };
}

function colors() {
  const style = getComputedStyle(document.documentElement);
  return {
    rest: style.getPropertyValue("--wave").trim() || "#8b8f98",
    played: style.getPropertyValue("--wave-played").trim() || "#b93a0b",
    head: style.getPropertyValue("--text").trim() || "#1a1a1a",
    beat: style.getPropertyValue("--grid").trim() || "rgb(128 128 128 / 25%)",
    downbeat: style.getPropertyValue("--grid-strong").trim() || "rgb(128 128 128 / 55%)",
    loop: style.getPropertyValue("--loop").trim() || "rgb(80 200 255 / 22%)",
  };
}

/**
 * A seekable waveform for one sample. `onSeek(fraction)` is called on click or keys;
 * the canvas is a slider for assistive tech (its value is the play position).
 */
export class Waveform {
  constructor(sample, { label, onSeek, className = "wave" }) {
    this.sample = sample;
    this.progress = 0;
    this.peaks = null;
    this.onSeek = onSeek;
    const canvas = document.createElement("canvas");
    canvas.className = className;
    canvas.tabIndex = 0;
    canvas.setAttribute("role", "slider");
    canvas.setAttribute("aria-label", label);
    canvas.setAttribute("aria-valuemin", "0");
    canvas.setAttribute("aria-valuemax", String(Math.round(sample.duration_seconds || 0)));
    canvas.setAttribute("aria-valuenow", "0");
    canvas.dataset.state = "loading";
    canvas.addEventListener("click", (event) => this.clicked(event));
    canvas.addEventListener("keydown", (event) => this.keyed(event));
    this.canvas = canvas;
    this.lastSecond = -1;
    this.marks = { beats: sample.beats || [], downbeats: sample.downbeats || [], loop: null };
    new ResizeObserver(() => this.draw()).observe(canvas);
    const repaint = () => (canvas.isConnected ? this.draw() : window.removeEventListener("themechange", repaint));
    window.addEventListener("themechange", repaint);
    if (sample.waveform_data_url) {
      loadPeaks(sample.waveform_data_url).then(
        (peaks) => {
          this.peaks = peaks;
          this.draw();
          canvas.dataset.state = "drawn";
        },
        () => {
          canvas.dataset.state = "error";
        },
      );
    } else {
      canvas.dataset.state = "none";
    }
  }

  clicked(event) {
    const box = this.canvas.getBoundingClientRect();
    if (box.width <= 0) return;
    this.onSeek(Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)));
  }

  keyed(event) {
    const total = this.sample.duration_seconds || 0;
    if (!total) return;
    const now = this.progress * total;
    const moves = {
      ArrowRight: now + SEEK_STEP_SECONDS,
      ArrowUp: now + SEEK_STEP_SECONDS,
      ArrowLeft: now - SEEK_STEP_SECONDS,
      ArrowDown: now - SEEK_STEP_SECONDS,
      Home: 0,
      End: total - 0.5,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    event.stopPropagation(); // arrows seek here instead of changing sample
    this.onSeek(Math.min(1, Math.max(0, moves[event.key] / total)));
  }

  /** Move the playhead (0..1); redraws only when it moved a visible amount. */
  setProgress(fraction) {
    const value = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
    const total = this.sample.duration_seconds || 0;
    const second = Math.floor(value * total);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.canvas.setAttribute("aria-valuenow", String(second));
      this.canvas.setAttribute("aria-valuetext", `${second} of ${Math.round(total)} seconds`);
    }
    if (value === this.progress) return;
    if (value !== 0 && Math.abs(value - this.progress) * (this.canvas.width || 1) < 0.5) return;
    this.progress = value;
    this.draw();
  }

  /** Show a loop's span (or none) over the waveform. */
  setLoop(loop) {
    this.marks.loop = loop;
    this.draw();
  }

  /** Beat grid lines (downbeats stronger) and the active loop, under the bars. */
  drawMarks(context, width, height, palette) {
    const total = this.sample.duration_seconds || 0;
    if (!total) return;
    const x = (seconds) => (seconds / total) * width;
    const { beats, downbeats, loop } = this.marks;
    if (loop) {
      context.fillStyle = palette.loop;
      context.fillRect(x(loop.start), 0, x(loop.end) - x(loop.start), height);
    }
    const strong = new Set(downbeats.map((t) => t.toFixed(2)));
    const line = Math.max(1, Math.round(window.devicePixelRatio || 1));
    for (const beat of beats) {
      context.fillStyle = strong.has(beat.toFixed(2)) ? palette.downbeat : palette.beat;
      context.fillRect(Math.round(x(beat)), 0, line, height);
    }
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * ratio);
    const height = Math.round(canvas.clientHeight * ratio);
    if (width === 0 || height === 0) return;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, width, height);
    if (!this.peaks) return;
    const { low, high, length } = this.peaks;
    const palette = colors();
    this.drawMarks(context, width, height, palette);
    const bar = Math.max(1, Math.round(2 * ratio));
    const gap = Math.max(1, Math.round(ratio));
    const bars = Math.max(1, Math.floor(width / (bar + gap)));
    const playedX = this.progress * width;
    for (let i = 0; i < bars; i += 1) {
      const from = Math.floor((i * length) / bars);
      const to = Math.max(from + 1, Math.floor(((i + 1) * length) / bars));
      let peak = 0;
      for (let j = from; j < to && j < length; j += 1) {
        peak = Math.max(peak, Math.abs(low[j]), Math.abs(high[j]));
      }
      const barHeight = Math.max(ratio, peak * (height - 2 * ratio));
      const x = i * (bar + gap);
      context.fillStyle = x + bar / 2 < playedX ? palette.played : palette.rest;
      context.fillRect(x, (height - barHeight) / 2, bar, barHeight);
    }
    if (this.progress > 0) {
      context.fillStyle = palette.head;
      context.fillRect(Math.min(width - ratio, playedX), 0, Math.max(1, ratio), height);
    }
  }
}
