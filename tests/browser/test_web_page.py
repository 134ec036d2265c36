"""A person's view of the page: type into the chat panel, read the bot's replies."""

import pytest

pytestmark = pytest.mark.browser


def test_chat_panel_greets_and_shows_the_demo_balance(stack, page, output_dir, demo_token):
    balance = stack.balance_text(demo_token, "6688")  # ¥52,380.50 on a fresh stack
    page.goto(stack.base_url + "/")
    page.wait_for_function("document.getElementById('whoami').textContent.includes('demo')", timeout=15000)
    page.fill("#chat-input", "你好")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".msg.bot >> text=您好", timeout=30000)
    page.fill("#chat-input", "查余额")
    page.click("#chat-send")
    reply = page.wait_for_selector(f".msg.bot >> text={balance}", timeout=30000)
    assert "尾号6688" in reply.text_content()
    (output_dir / "browser").mkdir(exist_ok=True)
    page.screenshot(path=str(output_dir / "browser" / "chat.png"), full_page=True)
    assert (output_dir / "browser" / "chat.png").stat().st_size > 1000


def test_search_box_suggests_as_you_type_and_shows_results_on_enter(stack, page, output_dir):
    page.goto(stack.base_url + "/")
    page.click("#search-input")
    page.keyboard.type("zhuan", delay=60)  # as a person types, key by key
    first = page.wait_for_selector("#suggestions:not([hidden]) li", timeout=15000)
    assert "转账汇款" in first.text_content()
    page.fill("#search-input", "")
    page.keyboard.type("lc", delay=60)
    page.wait_for_function(
        "document.querySelector('#suggestions li') && document.querySelector('#suggestions li').textContent.includes('理财')",
        timeout=15000,
    )
    page.press("#search-input", "Enter")
    link = page.wait_for_selector("#search-results li a", timeout=15000)
    assert link.text_content() == "理财" and link.get_attribute("href").startswith("app://")
    assert "条结果" in page.text_content("#search-status")
    page.screenshot(path=str(output_dir / "browser" / "search.png"), full_page=True)
