"""A trainer's view of /trainer in headless Chromium: the missed message is listed (masked), the
statistics are drawn, and labelling it from the page writes it into the training data."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

MISS = "嘀哩嘀哩哒哒6222021234567890123"


def test_trainer_labels_a_missed_message_from_the_page(stack, page, output_dir):
    customer = stack.token("browser_trainee")
    assert stack.say(customer, MISS)["messages"][-1]["data"]["type"] == "fallback"

    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(stack.base_url + "/trainer")
    page.wait_for_function("document.getElementById('whoami').textContent.includes('训练师')", timeout=15000)
    row = page.wait_for_selector("#inbox li >> text=嘀哩嘀哩哒哒", timeout=15000)
    assert "***************0123" in row.text_content() and "6222021234567890123" not in page.content()
    page.wait_for_selector("#kpis .kpi", timeout=15000)
    assert "未识别率" in page.text_content("#kpis")
    assert page.query_selector_all("#intent-chart .bar")
    (output_dir / "browser").mkdir(exist_ok=True)
    page.screenshot(path=str(output_dir / "browser" / "trainer.png"), full_page=True)

    item = row.evaluate_handle("el => el.closest('li')").as_element()
    item.query_selector("select").select_option("greet")
    item.query_selector("button:not([type])").click()
    page.wait_for_selector("#notice >> text=已写入", timeout=60000)
    labels = Path(stack.env["TRAINING_DIR"]) / "nlu_data" / "nlu" / "trainer_labels.yml"
    assert "嘀哩嘀哩哒哒***************0123" in labels.read_text(encoding="utf-8")
