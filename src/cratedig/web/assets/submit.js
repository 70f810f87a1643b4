// Submit a video URL and follow its processing live, step by step.

import { api, ApiError } from "./api.js";
import { keyText, playButton, tempoText } from "./card.js";
import { h, replace } from "./dom.js";
import { duration, stepName, title } from "./format.js";
import { player } from "./player.js";

const POLL_MS = 500;

export function mount(main) {
  document.title = "Submit · cratedig";
  const input = h("input", {
    id: "submit-url",
    name: "url",
    type: "url",
    required: true,
    placeholder: "https://www.tiktok.com/@user/video/…",
    autocomplete: "off",
    "aria-describedby": "submit-hint submit-error",
  });
  const error = h("p", { id: "submit-error", class: "field-error", role: "alert" });
  const button = h("button", { type: "submit", class: "button" }, "Submit");
  const form = h(
    "form",
    { class: "submit-form", novalidate: true },
    h("label", { for: "submit-url" }, "Video URL"),
    h("div", { class: "submit-row" }, input, button),
    h("p", { id: "submit-hint", class: "hint" }, "A TikTok post (www, m, vm or vt links) or a direct media file on an allowed host."),
    error,
  );
  const list = h("ol", { class: "trackers", "aria-label": "Submitted samples" });
  replace(main, h("h1", {}, "Submit a video"), form, list);
  const trackers = new Set();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const url = input.value.trim();
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    if (!url) {
      error.textContent = "Paste the address of a video first.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    button.disabled = true;
    try {
      const sample = await api("/api/v1/samples", { method: "POST", body: { url } });
      input.value = "";
      const tracker = new Tracker(sample);
      trackers.add(tracker);
      list.prepend(tracker.el);
    } catch (failure) {
      error.textContent = failure instanceof ApiError ? failure.message : String(failure);
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  input.focus();

  return {
    unmount() {
      for (const tracker of trackers) tracker.stop();
    },
  };
}

/** One submitted sample: polls its status every 500 ms until completed or failed. */
class Tracker {
  constructor(sample) {
    this.sample = sample;
    this.timer = 0;
    this.stopped = false;
    this.heading = h("h2", {}, h("span", { class: "url" }, sample.source_url));
    this.state = h("p", { class: "state", role: "status", "aria-live": "polite" });
    this.bar = h("progress", { max: 1, value: 0, "aria-label": "Processing progress" });
    this.details = h("p", { class: "details" });
    this.el = h("li", { class: "tracker", dataset: { sampleId: sample.id } }, this.heading, this.bar, this.state, this.details);
    this.poll();
  }

  async poll() {
    if (this.stopped) return;
    try {
      const progress = await api(`/api/v1/samples/${this.sample.id}/status`);
      this.show(progress);
      if (progress.status === "completed" || progress.status === "failed") {
        if (progress.status === "completed") this.completed();
        return;
      }
    } catch (error) {
      this.details.textContent = `Could not read the status: ${error.message}. Retrying…`;
    }
    if (!this.stopped) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  show(progress) {
    const { status, step, step_number: number, step_count: total } = progress;
    this.el.dataset.status = status;
    this.bar.max = total || 1;
    this.bar.value = status === "completed" ? total : Math.max(0, (number || 1) - 1);
    let text;
    if (status === "pending") text = "Waiting in the queue…";
    else if (status === "processing") text = `Step ${number} of ${total}: ${stepName(step)}`;
    else if (status === "completed") text = "Completed";
    else text = `Failed${step ? ` at step ${number} of ${total}: ${stepName(step)}` : ""}`;
    this.state.textContent = text;
    this.state.className = `state state-${status}`;
    const notes = [];
    if (progress.attempts > 1) notes.push(`attempt ${progress.attempts}`);
    if (progress.error_code) {
      const label = status === "failed" ? "Reason" : "Retry pending";
      notes.push(`${label}: ${progress.error_code}${progress.error_message ? ` — ${progress.error_message}` : ""}`);
    }
    this.details.textContent = notes.join(" · ");
    this.details.classList.toggle("error", status === "failed");
  }

  async completed() {
    try {
      this.sample = await api(`/api/v1/samples/${this.sample.id}`);
    } catch {
      // the link below still works
    }
    const sample = this.sample;
    replace(this.heading, h("a", { href: `/samples/${sample.id}` }, title(sample)));
    // The finished sample, ready to hear: play it here, with what the analysis found.
    const ready = sample.audio_url_hls || sample.audio_url_mp3;
    this.details.append(
      h(
        "span",
        { class: "finished" },
        ready ? playButton(sample) : null,
        ready ? tempoText(sample) : null,
        ready ? keyText(sample) : null,
        ready ? h("span", { class: "muted" }, duration(sample.duration_seconds)) : null,
        h("a", { class: "button secondary", href: `/samples/${sample.id}` }, "Open the sample"),
      ),
    );
    if (ready) player.setQueue([sample]);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
