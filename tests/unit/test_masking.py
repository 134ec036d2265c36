import pytest

from assistant.base.masking import mask_sensitive


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的卡号是6222 0212 3456 7890 123", "我的卡号是***************0123"),
        ("账号6217000012345678尾号5678", "账号************5678尾号5678"),
        ("身份证11010519491231002X", "身份证**************002X"),
        ("验证码是123456", "验证码是******"),
        ("验证码：三五七二四六", "验证码：******"),
        ("密码8866", "密码****"),
        ("我的手机13812345678", "我的手机138****5678"),
        ("654321", "******"),
    ],
)
def test_numbers_and_codes_are_masked(text, expected):
    assert mask_sensitive(text) == expected


@pytest.mark.parametrize("text", ["给张三转五百", "转123456元给张三", "¥200000", "尾号1234", "今天午饭花了35"])
def test_amounts_and_card_tails_stay_readable(text):
    assert mask_sensitive(text) == text


# ------------------------------------------------------------------ logs
import io  # noqa: E402
import logging  # noqa: E402

from assistant.base import log_masking  # noqa: E402


@pytest.fixture
def clean_logging():
    """install() changes process-wide logging: put the record factory and test loggers back afterwards."""
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)
    for name in ("pii.before", "pii.after"):
        logging.getLogger(name).handlers.clear()


def capture(name, propagate=False):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(detail)s"))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate, logger.level = propagate, logging.INFO
    return logger, stream


def log_everything(logger):
    logger.info("turn of %s: %s", "demo", "卡号6222021234567890123", extra={"detail": "手机13800138000"})
    try:
        raise ValueError("验证码是三五七二四六")
    except ValueError:
        logger.exception("failed on %r", "138-0013-8000", extra={"detail": "-"})


@pytest.mark.parametrize("configured", ["before", "after"])
def test_installed_masking_covers_handlers_configured_before_and_after(clean_logging, configured):
    """Sanic and Rasa attach their own non-propagating handlers, some before install(), some after."""
    if configured == "before":
        logger, stream = capture("pii.before")
        log_masking.install()
        assert any(isinstance(f, log_masking.MaskingFilter) for f in logger.handlers[0].filters)
    else:
        log_masking.install()
        logger, stream = capture("pii.after")
    log_everything(logger)
    out = stream.getvalue()
    assert "卡号***************0123" in out and "'138****8000'" in out
    if configured == "before":  # extra fields: masked by the handler's filter
        assert "手机138****8000" in out
    assert "验证码是******" in out and "Traceback" in out  # nothing dropped, the traceback kept but masked
    secrets = ("6222021234567890123", "138-0013-8000", "三五七二四六") + (
        ("13800138000",) if configured == "before" else ()
    )
    for secret in secrets:
        assert secret not in out


def test_install_twice_masks_once(clean_logging):
    log_masking.install()
    log_masking.install()
    record = logging.getLogRecordFactory()("x", logging.INFO, __file__, 1, "code %s", ("482913",), None)
    assert record.getMessage() == "code ******" and log_masking.mask_record(record).getMessage() == "code ******"


def test_a_broken_format_string_is_masked_too():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "card %d", ("6222021234567890123",), None)
    assert "6222021234567890123" not in log_masking.mask_record(record).getMessage()
