"""Layout at the screenshots' width (1280 px): what CSS alone decides and no HTML test can see."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

# How wide each option's text is in the select's own font (a canvas measures it), against the room the select
# leaves for it: its inner width less its padding and the drop-down arrow Chromium draws (about 20 px).
ROOM = """select => {
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.font;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
  return Array.from(select.options, o => [o.text, Math.ceil(context.measureText(o.text).width), Math.floor(room)]);
}"""


def test_every_status_filter_option_fits_its_select_at_1280_px_in_either_language(admin_page: Page) -> None:
    page = admin_page
    for lang in ("en", "sv"):  # Swedish last: the shared signed-in session keeps the language it was left in
        page.goto(f"/?lang={lang}")
        assert page.viewport_size is not None and page.viewport_size["width"] == 1280
        measured = page.locator("#f-status").evaluate(ROOM)
        cut = [(text, width, room) for text, width, room in measured if width > room]
        assert not cut, f"options cut off (text, px wide, px of room): {cut}"
    assert any(text == "Att göra (försenade först)" for text, _, _ in measured)
