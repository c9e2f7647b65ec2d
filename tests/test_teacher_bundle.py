"""teacher.bundle: the cache's entries of one template written to a file and read back elsewhere."""

import gzip

import pytest

from distill_lib.teacher.bundle import seed_cache, write_bundle
from distill_lib.teacher.cache import ResponseCache


def test_a_bundle_keeps_one_templates_entries_and_seeds_only_what_is_missing(tmp_path):
    cache = ResponseCache(tmp_path / "a")
    cache.put("k1", {"template": "t", "text": "one"})
    cache.put("k2", {"template": "t", "text": "two"})
    cache.put("k3", {"template": "other", "text": "three"})
    bundle = tmp_path / "stages" / "b.jsonl.gz"
    assert write_bundle(cache, bundle, "t") == 2
    assert oct(bundle.stat().st_mode & 0o777) == "0o644"
    other = ResponseCache(tmp_path / "b")
    other.put("k2", {"template": "t", "text": "kept"})
    assert seed_cache(other, bundle) == 1
    assert other.get("k1") == {"template": "t", "text": "one"}
    assert other.get("k2")["text"] == "kept" and other.get("k3") is None
    assert seed_cache(other, tmp_path / "absent.jsonl.gz") == 0


def test_a_damaged_bundle_names_its_line(tmp_path):
    bundle = tmp_path / "b.jsonl.gz"
    with gzip.open(bundle, "wt") as out:
        out.write('{"key": "k1", "payload": {}}\nnot json\n')
    with pytest.raises(ValueError, match="b.jsonl.gz: line 2"):
        seed_cache(ResponseCache(tmp_path / "c"), bundle)
