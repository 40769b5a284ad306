"""The chat widget in real headless Chromium, against the dev server's scripted bot.

What the widget does on its own (rendering, quick replies, notices, reconnects,
limits, embedding, idle timeout) is tested here without a trained model; the
real dialogue through the widget is tests/test_webchat_stack_browser.py.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect, sync_playwright

from channels.webchat import devserver

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
BOT = ".hw-msg.hw-bot .hw-bubble"
USER = ".hw-msg.hw-user .hw-bubble"
SOCKET = re.compile(r".*/webchat/socket\.io/.*")
# Waits for something that will happen (no speed is asserted: the opening line's latency
# is a figure of bench/startup.py); generous, so a busy machine does not fail a test.
ARRIVES_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Site:
    """Another web site (a real HTTP server on loopback) whose pages embed the widget."""

    def __init__(self) -> None:
        self.html = "<!doctype html><title>empty</title>"
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = site.html.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def shop() -> Iterator[Site]:
    site = Site()
    yield site
    site.close()


@pytest.fixture(scope="module")
def other_site() -> Iterator[Site]:
    site = Site()
    yield site
    site.close()


@pytest.fixture(scope="module")
def server(test_output_dir: Path, shop: Site) -> Iterator[str]:
    # Only the shop's origin (and the server's own) may connect.
    with devserver.running(
        log_path=test_output_dir / "webchat-widget-devserver.log",
        env={"WEBCHAT_ALLOWED_ORIGINS": shop.origin},
    ) as url:
        yield url


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def chat_page(page: Page, server: str) -> None:
    page.goto(f"{server}/webchat/")
    expect(page.locator(BOT).first).to_have_text(devserver.OPENING, timeout=ARRIVES_MS)


def send(page: Page, text: str) -> None:
    box = page.locator("textarea.hw-input")
    box.fill(text)
    box.press("Enter")


def embed(page: Page, site: Site, widget_base: str, **data: str) -> None:
    """Open a page of another site that embeds the widget with one script tag."""
    attributes = " ".join(f'data-{k.replace("_", "-")}="{v}"' for k, v in data.items())
    html = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
        "<body><h1>某某商城</h1>"
        f"<script src='{widget_base}/webchat/widget.js' defer {attributes}></script>"
        "</body></html>"
    )
    site.html = html
    page.goto(f"{site.origin}/product/1")


def test_the_opening_line_and_the_header_appear(page: Page, server: str) -> None:
    chat_page(page, server)
    expect(page.locator(".hw-title")).to_have_text("在线客服")
    expect(page.locator(".hw-hotline")).to_have_text("客服热线 400-800-1234")
    expect(page.locator(".hw-limits")).to_have_text("单条消息最多 2000 字,每秒最多发送 5 条")
    expect(page.locator(".hw-msg.hw-bot .hw-time").first).to_have_text(re.compile(r"^\d\d:\d\d$"))


def test_markup_sent_as_a_message_is_shown_as_text(page: Page, server: str) -> None:
    chat_page(page, server)
    attack = '<script>alert("xss")</script><img src=x onerror="alert(1)">'
    send(page, attack)
    expect(page.locator(USER).last).to_have_text(attack)
    expect(page.locator(BOT).last).to_have_text(f"您说的是:{attack}")
    assert page.locator(".hw-log img, .hw-log script").count() == 0
    page.reload()
    expect(page.locator(USER).last).to_have_text(attack)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_quick_replies_send_the_payload_and_show_the_title(page: Page, server: str) -> None:
    chat_page(page, server)
    send(page, "评价")
    replies = page.locator(".hw-reply")
    expect(replies).to_have_count(2)
    replies.first.click()
    expect(page.locator(USER).last).to_have_text("5 非常满意")
    expect(page.locator(BOT).last).to_have_text("谢谢您的评价!")
    expect(replies).to_have_count(0)


def test_hand_off_hand_back_and_end_are_announced(
    page: Page, server: str, test_output_dir: Path
) -> None:
    chat_page(page, server)
    send(page, "转人工")
    expect(page.locator("[data-notice=handoff]")).to_contain_text("人工客服")
    expect(page.locator("[data-notice=handoff]")).to_contain_text("工单号:T-DEV-1")
    send(page, "好了")
    expect(page.locator("[data-notice=handback]")).to_contain_text("智能客服继续为您服务")
    send(page, "再见")
    expect(page.locator("[data-notice=end]")).to_have_text(
        "本次会话已结束。如需继续咨询,请直接输入您的问题。"
    )
    page.screenshot(path=str(test_output_dir / "webchat-widget-devserver.png"))
    first_id = page.evaluate("Object.entries(localStorage)")
    # a new message starts a new conversation, with the opening line first
    send(page, "我还有个问题")
    expect(page.locator("[data-notice=divider]")).to_have_text("新的会话")
    expect(page.locator(BOT).last).to_have_text("您说的是:我还有个问题")
    texts = page.locator(".hw-msg .hw-bubble").all_inner_texts()
    assert texts[-3:] == [devserver.OPENING, "我还有个问题", "您说的是:我还有个问题"]
    assert page.evaluate("Object.entries(localStorage)") != first_id


def test_a_new_session_under_the_same_id_after_the_end_is_shown_as_such(
    page: Page, server: str
) -> None:
    chat_page(page, server)
    send(page, "结束并重新开始")
    expect(page.locator("[data-notice=end]")).to_be_visible()
    expect(page.locator("[data-notice=divider]")).to_have_text("新的会话")
    expect(page.locator(BOT).last).to_have_text(devserver.OPENING)
    stored = page.evaluate("JSON.stringify(localStorage)")
    send(page, "接着问")
    expect(page.locator(BOT).last).to_have_text("您说的是:接着问")
    assert page.evaluate("JSON.stringify(localStorage)") == stored  # same conversation
    assert page.locator("[data-notice=divider]").count() == 1
    page.reload()
    expect(page.locator(BOT).last).to_have_text("您说的是:接着问")
    expect(page.locator("[data-notice=divider]")).to_have_count(1)


def test_a_reload_restores_the_history_without_a_second_opening(page: Page, server: str) -> None:
    chat_page(page, server)
    send(page, "第一句")
    expect(page.locator(BOT).last).to_have_text("您说的是:第一句")
    before = page.locator(".hw-msg .hw-bubble").all_inner_texts()
    page.reload()
    expect(page.locator(".hw-msg .hw-bubble")).to_have_count(len(before))
    # The history is drawn and `session_start` sent in one step, with the typing indicator
    # up until the server's acknowledgement, which comes after any opening line it sends:
    # once the indicator is gone, a second opening line would be on the page.
    expect(page.locator(".hw-typing")).to_be_hidden(timeout=ARRIVES_MS)
    assert page.locator(".hw-msg .hw-bubble").all_inner_texts() == before
    assert before.count(devserver.OPENING) == 1


def test_a_dropped_connection_is_shown_and_recovered(page: Page, server: str) -> None:
    state: dict[str, Any] = {"block": False, "open": []}

    def route(ws: WebSocketRoute) -> None:
        if state["block"]:
            ws.close()
            return
        ws.connect_to_server()
        state["open"].append(ws)

    page.route_web_socket(SOCKET, route)
    chat_page(page, server)
    send(page, "断线前")
    expect(page.locator(BOT).last).to_have_text("您说的是:断线前")

    state["block"] = True
    for ws in state["open"]:
        ws.close()
    status = page.locator(".hw-status-text")
    expect(status).to_have_text("连接已断开,正在重连…")
    expect(page.locator(".hw-send")).to_be_disabled()
    # after a few failed attempts: the server is unreachable, with the hotline number
    expect(status).to_contain_text("暂时无法连接到客服服务器", timeout=10_000)
    expect(status).to_contain_text("400-800-1234")

    state["block"] = False
    page.locator(".hw-retry").click()
    expect(page.locator(".hw-status")).to_be_hidden(timeout=5000)
    expect(page.locator(".hw-send")).to_be_enabled()
    send(page, "重连后")
    expect(page.locator(BOT).last).to_have_text("您说的是:重连后")
    assert page.locator(".hw-msg .hw-bubble").all_inner_texts().count(devserver.OPENING) == 1


def test_an_unreachable_server_is_said_clearly(page: Page, server: str, shop: Site) -> None:
    embed(page, shop, server, server=f"http://127.0.0.1:{closed_port()}", open="true",
          hotline_number="400-800-1234")
    status = page.locator(".hw-status-text")
    expect(status).to_contain_text("正在连接客服")
    expect(status).to_contain_text("暂时无法连接到客服服务器", timeout=10_000)
    expect(status).to_contain_text("400-800-1234")
    expect(page.locator(".hw-retry")).to_be_visible()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_one_script_tag_embeds_a_configurable_widget(
    page: Page, server: str, shop: Site
) -> None:
    embed(page, shop, server, title="优品售后", primary_color="#c0392b", hotline_number="95000")
    launcher = page.locator(".hw-launcher")
    expect(launcher).to_be_visible()
    expect(page.locator(".hw-panel")).to_be_hidden()
    launcher.click()
    expect(page.locator(BOT).first).to_have_text(devserver.OPENING, timeout=ARRIVES_MS)
    expect(page.locator(".hw-title")).to_have_text("优品售后")
    expect(page.locator(".hw-hotline")).to_have_text("客服热线 95000")
    header = page.locator(".hw-header")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(192, 57, 43)"
    expect(page.locator("h1")).to_have_text("某某商城")  # the host page is untouched
    page.locator(".hw-close").click()
    expect(launcher).to_be_visible()


def test_origins_not_allowed_cannot_connect(
    page: Page, server: str, other_site: Site
) -> None:
    embed(page, other_site, server, open="true")
    expect(page.locator(".hw-status")).to_contain_text("暂时无法连接到客服服务器", timeout=10_000)
    assert page.locator(BOT).count() == 0


def test_limits_are_enforced_in_the_page(page: Page, server: str) -> None:
    chat_page(page, server)
    box = page.locator("textarea.hw-input")
    box.fill("好" * 2100)
    assert box.input_value() == "好" * 2000
    expect(page.locator(".hw-counter")).to_have_text("2000/2000")
    box.fill("")
    # Seven sends in one task of the page: its clock (Date.now) stands within one second
    # whatever the machine's speed, so exactly five go out.
    page.evaluate("() => { for (let n = 0; n < 7; n++) window.HotlineWebchat.send('快速' + n); }")
    expect(page.locator("[data-notice=system]").first).to_contain_text("每秒最多 5 条")
    expect(page.locator(USER)).to_have_count(5)


def test_the_chat_fills_a_phone_screen(browser: Browser, server: str, shop: Site) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    try:
        page = context.new_page()
        embed(page, shop, server)
        page.locator(".hw-launcher").tap()
        expect(page.locator(BOT).first).to_have_text(devserver.OPENING, timeout=ARRIVES_MS)
        box = page.locator(".hw-panel").bounding_box()
        assert box is not None
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
        assert page.locator("textarea.hw-input").evaluate(
            "e => getComputedStyle(e).fontSize"
        ) == "16px"
    finally:
        context.close()


@pytest.fixture(scope="module")
def idle_server(test_output_dir: Path) -> Iterator[str]:
    with devserver.running(
        ["--idle-timeout", "2"], log_path=test_output_dir / "webchat-idle-devserver.log"
    ) as url:
        yield url


def test_an_idle_chat_sends_the_idle_trigger_and_ends(page: Page, idle_server: str) -> None:
    # The page's timers run on a clock the test moves: the 2 s idle timeout passes when the
    # test says so, and "sent once" is checked over more idle time without waiting for it.
    page.clock.install()
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda data: sent.append(str(data))))
    page.goto(f"{idle_server}/webchat/")
    expect(page.locator(BOT).first).to_have_text(devserver.OPENING, timeout=ARRIVES_MS)
    assert not [frame for frame in sent if "/idle_timeout" in frame]
    page.clock.run_for(2_500)
    expect(page.locator("[data-notice=end]")).to_be_visible(timeout=ARRIVES_MS)
    expect(page.locator(BOT).last).to_contain_text("由于您长时间没有回复")
    assert page.locator(USER).count() == 0  # the trigger itself is not shown
    page.clock.run_for(10_000)  # five more idle timeouts: the ended chat sends nothing more
    assert len([frame for frame in sent if "/idle_timeout" in frame]) == 1
    assert page.locator("[data-notice=end]").count() == 1
