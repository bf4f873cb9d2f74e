from realtime.local.stages.asr.whisper_window import (
    FULL_WINDOW,
    MIN_WINDOW,
    encoder_frames,
    looks_looped,
    token_budget,
)


def test_the_window_is_twice_the_speech_in_whole_seconds_never_under_five() -> None:
    assert encoder_frames(0) == encoder_frames(57) == encoder_frames(250) == MIN_WINDOW
    assert encoder_frames(251) == 600
    assert encoder_frames(459) == 1000
    assert encoder_frames(1449) == encoder_frames(1450) == 2900


def test_a_turn_over_14_5_s_takes_the_full_window() -> None:
    assert encoder_frames(1451) is None and encoder_frames(FULL_WINDOW) is None
    assert encoder_frames(10 * FULL_WINDOW) is None


def test_the_token_budget_grows_with_the_turn() -> None:
    assert token_budget(1) == token_budget(100) == 28
    assert token_budget(1000) == 136
    assert token_budget(101) > token_budget(100)


def test_a_runaway_decode_looks_looped_and_speech_does_not() -> None:
    assert looks_looped("How " * 50)
    assert looks_looped("the flight, the flight, the flight, the flight, the flight, the flight")
    assert not looks_looped("I would like to know the weather in Paris and also in Berlin.")
    assert not looks_looped("Hello.")  # too short to judge
    assert not looks_looped("no no no")
    assert not looks_looped("No, no, no, I said the other one.")


def test_a_phrase_said_twice_in_a_row_looks_looped() -> None:
    assert looks_looped("What time is it in Tokyo? What time is it in Tokyo?")
    assert looks_looped("Book a flight, book a flight to Paris")
    assert not looks_looped("What time is it in Tokyo? And what time is it in Paris?")
    assert not looks_looped("I think, I think so.")  # two words: people say that
