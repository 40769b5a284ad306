"""The console in headless Chromium (Debian's), as an agent and as a supervisor, on a day
of records written by the real services (tests/support/console_data.py): every page is
visited at a laptop size, a screenshot of each is written to test-output/console/, and
the text a person sees is checked: Chinese labels, no raw code, no ISO timestamp, no
control payload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, Page, expect, sync_playwright

from console.labels import labels
from tests.support.console import PASSWORDS, add_user, console_process
from tests.support.console_data import CALL_PHONE, WAITING, WEB_PHONE, Seeded, seed
from tests.test_webchat_stack_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser
DB = 6
LAPTOP = {"width": 1366, "height": 768}
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\d{2}:\d{2}:\d{2}[+-]\d{2}:?\d{2}")
# Words of the code that must never reach a person's eyes, whatever the label mapping says.
TECHNICAL = re.compile(r'utter_|action_|\{"hotline"|"event"|\bNone\b|\bnull\b|\bTrue\b')


@pytest.fixture(scope="module")
def site(redis_server, test_output_dir) -> Iterator[tuple[str, Seeded]]:  # type: ignore[no-untyped-def]
    url = f"redis://127.0.0.1:{redis_server.port}/{DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    add_user(url, "agent1", "agent", PASSWORDS["agent1"])
    add_user(url, "super1", "supervisor", PASSWORDS["super1"])
    add_user(url, "admin1", "admin", "admin-pass-1")
    seeded = seed(client)
    with console_process(url, test_output_dir / "logs" / "console-ui.log") as base:
        yield base, seeded
    client.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def logged_in(browser: Browser, base: str, name: str, password: str) -> Page:
    page = browser.new_context(viewport=LAPTOP, locale="zh-CN",
                               timezone_id="Asia/Shanghai").new_page()
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login")
    expect(page).to_have_url(f"{base}/handoffs")
    return page


RAW_CODES = sorted({code for kind, codes in labels().codes().items()
                    if kind not in ("actor",) for code in codes if code.isascii()},
                   key=len, reverse=True)
CODE_PATTERN = re.compile(r"(?<![A-Za-z0-9_:.-])(" + "|".join(map(re.escape, RAW_CODES))
                          + r")(?![A-Za-z0-9_:.-])")


def visible_problems(text: str, seeded: Seeded, names: list[str]) -> list[str]:
    """Raw codes, ISO timestamps and control payloads in the text a person sees (ids,
    ticket numbers and user names are identifiers, taken out first)."""
    for identifier in sorted([*seeded.tickets.values(), *seeded.callbacks.values(),
                              *seeded.conversations.values(), *WAITING, *names],
                             key=len, reverse=True):
        text = text.replace(identifier, " ")
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", " ", text)
    return ([m.group(0) for m in ISO_TIME.finditer(text)]
            + [m.group(0) for m in CODE_PATTERN.finditer(text)]
            + [m.group(0) for m in TECHNICAL.finditer(text)])


def visit(page: Page, base: str, path: str, shot: Path, seeded: Seeded, status: int = 200) -> str:
    answer = page.goto(base + path)
    assert answer is not None and answer.status == status, (path, answer and answer.status)
    if path.startswith("/handoffs") and status == 200:  # the live feed stays connected
        expect(page.locator("#live")).to_have_class(re.compile(r"\bon\b"), timeout=30000)
    else:
        page.wait_for_load_state("networkidle")
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    text = page.inner_text("body")
    assert visible_problems(text, seeded, ["agent1", "agent2", "super1", "admin1"]) == [], path
    assert WEB_PHONE not in text and CALL_PHONE not in text, path  # masked
    return text


def pages(seeded: Seeded) -> list[tuple[str, str]]:
    t, c, cb = seeded.tickets, seeded.conversations, seeded.callbacks
    return [
        ("queue", "/handoffs"), ("queue-claimed", "/handoffs?view=claimed"),
        ("search", "/search"), ("search-last4", f"/search?q={WEB_PHONE[-4:]}"),
        ("search-ticket", f"/search?q={t['attitude']}"),
        ("conversation-web", f"/conversations/{c['web']}"),
        ("conversation-phone", f"/conversations/{c['call']}"),
        ("takeover", f"/takeover/{c['web']}"),
        ("tickets", "/tickets"), ("ticket-incomplete", f"/tickets/{t['attitude']}"),
        ("ticket", f"/tickets/{t['complaint']}"),
        ("callbacks", "/callbacks"), ("callback", f"/callbacks/{cb['overdue']}"),
        ("print", f"/conversations/{c['web']}/print"),
    ]


def test_an_agent_walks_every_page(browser: Browser, site, test_output_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base, seeded = site
    page = logged_in(browser, base, "agent1", PASSWORDS["agent1"])
    out = test_output_dir / "console"
    for name, path in pages(seeded):
        visit(page, base, path, out / f"agent-{name}.png", seeded)
    for name, path in [("figures", "/figures"), ("audit", "/audit"), ("users", "/users")]:
        text = visit(page, base, path, out / f"agent-{name}-forbidden.png", seeded, status=403)
        assert "无权限" in text and "仅限主管、管理员使用" in text
    # a small laptop, and narrower: the navigation folds to icons, nothing overflows
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 720})
        for name, path in [("queue", "/handoffs"), ("conversation",
                                                    f"/conversations/{seeded.conversations['web']}")]:
            visit(page, base, path, out / f"agent-{name}-{width}.png", seeded)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.context.close()


def test_a_supervisor_walks_every_page(browser: Browser, site, test_output_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base, seeded = site
    page = logged_in(browser, base, "super1", PASSWORDS["super1"])
    out = test_output_dir / "console"
    flagged = f"/conversations/{seeded.conversations['flagged']}"
    for name, path in [*pages(seeded), ("audit", "/audit"), ("conversation-flagged", flagged),
                       ("figures", "/figures?days=7"),
                       ("figures-complaints", "/figures/records?days=7&figure=complaints"),
                       ("figures-handoffs", "/figures/records?days=7&figure=handoffs"),
                       ("users", "/users")]:
        visit(page, base, path, out / f"supervisor-{name}.png", seeded)
    # the audit's verdict points at the offending line, highlighted in the chat
    page.goto(base + flagged)
    expect(page.locator(".msg.agent.flagged .finding")).to_contain_text("使用了服务禁语")
    expect(page.locator("#audit")).to_contain_text("未通过")
    # reviewers open the NLU details on demand: intent, confidence, entities, actions
    page.goto(f"{base}/conversations/{seeded.conversations['web']}")
    details = page.locator(".msg.caller details.nlu").first
    expect(details.locator(".panel")).to_be_hidden()
    page.check("#show-nlu")
    expect(details.locator(".panel")).to_contain_text("意图:投诉")
    expect(details.locator(".panel")).to_contain_text("置信度 91%")
    expect(details.locator(".panel")).to_contain_text("商品")
    expect(page.locator(".msg.bot details.nlu").first).to_contain_text("utter_opening")
    page.screenshot(path=str(out / "supervisor-conversation-nlu.png"), full_page=True)
    assert not ISO_TIME.search(page.inner_text("body"))
    page.context.close()


def test_the_login_page_and_an_admin(browser: Browser, site, test_output_dir: Path) -> None:  # type: ignore[no-untyped-def]
    base, seeded = site
    context = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = context.new_page()
    visit(page, base, "/login", test_output_dir / "console" / "login.png", seeded)
    context.close()
    admin = logged_in(browser, base, "admin1", "admin-pass-1")
    visit(admin, base, "/users", test_output_dir / "console" / "admin-users.png", seeded)
    admin.context.close()


def test_the_queue_updates_live_in_priority_and_waiting_order(
    browser: Browser, site, redis_server  # type: ignore[no-untyped-def]
) -> None:
    from bot.handoffs import HandoffQueue

    base, seeded = site
    page = logged_in(browser, base, "agent1", PASSWORDS["agent1"])
    expect(page.locator("#live")).to_have_class(re.compile(r"\bon\b"), timeout=10000)
    rows = page.locator("#handoffs tr.handoff")
    before = rows.count()
    client = redis.Redis(host="127.0.0.1", port=redis_server.port, db=DB)
    queue = HandoffQueue(client)
    queue.hand_off("live-new-priority", "complaint", "webchat", caller_phone="13600009999",
                   priority=True)
    new = page.locator('tr.handoff[data-conversation="live-new-priority"]')
    expect(new).to_be_visible(timeout=10000)
    expect(new).to_contain_text("投诉")
    expect(new).to_contain_text("*******9999")
    order = [rows.nth(i).get_attribute("data-conversation") for i in range(before + 1)]
    # the newest priority hand-off comes after the older priority ones, before the rest
    assert order.index("live-new-priority") == order.index(WAITING[1]) - 1
    waited = page.locator("#handoffs tr.handoff .wait").first
    expect(waited).not_to_have_text(waited.inner_text(), timeout=30000)  # counts up live
    assert queue.claim("live-new-priority", "agent2").won  # someone else takes it
    expect(new).to_have_count(0, timeout=10000)
    client.close()
    page.context.close()
