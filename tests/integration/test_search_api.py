"""Smart search over HTTP: ranking, hostile queries, suggestions, clicks and the bot's handover."""

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "q,first",
    [
        ("zz", "fn.transfer"),
        ("zhuanzhang", "fn.transfer"),
        ("zhuanz", "fn.transfer"),
        ("zhuan账", "fn.transfer"),
        ("转帐", "fn.transfer"),
        ("轉賬", "fn.transfer"),
        ("lc", "prod.wealth"),
        ("licai", "prod.wealth"),
        ("理材", "prod.wealth"),
        ("nicai", "prod.wealth"),
        ("decd", "prod.large_cd"),
        ("xykhk", "fn.cc_repay"),
        ("还信用卡", "fn.cc_repay"),
        ("licia", "prod.wealth"),
        ("zhuanzahng", "fn.transfer"),
        ("里财", "prod.wealth"),
    ],
)
def test_the_issues_queries_find_their_entry_first(stack, q, first):
    status, body = stack.get(f"/api/search?q={q}")
    assert status == 200, body
    assert body["results"][0]["id"] == first
    assert set(body["results"][0]) >= {"id", "type", "title", "subtitle", "deeplink", "score", "match"}
    assert body["results"][0]["deeplink"].startswith("app://") and body["took_ms"] >= 0


def test_limit_and_type_filters(stack):
    status, body = stack.get("/api/search?q=dingqi&limit=2&type=product")
    assert status == 200 and len(body["results"]) <= 2 and {r["type"] for r in body["results"]} == {"product"}
    status, body = stack.get("/api/search?q=转账&type=faq,function")
    assert {r["type"] for r in body["results"]} <= {"faq", "function"}


@pytest.mark.parametrize(
    "q",
    [
        "AND OR ( * ~",
        "title:转账",
        '"',
        "*",
        "~1",
        "field:*",
        "%00",
        "转账\x07\x1b",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "\u200b\u200b",
        "   ",
        "",
    ],
)
def test_hostile_queries_get_a_clean_result(stack, q):
    status, body = stack.get("/api/search?q=" + q.replace("%", "%25").replace("&", "%26").replace("#", "%23"))
    assert status in (200, 400), body
    if status == 200:
        assert isinstance(body["results"], list)
    else:
        assert body["error"]["code"]


def test_huge_and_bad_parameters_are_400_not_500(stack):
    assert stack.get("/api/search?q=" + "a" * 10_240)[0] == 400
    assert stack.get("/api/search?q=" + "转" * 3000)[0] == 400
    assert stack.get("/api/search?q=zz&limit=0")[0] == 400
    assert stack.get("/api/search?q=zz&limit=abc")[0] == 400
    assert stack.get("/api/search?q=zz&type=secret")[0] == 400
    assert stack.get("/api/suggest?q=" + "x" * 10_240)[0] == 400


def test_suggestions_as_you_type(stack):
    status, body = stack.get("/api/suggest?q=z")
    assert status == 200 and 1 <= len(body["suggestions"]) <= 10
    status, body = stack.get("/api/suggest?q=zhuanz")
    assert body["suggestions"][0]["title"] == "转账汇款" and body["suggestions"][0]["type_label"] == "功能"


def test_clicks_personalize_a_customers_results(stack):
    token = stack.token("clicker")
    before = stack.get("/api/search?q=j", token=token)[1]["results"]
    assert before[0]["id"] != "prod.fund"
    for _ in range(3):
        status, body = stack.post("/api/click", {"id": "prod.fund", "query": "j"}, token=token)
        assert status == 200 and body == {"ok": True}
    assert stack.get("/api/search?q=j", token=token)[1]["results"][0]["id"] == "prod.fund"
    # Another customer's ranking is not theirs, and anonymous search still works.
    assert stack.get("/api/search?q=j", token=stack.token("someone_else"))[1]["results"][0]["id"] != "prod.fund"
    assert stack.get("/api/search?q=j")[0] == 200


def test_click_needs_a_customer_token_and_a_real_entry(stack, demo_token):
    assert stack.post("/api/click", {"id": "prod.fund", "query": "j"})[0] == 401
    assert stack.post("/api/click", {"id": "no.such.entry"}, token=demo_token)[0] == 404
    assert stack.post("/api/click", {"id": 7}, token=demo_token)[0] == 400
    assert stack.post("/api/click", raw=b"nope", token=demo_token)[0] == 400


@pytest.mark.parametrize(
    "message,expected_title,kind",
    [
        ("我想买大额存单", "大额存单", "open"),
        ("怎么交电费", "生活缴费", "open"),
        ("转账手续费多少", None, "faq"),
    ],
)
def test_the_bot_hands_over_to_search(stack, demo_token, message, expected_title, kind):
    messages = stack.chat(demo_token, message)
    reply = next(m for m in messages if m["data"].get("type") in ("search_results", "faq_answer"))
    links = [b.get("url") or b.get("payload") for b in reply["buttons"] if b["payload"] != "/human_agent"]
    assert links and all(link.startswith("app://") for link in links)
    if kind == "open":
        assert reply["text"].startswith(f"为您打开：{expected_title}")
        assert reply["data"]["open"].startswith("app://")
    else:
        assert "免收手续费" in reply["text"]
