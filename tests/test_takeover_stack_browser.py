"""Web-chat take-over in two real headless Chromium pages against the real stack.

The customer uses the widget served by Rasa (/webchat/); the agent uses the console's
take-over page. The agent's line appears in the widget labelled "人工客服 wang", the
customer's reply appears live on the agent's page while the bot stays silent, a forbidden
phrase is refused on the agent's page, and after the hand-back the widget shows the
satisfaction question, then the closing line. Screenshots go to test-output/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.config import hotline_config
from tests.stack import Stack
from tests.test_takeover_stack import AGENTS, RETURNED_LINE, WEB_CLOSING, console_url  # noqa: F401
from tests.test_webchat_stack_browser import BOT, CHROMIUM, CHROMIUM_ARGS, open_chat

pytestmark = [pytest.mark.stack, pytest.mark.browser]
SESSION_ID = ("Object.keys(localStorage).filter(k => k.endsWith(':session'))"
              ".map(k => localStorage.getItem(k))[0]")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser: Browser, width: int) -> Page:
    return browser.new_context(viewport={"width": width, "height": 900},
                               locale="zh-CN").new_page()


def test_agent_and_customer_talk_in_two_browsers_then_the_bot_closes(
    browser: Browser, rasa_stack: Stack, console_url: str,  # noqa: F811
    test_output_dir: Path,
) -> None:
    customer = new_page(browser, 480)
    open_chat(customer, rasa_stack)
    customer.locator("textarea.hw-input").fill("转人工")
    customer.locator("textarea.hw-input").press("Enter")
    expect(customer.locator("[data-notice=handoff]")).to_be_visible(timeout=15000)
    cid = customer.evaluate(SESSION_ID)
    assert cid

    agent = new_page(browser, 1100)
    agent.goto(f"{console_url}/takeover/{cid}")
    agent.fill("#name", "wang")
    agent.fill("#password", AGENTS["wang"])
    agent.click("#login")
    expect(agent.locator("#takeover-state")).to_contain_text("机器人正在服务此会话")
    agent.click("#claim")
    expect(agent.locator("#takeover-state")).to_contain_text("您正在接管此会话")
    expect(customer.locator("[data-notice=takeover]")).to_have_text(
        "人工客服 wang 已接入,正在为您服务。", timeout=10000)

    line = "您好,我是人工客服王,请问有什么可以帮您?"
    agent.fill("#message", line)
    agent.click("#send")
    from_agent = customer.locator(".hw-msg.hw-from-agent")
    expect(from_agent.locator(".hw-bubble")).to_have_text(line, timeout=10000)
    expect(from_agent.locator(".hw-agent")).to_have_text("人工客服 wang")
    expect(agent.locator("#message")).to_have_value("")

    phrase = hotline_config().forbidden_phrases[0]
    agent.fill("#message", f"{phrase}!")
    agent.click("#send")
    expect(agent.locator("#send-error")).to_contain_text("服务禁语")
    expect(agent.locator("#message")).to_have_value(f"{phrase}!")  # kept for editing

    bot_lines = customer.locator(BOT).count()
    customer.locator("textarea.hw-input").fill("我的洗衣机还没送到")
    customer.locator("textarea.hw-input").press("Enter")
    expect(agent.locator("#live .msg.caller").last).to_contain_text("我的洗衣机还没送到",
                                                                 timeout=10000)
    # The typing indicator stays up until the message's acknowledgement, which comes after
    # any answer of the bot's: once it is gone, an answer would be on the page.
    expect(customer.locator(".hw-typing")).to_be_hidden(timeout=30000)
    assert customer.locator(BOT).count() == bot_lines  # the bot said nothing
    agent.screenshot(path=str(test_output_dir / "takeover-console.png"), full_page=True)

    agent.click("#handback")
    expect(agent.locator("#takeover-state")).to_contain_text("已由 wang 交还机器人")
    expect(customer.locator("[data-notice=handback]")).to_be_visible(timeout=15000)
    expect(customer.locator(BOT).filter(has_text=RETURNED_LINE)).to_have_count(1)
    five = customer.locator(".hw-reply", has_text="5 非常满意")
    expect(five).to_be_visible(timeout=15000)
    five.click()
    expect(customer.locator(BOT).last).to_have_text(WEB_CLOSING, timeout=15000)
    expect(customer.locator("[data-notice=end]")).to_be_visible()
    customer.screenshot(path=str(test_output_dir / "takeover-webchat.png"), full_page=True)

    # a reload shows the agent's line with its label again
    customer.reload()
    expect(customer.locator(".hw-msg.hw-from-agent .hw-agent")).to_have_text(
        "人工客服 wang", timeout=10000)
    agent.context.close()
    customer.context.close()
