from realtime.protocol.words import cut_words


def test_a_cut_falls_back_to_the_last_whole_word() -> None:
    assert cut_words("one two three", 0.6) == "one two"
    assert cut_words("one two three", 0.54) == "one two"  # the cut lands on the space
    assert cut_words("onetwothree", 0.5) == ""


def test_all_or_nothing_heard() -> None:
    assert cut_words("one", 1.0) == "one"
    assert cut_words("one", 1.7) == "one"
    assert cut_words("one two", 0.0) == ""
    assert cut_words("one two", -0.5) == ""
