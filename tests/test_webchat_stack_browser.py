"""The web chat in real headless Chromium against the real stack.

The page is served by the Rasa server itself (/webchat/). A complaint goes all
the way to a ticket number and the closing line; a reload restores the
conversation from the Redis tracker; markup typed by the visitor stays text.
A screenshot of the finished conversation is saved in test-output/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.config import hotline_config
from tests.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
BOT = ".hw-msg.hw-bot .hw-bubble"
USER = ".hw-msg.hw-user .hw-bubble"
BUBBLES = ".hw-msg .hw-bubble"
TICKET_NUMBER = re.compile(r"T\d{12}")
WEB_CLOSING = "很高兴为您服务,再见!"

# How the visitor answers each question of the complaint procedure. Keyed by a
# fragment of the bot's question (domain.yml), so the order of the questions
# is the dialogue's business, not this test's.
ANSWERS: list[tuple[str, str]] = [
    ("贵姓", "我姓王"),
    ("详细说一下", "洗衣机一开机就漏水,地板都泡了"),
    ("属于哪一类", "button:商品质量问题"),
    ("联系电话", "13812345678"),
    ("对吗", "对"),
    ("订单号", "20261101001"),
    ("地址", "阳光花园5号楼1单元302"),
    ("回电的时间", "明天上午"),
    ("还有其他可以帮您", "没有了,谢谢"),
    ("评价", "button:5 非常满意"),
]


def opening_line() -> str:
    company = hotline_config().company
    return (
        f"您好,欢迎光临{company.name}在线客服,客服代表{company.assistant_name}"
        "很高兴为您服务,请问有什么可以帮助您!"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 480, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def open_chat(page: Page, stack: Stack) -> None:
    # How soon the opening line comes is a figure of bench/startup.py, not asserted here.
    page.goto(f"{stack.rasa_url}/webchat/")
    expect(page.locator(BOT).first).to_have_text(opening_line(), timeout=30_000)


def wait_for_answer(page: Page, bubbles_before: int) -> None:
    """Until the bot has answered the last message (the typing indicator is gone)."""
    expect(page.locator(BUBBLES)).not_to_have_count(bubbles_before, timeout=15_000)
    expect(page.locator(".hw-typing")).to_be_hidden(timeout=30_000)
    page.wait_for_timeout(300)


def answer(page: Page, reply: str) -> None:
    before = page.locator(BUBBLES).count()
    if reply.startswith("button:"):
        page.locator(".hw-reply", has_text=reply.removeprefix("button:")).click()
    else:
        box = page.locator("textarea.hw-input")
        box.fill(reply)
        box.press("Enter")
    wait_for_answer(page, before)


def test_a_complaint_reaches_a_ticket_number_and_the_closing_line(
    page: Page, rasa_stack: Stack, test_output_dir: Path
) -> None:
    open_chat(page, rasa_stack)
    answer(page, "我要投诉,你们送来的洗衣机一开机就漏水,师傅也一直不来修")
    expect(page.locator(BOT).filter(has_text="感谢您的批评指正")).to_have_count(1)

    asked: list[str] = []
    for _ in range(12):
        last = page.locator(BOT).last.inner_text()
        if last == WEB_CLOSING:
            break
        fragment, reply = next(((f, r) for f, r in ANSWERS if f in last), ("", ""))
        assert reply, f"no scripted answer for the bot's question: {last!r}"
        asked.append(fragment)
        answer(page, reply)
    bot_texts = page.locator(BOT).all_inner_texts()
    assert bot_texts[-1] == WEB_CLOSING, bot_texts
    tickets = [t for t in bot_texts if TICKET_NUMBER.search(t)]
    assert tickets, f"no ticket number in {bot_texts}"
    assert "工单号" in tickets[0]
    expect(page.locator("[data-notice=end]")).to_be_visible()
    assert "5 非常满意" in page.locator(USER).all_inner_texts()  # the title, not the payload
    page.screenshot(path=str(test_output_dir / "webchat-complaint.png"), full_page=True)

    # a reload restores the finished conversation from the tracker, without a new opening
    before = page.locator(BUBBLES).all_inner_texts()
    page.reload()
    # The history is drawn in one step; an ended conversation sends no `session_start`,
    # so nothing else can come.
    expect(page.locator(BUBBLES)).to_have_count(len(before), timeout=30_000)
    assert page.locator(BUBBLES).all_inner_texts() == before
    assert before.count(opening_line()) == 1
    expect(page.locator("[data-notice=end]")).to_be_visible()
    page.screenshot(path=str(test_output_dir / "webchat-complaint-restored.png"), full_page=True)


def test_a_reload_mid_conversation_restores_it(page: Page, rasa_stack: Stack) -> None:
    open_chat(page, rasa_stack)
    answer(page, "你好")
    before = page.locator(BUBBLES).all_inner_texts()
    page.reload()
    expect(page.locator(BUBBLES)).to_have_count(len(before), timeout=30_000)
    # The history is drawn and `session_start` sent in one step, with the typing indicator
    # up until the server's acknowledgement, which comes after any opening line it sends:
    # once the indicator is gone, a second opening line would be on the page.
    expect(page.locator(".hw-typing")).to_be_hidden(timeout=30_000)
    assert page.locator(BUBBLES).all_inner_texts() == before


def test_a_script_tag_sent_as_a_message_is_shown_as_text(page: Page, rasa_stack: Stack) -> None:
    open_chat(page, rasa_stack)
    attack = '<script>alert("xss")</script><img src=x onerror="alert(1)">'
    answer(page, attack)
    expect(page.locator(USER).last).to_have_text(attack)
    assert page.locator(".hw-log img, .hw-log script").count() == 0
    page.reload()
    expect(page.locator(USER).last).to_have_text(attack)
    assert page.dialogs == []  # type: ignore[attr-defined]
