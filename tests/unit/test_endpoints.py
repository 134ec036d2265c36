import pytest
import yaml

from assistant.config import ConfigError, Settings
from assistant.stack.endpoints import redis_stores, runtime_endpoints


def test_without_redis_rasa_uses_the_checked_in_endpoints(tmp_path):
    path = runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)}))
    assert path.name == "endpoints.yml" and "${ACTION_ENDPOINT_URL}" in path.read_text()


def test_redis_url_adds_tracker_and_lock_stores(tmp_path):
    path = runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path),
                                                "REDIS_URL": "redis://:s3cret@cache.internal:6380/2"}))
    text = path.read_text()
    assert "url: ${ACTION_ENDPOINT_URL}" in text  # still substituted by Rasa
    config = yaml.safe_load(text)
    assert config["tracker_store"] == {"type": "redis", "url": "cache.internal", "port": 6380, "use_ssl": False,
                                       "password": "s3cret", "db": 2, "record_exp": 604800}
    assert config["lock_store"]["db"] == 3 and config["lock_store"]["type"] == "redis"


@pytest.mark.parametrize("url", ["http://x", "redis://", "redis://h:notaport/0", "redis://h/x"])
def test_bad_redis_urls_are_refused(url):
    with pytest.raises(ConfigError):
        redis_stores(url)
