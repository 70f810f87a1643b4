// The operators' dashboard: pipeline queue, operations with live progress, retry, start.

import { adminToken, api, ApiError } from "./api.js";
import { announce, h, replace } from "./dom.js";
import { dateTime, seconds, shortId, stepName } from "./format.js";
import { shownProgress, tabbed } from "./opsview.js";

const BUSY_POLL_MS = 1500;
const IDLE_POLL_MS = 5000;
const SHOWN_ITEMS = 50;
const STATUSES = [["", "any status"], ["pending", "pending"], ["processing", "processing"], ["completed", "completed"], ["failed", "failed"]];

/** The forms that start operations: their fields and how a request body is built. */
const OPERATIONS = [
  {
    id: "reprocess",
    title: "Reprocess samples",
    path: "/api/v1/samples/reprocess",
    what: "reprocess",
    dryRun: true,
    fields: [
      { name: "filter_status", label: "Status", type: "select", options: STATUSES },
      { name: "limit", label: "Limit", type: "number" },
      { name: "skip_reset", label: "Skip reset (keep current media until the new run publishes)", type: "checkbox" },
      { name: "broken_links_only", label: "Only samples with broken links", type: "checkbox" },
    ],
  },
  {
    id: "backfill",
    title: "Backfill HLS streams",
    path: "/api/v1/admin/backfill-hls",
    what: "add HLS to",
    dryRun: true,
    fields: [
      { name: "limit", label: "Limit", type: "number" },
      { name: "batch_size", label: "Batch size", type: "number", value: "1", max: 16 },
    ],
  },
  {
    id: "migrate",
    title: "Migrate external media",
    path: "/api/v1/admin/migrate-media",
    what: "migrate the media of",
    dryRun: true,
    fields: [{ name: "limit", label: "Limit", type: "number" }],
  },
  {
    id: "check-links",
    title: "Check links",
    path: "/api/v1/admin/check-links",
    what: "check the links of",
    dryRun: false, // the API has no dry run here: the review step shows the request instead
    fields: [
      { name: "status", label: "Status", type: "select", options: STATUSES },
      { name: "limit", label: "Limit", type: "number" },
      { name: "repair", label: "Repair: reprocess the broken ones", type: "checkbox" },
    ],
  },
  {
    id: "reanalyze",
    title: "Re-analyse tempo and key",
    path: "/api/v1/admin/reanalyze",
    what: "re-analyse",
    dryRun: true,
    fields: [{ name: "limit", label: "Limit", type: "number" }],
  },
];

function bodyOf(form, spec) {
  const body = {};
  for (const fieldSpec of spec.fields) {
    const control = form.elements.namedItem(fieldSpec.name);
    if (fieldSpec.type === "checkbox") body[fieldSpec.name] = control.checked;
    else if (fieldSpec.type === "number") {
      if (control.value !== "") body[fieldSpec.name] = Number(control.value);
    } else if (control.value !== "") body[fieldSpec.name] = control.value;
  }
  return body;
}

function control(spec, fieldSpec) {
  const id = `op-${spec.id}-${fieldSpec.name}`;
  if (fieldSpec.type === "checkbox") {
    return h("div", { class: "field field-check" }, h("input", { id, name: fieldSpec.name, type: "checkbox" }), h("label", { for: id }, fieldSpec.label));
  }
  const input =
    fieldSpec.type === "select"
      ? h("select", { id, name: fieldSpec.name }, fieldSpec.options.map(([value, text]) => h("option", { value }, text)))
      : h("input", { id, name: fieldSpec.name, type: "number", min: 1, max: fieldSpec.max || 1000000, step: 1, inputmode: "numeric", value: fieldSpec.value || "" });
  return h("div", { class: "field" }, h("label", { for: id }, fieldSpec.label), input);
}

export function mount(main) {
  document.title = "Operations · cratedig";
  let timer = 0;
  let stopped = false;
  let authProblem = false;
  const highlight = new Set();
  const openErrors = new Set(); // operations whose error list the reader opened

  // --- admin token ---
  const tokenMessage = h("p", { class: "field-error", role: "alert" });
  const tokenInput = h("input", { id: "admin-token", type: "password", autocomplete: "off", "aria-describedby": "admin-token-hint" });
  const tokenState = h("p", { class: "muted" });
  const tokenForm = h(
    "form",
    { class: "token-form" },
    h("label", { for: "admin-token" }, "Admin token"),
    h("div", { class: "submit-row" }, tokenInput, h("button", { type: "submit", class: "button" }, "Use token")),
    h("p", { id: "admin-token-hint", class: "hint" }, "Kept in this tab only (session storage). Not needed on this machine when the server has no token configured."),
  );
  const forget = h("button", { type: "button", class: "button secondary" }, "Forget token");
  const tokenSection = h("section", { class: "panel", "aria-labelledby": "token-title" }, h("h2", { id: "token-title" }, "Access"), tokenState, tokenForm, forget, tokenMessage);

  function showToken() {
    const has = Boolean(adminToken.get());
    tokenState.textContent = has ? "An admin token is set for this tab." : "No admin token set: calls count as local.";
    forget.hidden = !has;
  }
  tokenForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!tokenInput.value.trim()) return;
    adminToken.set(tokenInput.value);
    tokenInput.value = "";
    tokenMessage.textContent = "";
    authProblem = false;
    showToken();
    refresh();
  });
  forget.addEventListener("click", () => {
    adminToken.clear();
    showToken();
    refresh();
  });

  // --- pipeline ---
  const pipelineBody = h("div", { class: "pipeline" }, h("p", { class: "muted" }, "Loading…"));
  const pipelineSection = h("section", { class: "panel", "aria-labelledby": "pipeline-title" }, h("h2", { id: "pipeline-title" }, "Pipeline"), pipelineBody);

  // --- start forms ---
  const startSection = h("section", { class: "panel", "aria-labelledby": "start-title" }, h("h2", { id: "start-title" }, "Start an operation"), h("div", { class: "op-forms" }, OPERATIONS.map(startForm)));

  // --- operations list ---
  const operationsList = h("ol", { class: "operations", "aria-label": "Recent operations" });
  const operationsStatus = h("p", { class: "muted", role: "status" }, "Loading…");
  const operationsSection = h("section", { class: "panel", "aria-labelledby": "operations-title" }, h("h2", { id: "operations-title" }, "Recent operations"), operationsStatus, operationsList);

  const tabs = tabbed([
    ["pipeline", "Pipeline", [pipelineSection]],
    ["operations", "Operations", [startSection, operationsSection]],
    ["access", "Access", [tokenSection]],
  ]);
  replace(main, h("h1", {}, "Operations"), tabs.bar, ...tabs.panels);
  showToken();

  function startForm(spec) {
    const form = h(
      "form",
      { class: "op-form", dataset: { operation: spec.id }, "aria-labelledby": `op-${spec.id}-title` },
      h("h3", { id: `op-${spec.id}-title` }, spec.title),
      spec.fields.map((fieldSpec) => control(spec, fieldSpec)),
      h("button", { type: "submit", class: "button secondary" }, spec.dryRun ? "Dry run" : "Review"),
    );
    const result = h("div", { class: "op-result", "aria-live": "polite" });
    form.append(result);
    form.addEventListener("input", () => replace(result)); // a changed request needs a new dry run
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = bodyOf(form, spec);
      if (!spec.dryRun) {
        review(result, spec, body);
        return;
      }
      replace(result, h("p", {}, "Running the dry run…"));
      try {
        const answer = await api(spec.path, { method: "POST", body: { ...body, dry_run: true }, admin: true });
        showDryRun(result, spec, body, answer);
        refresh();
      } catch (error) {
        replace(result, errorText(error));
      }
    });
    return form;
  }

  function showDryRun(result, spec, body, answer) {
    const samples = answer.samples || [];
    const rows = samples.slice(0, SHOWN_ITEMS).map((item) =>
      h(
        "li",
        {},
        h("a", { href: `/samples/${item.id}` }, item.source_url || shortId(item.id)),
        [item.creator && ` @${item.creator}`, item.status && ` · ${item.status}`, item.reason && ` · ${item.reason}`].filter(Boolean).join(""),
      ),
    );
    const extra = answer.total_samples > rows.length ? h("p", { class: "muted" }, `… and ${answer.total_samples - rows.length} more.`) : null;
    const parts = [h("p", { class: "op-message" }, answer.message)];
    if (rows.length) parts.push(h("ul", { class: "dry-run-list", "aria-label": "Samples in the dry run" }, rows), extra);
    if (answer.status === "dry_run" && answer.total_samples > 0) {
      parts.push(confirmButtons(result, spec, body, `Confirm: ${spec.what} ${answer.total_samples} sample${answer.total_samples === 1 ? "" : "s"}`));
    }
    replace(result, ...parts);
  }

  function review(result, spec, body) {
    const scope = `${body.status ? `${body.status} samples` : "all samples"}${body.limit ? `, at most ${body.limit}` : ""}`;
    const effect = body.repair ? "Broken samples will be reprocessed." : "Read-only: nothing is changed.";
    replace(result, h("p", { class: "op-message" }, `This will ${spec.what} ${scope}. ${effect}`), confirmButtons(result, spec, body, `Confirm: ${spec.title.toLowerCase()}`));
  }

  function confirmButtons(result, spec, body, label) {
    const confirm = h("button", { type: "button", class: "button danger" }, label);
    const cancel = h("button", { type: "button", class: "button secondary" }, "Cancel");
    confirm.addEventListener("click", async () => {
      confirm.disabled = true;
      try {
        const request = spec.dryRun ? { ...body, dry_run: false } : body;
        const answer = await api(spec.path, { method: "POST", body: request, admin: true });
        if (answer.operation_id) highlight.add(answer.operation_id);
        replace(result, h("p", { class: "op-message" }, answer.message));
        announce(answer.message);
        refresh();
      } catch (error) {
        confirm.disabled = false;
        result.append(errorText(error));
      }
    });
    cancel.addEventListener("click", () => replace(result));
    return h("div", { class: "actions" }, confirm, cancel);
  }

  function errorText(error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) showAuthProblem(error);
    return h("p", { class: "field-error", role: "alert" }, error instanceof ApiError ? error.message : String(error));
  }

  function showAuthProblem(error) {
    authProblem = true;
    tokenMessage.textContent = `The server refused: ${error.message}. Enter the admin token.`;
    tabs.show("access");
    tokenInput.focus();
  }

  // --- rendering of polled data ---
  /** Re-render polled parts without losing the keyboard focus inside them. */
  function keepingFocus(render) {
    const key = document.activeElement?.dataset?.focusKey;
    render();
    if (key) main.querySelector(`[data-focus-key="${key}"]`)?.focus();
  }

  function renderPipeline(data) {
    const counts = data.counts || {};
    const tiles = h(
      "ul",
      { class: "tiles", "aria-label": "Samples by status" },
      ["pending", "processing", "completed", "failed"].map((name) =>
        h("li", { class: `tile tile-${name}` }, h("span", { class: "tile-count" }, String(counts[name] ?? 0)), h("span", { class: "tile-label" }, name)),
      ),
    );
    keepingFocus(() => replace(
      pipelineBody,
      tiles,
      queueList("Processing", data.processing, (item) => [`step ${item.step_number ?? "?"} of ${item.step_count ?? "?"}: ${stepName(item.step)}`, item.attempts > 1 ? ` · attempt ${item.attempts}` : "", item.error_code ? ` · retry pending: ${item.error_code} — ${item.error_message || ""}` : ""].join("")),
      queueList("Pending", data.pending, (item) => (item.attempts ? `attempts ${item.attempts}` : "waiting")),
      queueList("Failed", data.failed, (item) => `${item.step ? `at ${stepName(item.step)}: ` : ""}${item.error_code || "error"}${item.error_message ? ` — ${item.error_message}` : ""}`, retryButton),
      queueList("Recently completed", data.recent, (item) => `${dateTime(item.processed_at)}${item.duration_seconds !== null && item.duration_seconds !== undefined ? ` · took ${seconds(item.duration_seconds)}` : ""}`),
    ));
  }

  function queueList(heading, items, describe, action = null) {
    items = items || [];
    const id = `queue-${heading.toLowerCase().replaceAll(" ", "-")}`;
    return h(
      "div",
      { class: "queue" },
      h("h3", { id }, `${heading} (${items.length})`),
      items.length
        ? h(
            "ul",
            { "aria-labelledby": id, class: "queue-list" },
            items.map((item) =>
              h(
                "li",
                { dataset: { sampleId: item.id } },
                h("a", { href: `/samples/${item.id}` }, item.title || item.source_url || shortId(item.id)),
                h("span", { class: "queue-detail" }, describe(item)),
                action ? action(item) : null,
              ),
            ),
          )
        : h("p", { class: "muted" }, "None."),
    );
  }

  function retryButton(item) {
    const button = h("button", { type: "button", class: "button secondary small", dataset: { focusKey: `retry-${item.id}` }, "aria-label": `Retry ${item.title || item.source_url || shortId(item.id)}` }, "Retry");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const answer = await api(`/api/v1/samples/${item.id}/retry`, { method: "POST", admin: true });
        if (answer?.operation_id) highlight.add(answer.operation_id);
        announce(answer?.message || "Retry queued.");
        refresh();
      } catch (error) {
        button.disabled = false;
        button.after(errorText(error));
      }
    });
    return button;
  }

  function renderOperations(operations) {
    operationsStatus.textContent = operations.length ? "" : "No operations yet.";
    keepingFocus(() => replace(operationsList, operations.map(operationItem)));
  }

  function operationItem(op) {
    const items = op.items;
    const finished = items.done + items.skipped + items.failed;
    const shown = shownProgress(op);
    const pipeline = op.pipeline
      ? h("p", { class: "muted" }, `pipelines: ${op.pipeline.queued} queued, ${op.pipeline.processing} processing, ${op.pipeline.completed} completed, ${op.pipeline.failed} failed`)
      : null;
    const errors = op.errors.length
      ? h(
          "details",
          { open: openErrors.has(op.id), ontoggle: (event) => (event.target.open ? openErrors.add(op.id) : openErrors.delete(op.id)) },
          h("summary", { dataset: { focusKey: `errors-${op.id}` } }, `${op.errors.length} error${op.errors.length === 1 ? "" : "s"}`),
          h("ul", {}, op.errors.map((e) => h("li", {}, h("a", { href: `/samples/${e.subject_id}` }, shortId(e.subject_id)), `: ${e.detail || e.state}`))),
        )
      : null;
    return h(
      "li",
      { class: `operation${highlight.has(op.id) ? " is-new" : ""}`, dataset: { operationId: op.id, status: op.status, dryRun: String(op.dry_run) } },
      h(
        "p",
        { class: "op-head" },
        h("strong", {}, op.kind),
        op.dry_run ? h("span", { class: "badge" }, "dry run") : null,
        h("span", { class: `badge status-${shown.state}` }, shown.label),
        h("time", { datetime: op.created_at }, dateTime(op.created_at)),
        h("span", { class: "muted" }, `by ${op.origin}`),
      ),
      op.dry_run ? null : h("progress", { max: shown.total || 1, value: shown.total ? shown.finished : shown.state === "completed" ? 1 : 0, "aria-label": `Progress of ${op.kind}` }),
      op.dry_run ? null : h("p", {}, `${finished} of ${items.total} items: ${items.done} done, ${items.skipped} skipped, ${items.failed} failed${items.queued ? `, ${items.queued} queued` : ""}`),
      pipeline,
      op.message ? h("p", { class: "op-message" }, op.message) : null,
      errors,
    );
  }

  // --- polling ---
  async function refresh() {
    clearTimeout(timer);
    if (stopped) return;
    let busy = false;
    const [pipeline, operations] = await Promise.allSettled([
      api("/api/v1/pipeline", { admin: true }),
      api("/api/v1/operations", { admin: true }),
    ]);
    if (stopped) return;
    if (pipeline.status === "fulfilled") {
      renderPipeline(pipeline.value);
      busy ||= (pipeline.value.counts?.pending || 0) + (pipeline.value.counts?.processing || 0) > 0;
    } else {
      replace(pipelineBody, pipelineError(pipeline.reason));
    }
    if (operations.status === "fulfilled") {
      renderOperations(operations.value);
      busy ||= operations.value.some((op) => op.status === "running");
    } else {
      operationsStatus.textContent = "";
      replace(operationsList, errorText(operations.reason));
    }
    const refused = [pipeline, operations].some((r) => r.status === "rejected" && [401, 403].includes(r.reason.status));
    if (!refused) {
      authProblem = false;
      tokenMessage.textContent = "";
    }
    clearTimeout(timer); // refreshes may overlap (a button and the timer): keep one chain
    if (!authProblem && !document.hidden) timer = setTimeout(refresh, busy ? BUSY_POLL_MS : IDLE_POLL_MS);
  }

  function pipelineError(error) {
    if (error instanceof ApiError && error.status === 404) return h("p", { class: "muted" }, "This server has no pipeline dashboard.");
    return errorText(error);
  }

  const onVisible = () => {
    if (!document.hidden) refresh();
  };
  document.addEventListener("visibilitychange", onVisible);
  refresh();

  return {
    unmount() {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    },
  };
}
