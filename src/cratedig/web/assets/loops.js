// Loops on repeat: the sample's WAV decoded once, an AudioBufferSourceNode looping one span.
//
// loopStart/loopEnd on a buffer source repeat sample-accurately (no gap, no click from a
// restart); the source feeds the same graph as the stream, so matching applies to loops too.

import { graph } from "./audio.js";

const decoded = new Map(); // sample id → Promise<AudioBuffer>

/** The sample's audio, downloaded (WAV, else MP3) and decoded once per page life. */
export function decode(sample) {
  if (!decoded.has(sample.id)) {
    const format = sample.audio_url_wav ? "wav" : "mp3";
    const request = fetch(`/api/v1/samples/${sample.id}/download?format=${format}`)
      .then((response) => {
        if (!response.ok) throw new Error(`download: HTTP ${response.status}`);
        return response.arrayBuffer();
      })
      .then((bytes) => graph.ensure(null).decodeAudioData(bytes));
    request.catch(() => decoded.delete(sample.id));
    decoded.set(sample.id, request);
  }
  return decoded.get(sample.id);
}

/** The 1/2/4/8-bar loops of a sample (seconds), as the analysis suggests them. */
export function loopsOf(sample) {
  return (sample.loops || []).filter((loop) => loop.end > loop.start).sort((a, b) => a.bars - b.bars);
}

class LoopPlayer extends EventTarget {
  constructor() {
    super();
    this.current = null; // {sample, loop, source, startedAt}
  }

  /** Play `loop` of `sample` on repeat (stops whatever loop played before). */
  async play(sample, loop) {
    graph.ensure(null);
    const buffer = await decode(sample);
    this.stop();
    const source = graph.context.createBufferSource();
    source.buffer = buffer;
    source.loop = true;
    source.loopStart = loop.start;
    source.loopEnd = Math.min(loop.end, buffer.duration);
    source.playbackRate.value = graph.settings.matched ? graph.settings.ratio : 1;
    source.connect(graph.bus);
    const startedAt = graph.context.currentTime;
    source.start(startedAt, loop.start);
    graph.loopSource = source;
    this.current = { sample, loop, source, startedAt };
    this.dispatchEvent(new Event("change"));
  }

  stop() {
    if (!this.current) return;
    this.current.source.stop();
    this.current.source.disconnect();
    graph.loopSource = null;
    this.current = null;
    this.dispatchEvent(new Event("change"));
  }

  isPlaying(sampleId, loop) {
    const now = this.current;
    return Boolean(now && now.sample.id === sampleId && (!loop || (now.loop.start === loop.start && now.loop.end === loop.end)));
  }

  /** Where in the sample the loop plays now (seconds), and how many times it came round. */
  position() {
    if (!this.current) return null;
    const { loop, source, startedAt } = this.current;
    const length = source.loopEnd - source.loopStart;
    const played = (graph.context.currentTime - startedAt) * source.playbackRate.value;
    return { seconds: loop.start + (played % length), repeats: Math.floor(played / length) };
  }
}

export const loopPlayer = new LoopPlayer();
