"""docs/report.png: the HTML report (``predict --format html``) of the bundled articles, as headless
Chromium shows it (Debian's chromium and chromium-driver, through selenium).

    python benchmarks/screenshot.py            # writes docs/report.png
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "report.png"


def main() -> int:
    from selenium import webdriver
    from selenium.webdriver.support.ui import WebDriverWait

    articles = sorted((ROOT / "data" / "raw").glob("*.txt"))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        names = [str(a.relative_to(ROOT)) for a in articles]  # no path of this machine on the picture
        cmd = [sys.executable, "-m", "nkdiplomacy.cli", "predict", *names, "--format", "html"]
        subprocess.run([*cmd, "--output", str(page)], check=True, cwd=ROOT)
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
            opts.add_argument(arg)
        driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
        browser = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=driver))
        try:
            browser.get(page.as_uri())
            WebDriverWait(browser, 20).until(
                lambda d: d.find_element("tag name", "body").get_attribute("data-ready")
            )
            browser.save_screenshot(str(OUT))
        finally:
            browser.quit()
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
