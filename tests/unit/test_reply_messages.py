from assistant.gateway.replies import to_reply_messages


def test_custom_payload_folds_into_the_text_before_it():
    out = to_reply_messages(
        [
            {"recipient_id": "demo", "text": "余额如下"},
            {"recipient_id": "demo", "custom": {"type": "balance"}},
            {
                "recipient_id": "demo",
                "text": "还有什么可以帮您？",
                "buttons": [{"title": "转账", "payload": "/transfer_money"}],
            },
        ]
    )
    assert out == [
        {"text": "余额如下", "buttons": [], "data": {"type": "balance"}},
        {"text": "还有什么可以帮您？", "buttons": [{"title": "转账", "payload": "/transfer_money"}], "data": {}},
    ]


def test_custom_payload_alone_stays_a_message_and_empty_ones_drop():
    out = to_reply_messages([{"custom": {"type": "chart"}}, {"recipient_id": "x"}])
    assert out == [{"text": "", "buttons": [], "data": {"type": "chart"}}]
