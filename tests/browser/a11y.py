"""The vendored axe-core run against the page a browser test is on."""

from pathlib import Path

HERE = Path(__file__).parent
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE / ".screenshots"
BLOCKING = {"serious", "critical"}

WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def axe_scan(page) -> list[dict]:
    """The serious and critical violations on the page as it is now (WCAG 2.x A/AA and axe's
    best practices; rules axe could not decide, such as text over an image, are not counted)."""
    if not page.evaluate("() => 'axe' in window"):
        # Evaluated by the browser's tooling, not as a <script> tag the page's
        # Content-Security-Policy would (rightly) refuse.
        page.evaluate(AXE.read_text())
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [found for found in results["violations"] if found["impact"] in BLOCKING]


# The outermost elements that stick out past the right edge, when the page scrolls sideways.
OVERFLOWING = """() => {
  const edge = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= edge) return [];
  const out = (el) => el.getBoundingClientRect().right > edge + 1;
  const scrolls = (el) => getComputedStyle(el).overflowX !== "visible";
  // Inside a scrolling box, unless positioned out of it (an absolute element whose box
  // has no position escapes the scrolling and widens the page).
  const clipped = (el) => {
    let free = getComputedStyle(el).position === "absolute";
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (scrolls(up) && !free) return true;
      if (free && style.position !== "static") free = false;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((el) => out(el) && !clipped(el))
    .filter((el) => !out(el.parentElement) || clipped(el.parentElement))
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + (el.className ? "." + [...el.classList].join(".") : ""));
}"""


def reflow_scan(page) -> list[dict]:
    """WCAG 1.4.10 Reflow, which axe does not check: at the current width nothing makes the
    page scroll sideways (a wide table scrolls inside its own region instead)."""
    wide = page.evaluate(OVERFLOWING)
    if not wide:
        return []
    return [
        {
            "id": "reflow",
            "impact": "serious",
            "help": "Content must fit the viewport's width without scrolling sideways",
            "helpUrl": "https://www.w3.org/WAI/WCAG22/Understanding/reflow.html",
            "nodes": [
                {"target": [tag], "failureSummary": "Wider than the viewport"} for tag in wide
            ],
        }
    ]


def describe(violations: list[dict]) -> str:
    """One line per violation (rule id, impact, help, link) and one per element it hit."""
    lines = []
    for found in violations:
        lines.append(f"  {found['id']} [{found['impact']}] {found['help']} <{found['helpUrl']}>")
        for node in found["nodes"]:
            summary = " ".join(node["failureSummary"].split())
            lines.append(f"      {' '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


class AccessibilityAudit:
    """Scans each page a journey reaches at every width (or the `widths` given), keeps a
    screenshot of each, and reports every blocking violation of the whole journey at once, so
    one run lists all there is to fix."""

    def __init__(self, page, widths: dict[str, dict] = WIDTHS):
        self.page = page
        self.widths = widths
        self.found: dict[str, list[dict]] = {}

    def scan(self, name: str) -> None:
        self.page.wait_for_load_state()
        before = self.page.viewport_size
        for width_name, size in self.widths.items():
            self.page.set_viewport_size(size)
            self._record(f"{name} at {width_name} width", f"{name}-{width_name}.png")
        self.page.set_viewport_size(before)

    def _record(self, where: str, screenshot: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / screenshot, full_page=True)
        self.found[where] = axe_scan(self.page) + reflow_scan(self.page)

    def assert_clean(self) -> None:
        failing = {where: found for where, found in self.found.items() if found}
        report = "\n".join(f"{where}:\n{describe(found)}" for where, found in failing.items())
        assert not failing, f"serious or critical accessibility violations:\n{report}"


class JourneyAudit(AccessibilityAudit):
    """A journey walked at one width from start to end: each step is scanned where it is,
    and its screenshot is `<journey>-<width>-<nn>-<step>.png`, numbered in the order reached."""

    def __init__(self, page, *, journey: str, width: str):
        super().__init__(page, widths={width: WIDTHS[width]})
        self.prefix = f"{journey}-{width}"
        self.steps = 0

    def scan(self, name: str) -> None:
        self.page.wait_for_load_state()
        self.steps += 1
        step = f"{self.steps:02d}-{name}"
        self._record(f"step {step}", f"{self.prefix}-{step}.png")
