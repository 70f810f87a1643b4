// The one shared <audio> element: HLS through hls.js (or natively), one sample at a time.

import { graph } from "./audio.js";
import { announce } from "./dom.js";
import { title } from "./format.js";
import { loopPlayer } from "./loops.js";
import { matchOf, onProjectChange, project } from "./match.js";

const NATIVE_HLS = "application/vnd.apple.mpegurl";
const HLS_CONFIG = {
  // Fetch the first segment while only hovered (media not attached yet): fast first sound.
  startFragPrefetch: true,
  maxBufferLength: 30,
  backBufferLength: 30,
};

let hlsScript = null;

function mediaSourceSupported() {
  const source = window.ManagedMediaSource || window.MediaSource;
  return Boolean(source?.isTypeSupported?.('audio/mp4; codecs="mp4a.40.2"'));
}

/** hls.js (a classic script, loaded once on demand); resolves with the Hls class. */
export function loadHlsJs() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsScript) {
    hlsScript = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = document.documentElement.dataset.hlsSrc;
      script.async = true;
      script.onload = () => resolve(window.Hls);
      script.onerror = () => {
        hlsScript = null;
        reject(new Error("hls.js did not load"));
      };
      document.head.append(script);
    });
  }
  return hlsScript;
}

class Player extends EventTarget {
  constructor(audio) {
    super();
    this.audio = audio;
    this.current = null;
    this.hls = null;
    this.prepared = null; // {id, hls}: a stream loading for a hovered sample
    this.queue = [];
    this.watchers = new Map(); // sample id → Set of waveforms showing it
    this.pendingSeek = null;
    this.frame = 0;
    // hls.js wherever Media Source Extensions exist (its hover preload makes the first sound
    // about three times sooner than Chromium's native HLS: see bench/preview.py); native HLS
    // where they do not (older iPhones).
    this.native = !mediaSourceSupported() && audio.canPlayType(NATIVE_HLS) !== "";
    for (const type of ["play", "playing", "pause", "ended", "emptied"]) {
      audio.addEventListener(type, () => this.changed());
    }
    audio.addEventListener("timeupdate", () => this.tick());
    audio.addEventListener("seeked", () => this.tick());
    audio.addEventListener("durationchange", () => this.applyPendingSeek());
    audio.addEventListener("error", () => {
      if (this.current && audio.error) announce(`Could not play ${title(this.current)}.`);
    });
  }

  /** Which way streams play here: "native" or "hls.js". */
  get engine() {
    return this.native ? "native" : "hls.js";
  }

  get playing() {
    return this.current !== null && !this.audio.paused && !this.audio.ended;
  }

  isPlaying(id) {
    return this.playing && this.current.id === id;
  }

  /** The samples next/previous walk through, in page order. */
  setQueue(samples) {
    this.queue = samples;
  }

  /** Load hls.js (and the stretcher when matching) ahead of need, at idle time. */
  warm() {
    if (!this.native) loadHlsJs().catch(() => {});
    if (project.active) graph.loadStretch().catch(() => announce("Matching is unavailable in this browser."));
  }

  /** Route the sound through the graph when matched to the project (or already routed). */
  route(sample) {
    const match = matchOf(sample);
    if (match.matched || graph.element) graph.ensure(this.audio); // in the click: it may start
    graph.apply(match, this.audio);
  }

  /** Start loading a sample's stream (hover/focus), so a click plays at once. */
  prepare(sample) {
    if (this.native || !sample.audio_url_hls) return;
    if (this.current?.id === sample.id || this.prepared?.id === sample.id) return;
    loadHlsJs().then((Hls) => {
      if (!Hls.isSupported() || this.prepared?.id === sample.id) return;
      if (this.current?.id === sample.id) return;
      this.dropPrepared();
      const hls = this.createHls(Hls, 0);
      hls.loadSource(sample.audio_url_hls);
      this.prepared = { id: sample.id, hls };
    }, () => {});
  }

  dropPrepared() {
    if (this.prepared) this.prepared.hls.destroy();
    this.prepared = null;
  }

  createHls(Hls, startPosition) {
    const hls = new Hls({ ...HLS_CONFIG, startPosition: startPosition > 0 ? startPosition : -1 });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal || hls !== this.hls) return;
      announce(`Playback failed: ${data.details}.`);
      this.stop();
    });
    return hls;
  }

  /** Play `sample` from `fraction` (0..1) of its length, or resume it. */
  play(sample, fraction = null) {
    if (this.current?.id === sample.id) {
      if (fraction !== null) this.seek(fraction);
      this.start();
      return;
    }
    this.detach();
    loopPlayer.stop();
    this.current = sample;
    this.route(sample);
    this.pendingSeek = null;
    const at = fraction ? fraction * (sample.duration_seconds || 0) : 0;
    const url = sample.audio_url_hls;
    if (!url || this.native || (window.Hls && !window.Hls.isSupported())) {
      // Native HLS, or the MP3 where neither hls.js nor native HLS can play the stream.
      this.audio.src = (this.native && url) || sample.audio_url_mp3 || url;
      if (at > 0) this.pendingSeek = fraction;
      this.start();
    } else if (window.Hls) {
      this.attach(window.Hls, sample, at); // at once: keeps the click's user activation
    } else {
      const mp3 = () => {
        this.audio.src = sample.audio_url_mp3;
        if (at > 0) this.pendingSeek = fraction;
        this.start();
      };
      loadHlsJs().then(
        (Hls) => {
          if (this.current?.id !== sample.id) return;
          if (Hls.isSupported()) this.attach(Hls, sample, at);
          else mp3();
        },
        () => this.current?.id === sample.id && mp3(),
      );
    }
    this.changed();
  }

  attach(Hls, sample, at) {
    let hls;
    if (this.prepared?.id === sample.id && at === 0) {
      hls = this.prepared.hls;
      this.prepared = null;
    } else {
      hls = this.createHls(Hls, at);
      hls.loadSource(sample.audio_url_hls);
    }
    this.hls = hls;
    hls.attachMedia(this.audio);
    this.start();
  }

  start() {
    loopPlayer.stop();
    if (graph.element) graph.ensure(this.audio); // resumes the context within the gesture
    this.audio.play().catch((error) => {
      // Switching samples aborts the pending play(): expected, not a failure.
      if (error.name === "NotAllowedError") announce("Press play to listen.");
    });
  }

  detach() {
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    } else if (this.audio.getAttribute("src")) {
      this.audio.pause();
      this.audio.removeAttribute("src");
      this.audio.load();
    }
    if (this.current) this.paint(this.current.id, 0);
  }

  stop() {
    this.detach();
    this.current = null;
    this.changed();
  }

  /** Play one of the sample's loops on repeat (matched like the stream); again: stop it. */
  toggleLoop(sample, loop) {
    if (loopPlayer.isPlaying(sample.id, loop)) {
      loopPlayer.stop();
      return Promise.resolve();
    }
    this.audio.pause();
    graph.ensure(null);
    graph.apply(matchOf(sample), this.audio);
    return loopPlayer.play(sample, loop).catch((error) => announce(`Could not play the loop: ${error.message}`));
  }

  /** Play or pause a sample's stream: a card's button. */
  toggleSample(sample) {
    if (this.current?.id === sample.id) this.toggle();
    else this.play(sample);
  }

  /** Space: pause or resume (or start the first sample in view). */
  toggle() {
    if (!this.current) {
      if (this.queue.length) this.play(this.queue[0]);
      return;
    }
    if (this.audio.paused || this.audio.ended) this.start();
    else this.audio.pause();
  }

  /** Jump within the current sample to `fraction` of its length. */
  seek(fraction) {
    const total = this.audio.duration;
    if (Number.isFinite(total) && total > 0) {
      this.audio.currentTime = fraction * total;
      this.pendingSeek = null;
    } else {
      this.pendingSeek = fraction;
    }
    this.tick();
  }

  /** A click on a waveform: seek in the playing sample, or play another from there. */
  seekSample(sample, fraction) {
    if (this.current?.id === sample.id) {
      this.seek(fraction);
      if (this.audio.paused) this.start();
    } else {
      this.play(sample, fraction);
    }
  }

  applyPendingSeek() {
    if (this.pendingSeek !== null) this.seek(this.pendingSeek);
  }

  /** Next (step 1) or previous (step -1) sample in the queue. */
  step(step) {
    if (!this.queue.length) return null;
    const at = this.current ? this.queue.findIndex((s) => s.id === this.current.id) : -1;
    const index = at === -1 ? 0 : at + step;
    if (index < 0 || index >= this.queue.length) return null;
    const sample = this.queue[index];
    this.play(sample);
    this.dispatchEvent(new CustomEvent("moved", { detail: sample }));
    return sample;
  }

  next() {
    return this.step(1);
  }

  previous() {
    return this.step(-1);
  }

  /** Position of the current sample, 0..1. */
  progress() {
    if (!this.current) return 0;
    const total = Number.isFinite(this.audio.duration)
      ? this.audio.duration
      : this.current.duration_seconds;
    return total ? this.audio.currentTime / total : 0;
  }

  /** Show this sample's position on `waveform` while it lives in the page. */
  watch(id, waveform) {
    if (!this.watchers.has(id)) this.watchers.set(id, new Set());
    this.watchers.get(id).add(waveform);
    if (this.current?.id === id) waveform.setProgress(this.progress());
  }

  paint(id, fraction) {
    const set = this.watchers.get(id);
    if (!set) return;
    for (const waveform of set) {
      if (waveform.canvas.isConnected) waveform.setProgress(fraction);
      else set.delete(waveform);
    }
    if (!set.size) this.watchers.delete(id);
  }

  tick() {
    if (this.current) this.paint(this.current.id, this.progress());
    this.dispatchEvent(new Event("time"));
  }

  changed() {
    cancelAnimationFrame(this.frame);
    if (this.playing) {
      const loop = () => {
        this.tick();
        this.frame = requestAnimationFrame(loop);
      };
      loop();
    } else {
      this.tick();
    }
    this.syncButtons();
    this.dispatchEvent(new Event("change"));
  }

  /** Every play button on the page shows whether its sample plays. */
  syncButtons() {
    for (const button of document.querySelectorAll("[data-play-id]")) {
      const id = button.dataset.playId;
      const playing = this.isPlaying(id);
      const name = button.dataset.playTitle;
      button.setAttribute("aria-label", `${playing ? "Pause" : "Play"} ${name}`);
      button.dataset.state = playing ? "playing" : "paused";
      button.closest(".card")?.classList.toggle("is-current", this.current?.id === id);
    }
  }
}

export const player = new Player(document.getElementById("audio"));
player.audio.volume = graph.volume;
onProjectChange(() => {
  if (loopPlayer.current) graph.apply(matchOf(loopPlayer.current.sample), player.audio);
  else if (player.current) player.route(player.current);
  if (project.active) graph.loadStretch().catch(() => {});
});
