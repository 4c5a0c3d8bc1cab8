from phoneref.core.rate_limits import Window, log_append, seconds_until_allowed

HOUR = Window(limit=3, seconds=3600)


def test_under_the_limit_there_is_no_wait():
    assert seconds_until_allowed([0.0, 10.0], now=20.0, windows=[HOUR]) is None


def test_at_the_limit_the_wait_ends_when_the_oldest_counted_event_leaves():
    assert seconds_until_allowed([0.0, 10.0, 20.0], now=30.0, windows=[HOUR]) == 3570


def test_events_outside_the_window_do_not_count():
    assert seconds_until_allowed([0.0, 10.0, 20.0], now=3601.0, windows=[HOUR]) is None


def test_the_longest_wait_of_several_windows_wins():
    cooldown = Window(limit=1, seconds=60)
    assert seconds_until_allowed([0.0, 10.0, 20.0], now=30.0, windows=[cooldown, HOUR]) == 3570
    assert seconds_until_allowed([20.0], now=30.0, windows=[cooldown, HOUR]) == 50


def test_a_zero_limit_is_off():
    assert seconds_until_allowed([1.0] * 100, now=2.0, windows=[Window(0, 3600)]) is None


def test_the_wait_is_at_least_one_second():
    assert seconds_until_allowed([0.0], now=59.9999, windows=[Window(1, 60)]) == 1


def test_appending_drops_what_no_window_can_count_any_more():
    log = log_append([0.0, 100.0, 4000.0], now=4100.0, windows=[HOUR, Window(1, 60)])
    assert log == [4000.0, 4100.0]
