"""Regenerate docs/summary.png: the demo's job summary, rendered by GitHub's Markdown engine (cmark-gfm)
in GitHub-like CSS and photographed by headless Chromium.

    .venv/bin/python tools/screenshot_summary.py [--provider empirical] [--out docs/summary.png]

Needs Chromium (Debian: `apt-get install chromium fonts-noto-color-emoji`). `--html PATH` also keeps the
rendered page, to look at in a browser.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options

from testrun_sim.demo import DEFAULT_PROVIDER, demo_job
from testrun_sim.registry import SIMULATORS

ROOT = Path(__file__).resolve().parent.parent
# Chromium's flags for a quiet, offline, single-shot run (no profile, no network, no sandbox in a container).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
WINDOW = "1200,1600"

# Close to github.com's Markdown styles (the `markdown-body` of a job summary), light theme.
CSS = """
body { margin: 0; background: #f6f8fa; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI",
  "Noto Sans", Helvetica, Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji";
  font-size: 14px; line-height: 1.5; color: #1f2328; }
.page { max-width: 1100px; margin: 24px auto; }
.box { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
.box > header { padding: 12px 16px; border-bottom: 1px solid #d1d9e0; font-weight: 600; font-size: 14px; }
.box > header span { color: #59636e; font-weight: 400; }
.markdown-body { padding: 16px 32px 24px; }
.markdown-body h2 { font-size: 1.5em; font-weight: 600; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0b3;
  margin: 8px 0 16px; }
.markdown-body h3 { font-size: 1.25em; font-weight: 600; margin: 24px 0 16px; }
.markdown-body h4 { font-size: 1em; font-weight: 600; margin: 24px 0 16px; }
.markdown-body p { margin: 0 0 16px; }
.markdown-body a { color: #0969da; text-decoration: none; }
.markdown-body code { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono",
  monospace; font-size: 85%; padding: .2em .4em; background: #818b981f; border-radius: 6px; }
.markdown-body pre { padding: 16px; background: #f6f8fa; border-radius: 6px; overflow: auto; font-size: 85%; }
.markdown-body pre code { padding: 0; background: transparent; font-size: 100%; }
.markdown-body table { border-spacing: 0; border-collapse: collapse; margin: 0 0 16px; display: block;
  width: max-content; max-width: 100%; overflow: auto; }
.markdown-body th, .markdown-body td { padding: 6px 13px; border: 1px solid #d1d9e0; }
.markdown-body th { font-weight: 600; }
.markdown-body tr:nth-child(2n) { background: #f6f8fa; }
.markdown-body details { margin: 0 0 16px; }
.markdown-body summary { cursor: pointer; }
.markdown-body sub { color: #59636e; }
"""


def page(markdown: str) -> str:
    body = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Job summary</title>'
        f"<style>{CSS}</style></head><body><div class=page><div class=box>"
        "<header>e2e <span>summary</span></header>"
        f"<article class=markdown-body>{body}</article></div></div></body></html>"
    )


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("Chromium is needed: apt-get install -y chromium fonts-noto-color-emoji")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", default=DEFAULT_PROVIDER, choices=list(SIMULATORS))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "summary.png")
    parser.add_argument("--html", type=Path, help="also keep the rendered HTML here")
    args = parser.parse_args(argv)
    summary = demo_job(args.provider).summary
    document = page(summary)
    if args.html:
        args.html.write_text(document, encoding="utf-8")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="summary-shot-") as tmp:
        source = Path(tmp) / "summary.html"
        source.write_text(document, encoding="utf-8")
        subprocess.run(
            [
                chromium(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={Path(tmp) / 'profile'}",
                f"--screenshot={args.out.resolve()}",
                f"--window-size={WINDOW}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    sys.stdout.write(f"Wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
