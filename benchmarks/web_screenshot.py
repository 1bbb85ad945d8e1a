"""`make screenshot`: the demo agreements in a fresh store, the funding page of DigiOne in Debian's
Chromium (headless), saved as docs/img/funding.png for the README."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.settings import Settings  # noqa: E402
from tests.web.browser import LiveService, Session, chromium  # noqa: E402

OUT = ROOT / "docs" / "img" / "funding.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database="sqlite", sqlite_path=Path(tmp) / "ledger.sqlite", journal_follow=False,
                            audit_interval_s=0, audit_key_path=Path(tmp) / "audit.key")
        with LiveService(settings) as service, chromium() as browser:
            session = Session(browser, service)
            page = session.sign_in("finance")
            page.set_viewport_size({"width": 1200, "height": 900})
            page.goto(f"{service.url}/agreements/{service.ids['DIGIONE']}/funding")
            OUT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUT), full_page=False)
            session.close()
            assert not session.outside, session.outside
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
