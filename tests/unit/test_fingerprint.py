from assistant.ops.steps.fingerprint import fingerprint


def test_fingerprint_follows_content_and_names(tmp_path):
    (tmp_path / "a.yml").write_text("x: 1")
    first = fingerprint(["*.yml"], tmp_path)
    assert fingerprint(["*.yml"], tmp_path) == first
    (tmp_path / "a.yml").write_text("x: 2")
    second = fingerprint(["*.yml"], tmp_path)
    assert second != first
    (tmp_path / "b.yml").write_text("")
    assert fingerprint(["*.yml"], tmp_path) != second
