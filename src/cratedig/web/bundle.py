"""The front-end assets with content-hashed names, and the HTML shell that references them."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("cratedig.web")

ASSETS_DIR = Path(__file__).parent / "assets"
SHELL_TEMPLATE = Path(__file__).parent / "shell.html"
REPO_ROOT = Path(__file__).resolve().parents[3]
NODE_MODULES = REPO_ROOT / "web" / "node_modules"
HLS_JS = NODE_MODULES / "hls.js" / "dist" / "hls.min.js"
STRETCH_JS = NODE_MODULES / "signalsmith-stretch" / "SignalsmithStretch.mjs"
SWAGGER_DIR = NODE_MODULES / "swagger-ui-dist"
# The API docs' Swagger UI (npm's swagger-ui-dist, Apache-2.0), served like hls.js so /docs
# needs no outside host. Plain scripts, not modules: the page's import map leaves them out.
DOCS_FILES = {
    "swagger-ui-bundle.js": "swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui.css",
    "swagger-favicon.png": "favicon-32x32.png",
}
ASSETS_URL = "/assets/"
ENTRY_MODULE = "app.js"
STYLESHEET = "app.css"
HLS_NAME = "hls.min.js"
# The time-stretcher (an ES module that starts its own AudioWorklet): imported on demand only.
STRETCH_NAME = "signalsmith-stretch.mjs"
NOT_PRELOADED = (HLS_NAME, STRETCH_NAME)
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# The npm builds end with a source map comment; the map is not served, so drop the pointer.
_SOURCE_MAP = re.compile(rb"\n(?://# sourceMappingURL=\S+|/\*# sourceMappingURL=\S+ ?\*/)\s*$")


@dataclass(frozen=True)
class Asset:
    """One file as served: its plain and hashed names, body, gzip body and media type."""

    name: str
    hashed_name: str
    body: bytes
    gzipped: bytes | None
    media_type: str

    @property
    def url(self) -> str:
        """Where the shell points to it (long-cached)."""
        return ASSETS_URL + self.hashed_name


@dataclass(frozen=True)
class Bundle:
    """Every asset by plain and hashed name, the rendered shell, or why there is none."""

    by_name: dict[str, Asset]
    by_hashed_name: dict[str, Asset]
    shell: str
    problem: str | None


def hashed_name(name: str, body: bytes) -> str:
    """`app.js` → `app.1a2b3c4d.js`: the first 8 hex digits of the body's SHA-256."""
    stem, dot, ext = name.rpartition(".")
    digest = hashlib.sha256(body).hexdigest()[:8]
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


def make_asset(name: str, body: bytes) -> Asset:
    """An asset with its hash and, when it compresses, a gzip body."""
    media_type = MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream")
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    gzipped = packed if len(packed) < len(body) * 0.9 else None
    return Asset(name, hashed_name(name, body), body, gzipped, media_type)


def load_bundle(
    assets_dir: Path = ASSETS_DIR,
    hls_js: Path = HLS_JS,
    stretch_js: Path = STRETCH_JS,
    swagger_dir: Path = SWAGGER_DIR,
) -> Bundle:
    """Read and hash every asset once (at app start); a missing page file is a stated problem
    (a missing Swagger UI only leaves /docs without it: web.routes says so there)."""
    files = {
        path.name: path.read_bytes() for path in sorted(assets_dir.iterdir()) if path.is_file()
    }
    for name, file_name in DOCS_FILES.items():
        if (swagger_dir / file_name).is_file():
            files[name] = _SOURCE_MAP.sub(b"\n", (swagger_dir / file_name).read_bytes())
    missing = []
    for name, path in ((HLS_NAME, hls_js), (STRETCH_NAME, stretch_js)):
        if path.is_file():
            files[name] = _SOURCE_MAP.sub(b"\n", path.read_bytes())
        else:
            missing.append(str(path))
    problem = None
    if missing:
        problem = f"{', '.join(missing)} missing: install the web packages with `cd web && npm ci`"
        log.error("web page disabled: %s", problem)
    assets = [make_asset(name, body) for name, body in files.items()]
    by_name = {asset.name: asset for asset in assets}
    return Bundle(
        by_name=by_name,
        by_hashed_name={asset.hashed_name: asset for asset in assets},
        shell=render_shell(by_name),
        problem=problem,
    )


def render_shell(assets: dict[str, Asset]) -> str:
    """The one HTML page: hashed URLs, an import map for module imports, module preloads."""
    modules = [a for _, a in sorted(assets.items()) if a.media_type.startswith("text/javascript")]
    modules = [a for a in modules if a.name != HLS_NAME and a.name not in DOCS_FILES]
    # Modules import each other by plain relative names (`./api.js`): the import map sends
    # each to its hashed URL, so changing one module never changes the others' hashes.
    import_map = {"imports": {ASSETS_URL + a.name: a.url for a in modules}}
    preloaded = [a for a in modules if a.name not in NOT_PRELOADED]
    preloads = "\n".join(
        f'<link rel="modulepreload" href="{html.escape(a.url)}">' for a in preloaded
    )
    hls = assets.get(HLS_NAME)
    template = SHELL_TEMPLATE.read_text(encoding="utf-8")
    return (
        template.replace("{{stylesheet}}", html.escape(assets[STYLESHEET].url))
        .replace("{{import_map}}", json.dumps(import_map, indent=1).replace("</", "<\\/"))
        .replace("{{module_preloads}}", preloads)
        .replace("{{entry}}", html.escape(assets[ENTRY_MODULE].url))
        .replace("{{hls}}", html.escape(hls.url if hls else ""))
    )
