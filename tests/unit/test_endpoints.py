import pytest
import yaml

from assistant.config import ConfigError, Settings
from assistant.stack.endpoints import redis_stores, runtime_endpoints


def test_without_redis_conversations_are_kept_in_a_sqlite_tracker_store(tmp_path):
    path = runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)}))
    text = path.read_text()
    assert path.parent == tmp_path and "url: ${ACTION_ENDPOINT_URL}" in text
    assert yaml.safe_load(text)["tracker_store"] == {"type": "SQL", "dialect": "sqlite",
                                                     "db": str(tmp_path / "trackers.db")}


def test_with_postgresql_the_tracker_store_shares_its_database(tmp_path):
    url = "postgresql+psycopg2://bank:pw@db.internal:5432/assistant"
    path = runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path), "DATABASE_URL": url}))
    assert yaml.safe_load(path.read_text())["tracker_store"] == {"type": "SQL", "dialect": "postgresql", "url": url}


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
