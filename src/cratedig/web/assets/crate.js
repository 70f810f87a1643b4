// The crate: samples put aside while digging, kept in this browser, shared as a link.

const STORE_KEY = "cratedig.crate";
const SHARE_PREFIX = "#crate=";
// What the crate keeps of a sample (enough to list it; the rest is fetched when needed).
const KEPT = ["id", "title", "sound_title", "bpm", "key", "scale", "duration_seconds", "creator"];

function summary(sample) {
  const kept = {};
  for (const name of KEPT) kept[name] = sample[name] ?? null;
  if (kept.creator) kept.creator = { username: kept.creator.username };
  return kept;
}

class Crate extends EventTarget {
  constructor() {
    super();
    this.items = [];
    try {
      const stored = JSON.parse(localStorage.getItem(STORE_KEY) || "[]");
      if (Array.isArray(stored)) this.items = stored.filter((item) => item && typeof item.id === "string");
    } catch {
      this.items = [];
    }
  }

  save() {
    localStorage.setItem(STORE_KEY, JSON.stringify(this.items));
    this.dispatchEvent(new Event("change"));
  }

  has(id) {
    return this.items.some((item) => item.id === String(id));
  }

  get ids() {
    return this.items.map((item) => item.id);
  }

  add(sample) {
    if (this.has(sample.id)) return;
    this.items.push(summary({ ...sample, id: String(sample.id) }));
    this.save();
  }

  remove(id) {
    this.items = this.items.filter((item) => item.id !== String(id));
    this.save();
  }

  /** Move an item `step` places (-1 up, +1 down). */
  move(id, step) {
    const at = this.items.findIndex((item) => item.id === id);
    const to = at + step;
    if (at < 0 || to < 0 || to >= this.items.length) return;
    const [item] = this.items.splice(at, 1);
    this.items.splice(to, 0, item);
    this.save();
  }

  /** Put `id` just before `beforeId` (drag and drop). */
  place(id, beforeId) {
    const item = this.items.find((i) => i.id === id);
    if (!item || id === beforeId) return;
    this.items = this.items.filter((i) => i.id !== id);
    const at = this.items.findIndex((i) => i.id === beforeId);
    this.items.splice(at < 0 ? this.items.length : at, 0, item);
    this.save();
  }

  clear() {
    this.items = [];
    this.save();
  }

  /** A link that opens this crate in anyone's browser. */
  shareUrl() {
    return `${location.origin}/${SHARE_PREFIX}${this.ids.join(",")}`;
  }

  /** Samples listed in `#crate=id1,id2` are added (their details fetched by `load(id)`). */
  async importFromHash(load) {
    if (!location.hash.startsWith(SHARE_PREFIX)) return 0;
    const ids = decodeURIComponent(location.hash.slice(SHARE_PREFIX.length)).split(",").filter(Boolean);
    let added = 0;
    for (const id of ids) {
      if (this.has(id)) continue;
      try {
        this.items.push(summary(await load(id)));
        added += 1;
      } catch {
        // a sample deleted since the link was made: leave it out
      }
    }
    if (added) this.save();
    return added;
  }
}

export const crate = new Crate();
