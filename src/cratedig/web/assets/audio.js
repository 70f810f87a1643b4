// The Web Audio graph every sound goes through: source → (time/pitch stretcher) → volume → out.
//
// Unmatched, the <audio> element plays on its own; matched (or a loop), sound goes through here.
// Matching a preview to the project: the media element (or a loop's buffer source) plays at
// `ratio` like a varispeed turntable, and the Signalsmith stretcher (an AudioWorklet) shifts the
// pitch back by 12·log2(ratio) semitones plus the key shift. One stretcher, live input, so the
// HLS stream needs no new request and a loop stays sample-accurate.

const STRETCH_MODULE = "/assets/signalsmith-stretch.mjs"; // hashed by the import map
const BLOCK_MS = 40; // shorter blocks than the default 120 ms: a click is heard sooner (previews, not masters)
const VOLUME_KEY = "cratedig.volume";

class AudioGraph {
  constructor() {
    this.context = null;
    this.element = null; // the MediaElementAudioSourceNode of the shared <audio>
    this.bus = null; // every source connects here
    this.stretch = null; // the AudioWorkletNode once loaded
    this.stretchLoading = null;
    this.output = null; // volume
    this.analyser = null;
    this.settings = { ratio: 1, semitones: 0, matched: false };
    this.volume = readVolume();
  }

  /** Create the context and the fixed part of the graph (safe to call often). */
  ensure(audio) {
    if (!this.context) {
      this.context = new AudioContext({ latencyHint: "interactive" });
      this.bus = this.context.createGain();
      this.output = this.context.createGain();
      this.output.gain.value = this.volume;
      this.analyser = this.context.createAnalyser();
      this.analyser.fftSize = 2048;
      this.output.connect(this.analyser);
      this.output.connect(this.context.destination);
      this.bus.connect(this.output);
    }
    if (audio && !this.element) {
      // Only once matching is wanted: from then on the element plays through the graph for
      // good (a media file from another origin without CORS would be silent there).
      this.element = this.context.createMediaElementSource(audio);
      this.element.connect(this.bus);
      audio.volume = 1; // the graph's volume applies now
    }
    if (this.context.state === "suspended") this.context.resume().catch(() => {});
    return this.context;
  }

  /** Load the stretcher's worklet ahead of need; resolves with the node. */
  loadStretch() {
    if (!this.stretchLoading) {
      this.ensure(null);
      this.stretchLoading = import(STRETCH_MODULE)
        .then(({ default: SignalsmithStretch }) => SignalsmithStretch(this.context))
        .then(async (node) => {
          await node.configure({ blockMs: BLOCK_MS });
          await node.start();
          this.stretch = node;
          this.route();
          return node;
        });
      this.stretchLoading.catch(() => {
        this.stretchLoading = null;
      });
    }
    return this.stretchLoading;
  }

  /** Match (or not) whatever plays: speed on the sources, pitch on the stretcher. */
  apply(settings, audio) {
    this.settings = settings;
    const rate = settings.matched ? settings.ratio : 1;
    if (audio) {
      audio.preservesPitch = !settings.matched; // matched: the stretcher corrects the pitch
      audio.defaultPlaybackRate = rate; // survives hls.js attaching a new source
      audio.playbackRate = rate;
    }
    if (this.loopSource) this.loopSource.playbackRate.value = rate;
    if (settings.matched && !this.stretch) this.loadStretch().catch(() => {});
    this.route();
  }

  route() {
    if (!this.bus) return;
    const { matched, ratio, semitones } = this.settings;
    this.bus.disconnect();
    if (matched && this.stretch) {
      const correction = semitones - 12 * Math.log2(ratio);
      this.stretch.schedule({ active: true, semitones: correction });
      this.bus.connect(this.stretch);
      this.stretch.disconnect();
      this.stretch.connect(this.output);
    } else {
      this.bus.connect(this.output);
    }
  }

  /** Whether sound now passes through the stretcher. */
  get stretching() {
    return Boolean(this.settings.matched && this.stretch);
  }

  /** The volume of everything heard: the graph's gain, or the element's own before it is routed. */
  setVolume(value, audio) {
    this.volume = Math.min(1, Math.max(0, value));
    localStorage.setItem(VOLUME_KEY, String(this.volume));
    if (this.output) this.output.gain.value = this.volume;
    if (audio && !this.element) audio.volume = this.volume;
  }

  /** Root-mean-square of what is heard now (0 when silent): proof that sound comes out. */
  level() {
    if (!this.analyser) return 0;
    const data = new Float32Array(this.analyser.fftSize);
    this.analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const v of data) sum += v * v;
    return Math.sqrt(sum / data.length);
  }
}

function readVolume() {
  const stored = Number(localStorage.getItem(VOLUME_KEY));
  return localStorage.getItem(VOLUME_KEY) !== null && Number.isFinite(stored) ? stored : 0.9;
}

export const graph = new AudioGraph();
