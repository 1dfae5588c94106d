"""Accessibility checks run inside the browser: axe-core's WCAG 2.1 A/AA rules, labels, and keyboard reach.

axe-core comes with the `axe-playwright-python` package (axe.min.js, MPL-2.0, bundled in its wheel); it is
injected into the page and run there. The two checks of our own cover what axe leaves to people: that every
form control has a visible label (not only a placeholder or a title), and that Tab alone reaches every
control and link, in the order they stand on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_AXE = Axe()


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}): {self.help}: " + ", ".join(self.targets)


def axe_violations(page: Page) -> list[Violation]:
    """axe-core's violations of WCAG 2.0/2.1 level A and AA on the page as it stands."""
    options = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    results = _AXE.run(page, options=options)
    found: list[dict[str, Any]] = results.response["violations"]
    return [
        Violation(v["id"], str(v.get("impact")), v["help"], tuple(" ".join(n["target"]) for n in v["nodes"]))
        for v in found
    ]


_UNLABELLED = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.type !== 'submit' && el.type !== 'button' && el.type !== 'reset')
  .filter(el => {
    const labelled = [...(el.labels || [])].some(l => l.textContent.trim() !== '');
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .some(id => { const t = document.getElementById(id); return t && t.textContent.trim() !== ''; });
    return !(labelled || by);
  })
  .map(el => el.outerHTML.slice(0, 160))
"""


def unlabelled_controls(page: Page) -> list[str]:
    """The form controls with no visible label text (a <label> or aria-labelledby pointing at text)."""
    found: list[str] = page.evaluate(_UNLABELLED)
    return found


_INTERACTIVE = """
() => {
  const selector = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  const shown = el => {
    if (el.disabled || el.type === 'hidden' || el.closest('[inert], [hidden]')) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  let n = 0;
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!shown(el)) continue;
    // radio buttons of one group are one Tab stop (arrow keys move within it): count the group once
    if (el.type === 'radio' && el.name) {
      const first = [...document.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`)].find(shown);
      const checked = [...document.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`)]
        .find(r => r.checked && shown(r));
      if (el !== (checked || first)) continue;
    }
    if (!el.dataset.a11yId) el.dataset.a11yId = String(++n);
    out.push({id: el.dataset.a11yId, html: el.outerHTML.slice(0, 160)});
  }
  return out;
}
"""

_RECORD_FOCUS = """
() => {
  window.__a11ySeen = [];
  document.addEventListener('focusin', e => {
    const id = e.target && e.target.dataset && e.target.dataset.a11yId;
    if (id) window.__a11ySeen.push(id);
  }, true);
}
"""


def keyboard_unreachable(page: Page) -> list[str]:
    """The visible interactive elements that pressing Tab from the top of the page never focuses."""
    wanted: list[dict[str, str]] = page.evaluate(_INTERACTIVE)
    # start from the top of the document, as after loading the page: blur, and move the starting point there
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.mouse.click(0, 0)
    page.evaluate(_RECORD_FOCUS)  # focus is recorded in the page: one round trip per Tab, not two
    seen: set[str] = set()
    for presses in (len(wanted) + 3, len(wanted) + 2):  # the second round is for a page that starts mid-way
        for _ in range(presses):
            page.keyboard.press("Tab")
        seen = set(page.evaluate("() => window.__a11ySeen"))
        if len(seen) == len(wanted):
            break
    return [w["html"] for w in wanted if w["id"] not in seen]
