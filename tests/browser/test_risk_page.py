"""The back office's view of /risk in headless Chromium: a transfer held after scam words appears with its
reasons and the customer's masked conversation; 放行 executes it once and the customer is told."""

import pytest

from tests.integration.test_risk_control import balance, hold_a_transfer, open_customer

pytestmark = pytest.mark.browser


def test_a_reviewer_releases_a_held_transfer_from_the_page(stack, page, output_dir):
    sub = "browser_risk_customer"
    open_customer(stack, sub)
    customer = stack.token(sub)
    before = balance(stack, sub)
    hold_a_transfer(stack, customer, "张三", 6000)

    page.set_viewport_size({"width": 1100, "height": 800})  # a desk, not a phone
    page.goto(stack.base_url + "/risk")
    page.wait_for_function("document.getElementById('whoami').textContent.includes('风控')", timeout=15000)
    row = page.wait_for_selector(f"#held li >> text={sub}", timeout=15000)
    assert "¥6,000.00" in row.text_content() and "张*" in row.text_content()
    row.click()
    page.wait_for_selector("#release:not([hidden])", timeout=15000)
    assert "安全账户" in page.text_content("#reasons")
    assert "安全账户" in page.text_content("#conversation")
    (output_dir / "browser").mkdir(exist_ok=True)
    page.screenshot(path=str(output_dir / "browser" / "risk.png"), full_page=True)

    page.click("#release")
    page.wait_for_selector("#notice >> text=已放行", timeout=15000)
    assert balance(stack, sub) == before - 600_000
    notices = [m for m in stack.chat(customer, "查余额") if m["data"].get("type") == "notice"]
    assert len(notices) == 1 and "已通过人工复核" in notices[0]["text"]
