"""Settings read through newscrawl.setting_values, and `scrapy crawl` refusing a bad -s value."""

import pytest
from scrapy.settings import Settings

from newscrawl.setting_values import SettingError, boolean, check_settings, choice, integer, seconds
from tests.crawling import run_crawl


def test_readers_convert_good_values_and_name_the_setting_on_bad_ones():
    settings = Settings({"A": "5", "B": "false", "C": "0.5", "D": "Link", "E": "-5", "F": "perhaps", "G": "nan"})
    assert integer(settings, "A", 1, minimum=1) == 5
    assert boolean(settings, "B", True) is False
    assert seconds(settings, "C", 1.0) == 0.5
    assert choice(settings, "D", "off", ("link", "drop", "off")) == "link"
    assert integer(settings, "MISSING", 7) == 7
    with pytest.raises(SettingError, match=r"^E must be a positive integer, got '-5'$"):
        integer(settings, "E", 1, minimum=1)
    with pytest.raises(SettingError, match=r"^F must be True or False"):
        boolean(settings, "F")
    with pytest.raises(SettingError, match=r"^G must be a non-negative number of seconds"):
        seconds(settings, "G", 1.0)
    with pytest.raises(SettingError, match=r"^D must be one of drop, off"):
        choice(settings, "D", "off", ("drop", "off"))


def test_the_project_settings_pass_and_each_bad_one_is_reported():
    assert check_settings(Settings({"DATABASE_BATCH_SIZE": 100, "NEAR_DUPLICATES": "drop"})) == []
    problems = check_settings(Settings({"DATABASE_BATCH_SIZE": "-5", "INCREMENTAL_ENABLED": "perhaps",
                                        "DOWNLOAD_DELAY": "abc"}))
    assert [p.split()[0] for p in problems] == ["DATABASE_BATCH_SIZE", "INCREMENTAL_ENABLED", "DOWNLOAD_DELAY"]


@pytest.mark.parametrize("name, value, expected", [
    ("DATABASE_BATCH_SIZE", "-5", "a positive integer"),
    ("NEAR_DUPLICATES", "maybe", "one of link, drop, off"),
    ("INCREMENTAL_ENABLED", "perhaps", "True or False (or 1/0)"),
    ("RETRY_BACKOFF_BASE", "abc", "a non-negative number of seconds"),
    ("DOWNLOAD_DELAY", "soon", "a non-negative number of seconds"),
])
def test_crawl_refuses_a_bad_setting_before_fetching_anything(serve, tmp_path, name, value, expected):
    server = serve(routes={})
    database = tmp_path / "news.db"
    result = run_crawl("news", urls=f"{server.base_url}/", database=database, settings={name: value})
    assert result.returncode == 2, result.log[-3000:]
    assert f"invalid setting: {name} must be {expected}, got '{value}'" in result.log
    assert "Traceback" not in result.log
    assert not server.requests and not database.exists()
