"""Package an existing audio file (say a sample's MP3) as the pipeline's HLS stream."""

from __future__ import annotations

from pathlib import Path

from cratedig.media import encode, hls
from cratedig.media.process import ProcessOptions
from cratedig.media.source import SAMPLE_RATE, load_audio
from cratedig.media.wav import write_wav24
from cratedig.media.workdir import job_directory


def audio_to_hls(
    source: Path, hls_dir: Path, options: ProcessOptions | None = None
) -> list[hls.Segment]:
    """Write `hls_dir`/playlist.m3u8 and segment_NNN.ts from `source`; return the segments.

    The same steps as `process_file`: decode to 48 kHz stereo, a 24-bit WAV, one AAC encode
    cut at the planned times. No loudness gain: the source is already the published audio.
    """
    options = options or ProcessOptions()
    hls_dir.mkdir(parents=True, exist_ok=True)
    with job_directory(hls_dir.parent) as work, encode.EncoderGroup() as encoders:
        _, samples = load_audio(source, options.max_duration_seconds, options.limits)
        # The exact decoded length plans the cuts (an MP3's probed duration is off by ~50 ms).
        wav = work / "audio.wav"
        write_wav24(wav, samples, SAMPLE_RATE)
        frames = samples.shape[0]
        encoders.start(
            encode.start_hls(wav, hls_dir, frames, SAMPLE_RATE, options.encode, options.limits)
        )
        encoders.finish_all()
    return hls.write_playlist(hls_dir)
